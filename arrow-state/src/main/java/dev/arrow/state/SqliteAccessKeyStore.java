package dev.arrow.state;

import dev.arrow.services.objects.AccessKeyStore;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Access keys in the {@code access_keys} table (see {@link Schema}), secrets as they are: SigV4
 * needs them to compute each request's HMAC, and the database file is mode 0600. Every write is
 * one synced transaction ({@link Database#write}).
 */
final class SqliteAccessKeyStore implements AccessKeyStore {

    private final Database database;

    SqliteAccessKeyStore(Database database) {
        this.database = database;
    }

    @Override
    public boolean create(AccessKey key, String secret) {
        return database.write(connection -> database.withStatement(connection, """
                INSERT INTO access_keys (id, name, secret, created_at_ns) VALUES (?, ?, ?, ?)
                ON CONFLICT (id) DO NOTHING""", insert -> {
            insert.setString(1, key.id());
            insert.setString(2, key.name().orElse(null));
            insert.setString(3, secret);
            insert.setLong(4, Times.nanos(key.createdAt()));
            return insert.executeUpdate() == 1;
        }));
    }

    @Override
    public List<AccessKey> list() {
        return database.read(connection -> database.withStatement(connection,
                "SELECT id, name, created_at_ns FROM access_keys ORDER BY created_at_ns, id", select -> {
                    var keys = new ArrayList<AccessKey>();
                    try (var rows = select.executeQuery()) {
                        while (rows.next()) {
                            keys.add(new AccessKey(rows.getString(1), Optional.ofNullable(rows.getString(2)),
                                    Times.instant(rows.getLong(3))));
                        }
                    }
                    return List.copyOf(keys);
                }));
    }

    @Override
    public boolean delete(String id) {
        return database.write(connection -> database.withStatement(connection,
                "DELETE FROM access_keys WHERE id = ?", delete -> {
                    delete.setString(1, id);
                    return delete.executeUpdate() == 1;
                }));
    }

    @Override
    public Optional<String> secret(String id) {
        return database.read(connection -> database.withStatement(connection,
                "SELECT secret FROM access_keys WHERE id = ?", select -> {
                    select.setString(1, id);
                    try (var rows = select.executeQuery()) {
                        return rows.next() ? Optional.of(rows.getString(1)) : Optional.<String>empty();
                    }
                }));
    }
}
