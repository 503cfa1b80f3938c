package dev.arrow.platform.bundles;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Path;
import java.util.Optional;

/**
 * Code bundles, content-addressed: the same tree of files uploaded twice is stored once, under a
 * digest of its content. Archives are untrusted: an implementation rejects path traversal,
 * absolute paths, links out of the tree, device files and anything over its size caps with an
 * {@link dev.arrow.platform.InvalidInputException} on field {@code bundle}.
 */
public interface BundleStore {

    /** Validates and unpacks an archive, stores its tree unless already there, and says what it is. */
    BundleInfo put(InputStream archive, ArchiveFormat format) throws IOException;

    /** The stored tree of a bundle (read-only; mounted at /code), if there is one with this digest. */
    Optional<Path> path(String digest);

    boolean contains(String digest);
}
