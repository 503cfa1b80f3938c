package dev.arrow.services.objects;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/** An {@link AccessKeyStore} in memory, for the rules' tests. */
final class MemoryAccessKeyStore implements AccessKeyStore {

    private final Map<String, AccessKey> keys = new LinkedHashMap<>();
    private final Map<String, String> secrets = new LinkedHashMap<>();

    @Override
    public synchronized boolean create(AccessKey key, String secret) {
        if (keys.containsKey(key.id())) {
            return false;
        }
        keys.put(key.id(), key);
        secrets.put(key.id(), secret);
        return true;
    }

    @Override
    public synchronized List<AccessKey> list() {
        return new ArrayList<>(keys.values());
    }

    @Override
    public synchronized boolean delete(String id) {
        secrets.remove(id);
        return keys.remove(id) != null;
    }

    @Override
    public synchronized Optional<String> secret(String id) {
        return Optional.ofNullable(secrets.get(id));
    }
}
