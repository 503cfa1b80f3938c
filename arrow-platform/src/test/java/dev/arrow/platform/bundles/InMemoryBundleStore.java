package dev.arrow.platform.bundles;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A {@link BundleStore} that keeps digests only: an archive's digest is of its bytes, and its
 * "tree" a path nobody reads (the platform only hands it to the sandbox as /code).
 */
public final class InMemoryBundleStore implements BundleStore {

    private final Map<String, Path> trees = new ConcurrentHashMap<>();

    @Override
    public BundleInfo put(InputStream archive, ArchiveFormat format) throws IOException {
        byte[] bytes = archive.readAllBytes();
        String digest = "sha256:" + HexFormat.of().formatHex(sha256(bytes));
        boolean created = trees.putIfAbsent(digest, Path.of("/bundles", digest.substring(7))) == null;
        return new BundleInfo(digest, 1, bytes.length, created);
    }

    @Override
    public Optional<Path> path(String digest) {
        return Optional.ofNullable(trees.get(digest));
    }

    @Override
    public boolean contains(String digest) {
        return trees.containsKey(digest);
    }

    /** Loses a bundle, as a node whose bundle directory was cleaned would. */
    public void forget(String digest) {
        trees.remove(digest);
    }

    private static byte[] sha256(byte[] bytes) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(bytes);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
