package dev.arrow.services.objects;

import java.time.Instant;
import java.util.List;
import java.util.Optional;

/**
 * Where the S3 listener's access keys are kept: the port an implementation (the node's SQLite
 * database) fills. Each method is atomic, and a write is durable when it returns. Ids, secrets and
 * names come made and checked ({@link AccessKeys}).
 *
 * <p>The secret is kept as it is, not hashed: Signature Version 4 needs it to compute the HMAC of
 * every request, as MinIO and Garage keep theirs.
 */
public interface AccessKeyStore {

    /** A key as listed: never its secret. {@code name} is an optional label. */
    record AccessKey(String id, Optional<String> name, Instant createdAt) {
    }

    /** Adds a key; false, changing nothing, when {@code key.id()} is taken already. */
    boolean create(AccessKey key, String secret);

    /** Every key, oldest first (then by id). */
    List<AccessKey> list();

    /** Removes a key; false when there is none with this id. */
    boolean delete(String id);

    /** The secret of the key {@code id}, or empty when there is none. */
    Optional<String> secret(String id);
}
