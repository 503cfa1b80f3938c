package dev.arrow.services.kv;

import java.util.List;
import java.util.Optional;

/**
 * One page of a listing, keys in byte order of their UTF-8.
 *
 * @param next the cursor of the next page; empty on the last
 */
public record KvPage(List<KeyInfo> keys, Optional<String> next) {

    public KvPage {
        keys = List.copyOf(keys);
    }
}
