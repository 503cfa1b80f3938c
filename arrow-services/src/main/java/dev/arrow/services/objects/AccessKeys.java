package dev.arrow.services.objects;

import dev.arrow.platform.InvalidInputException;
import dev.arrow.platform.NotFoundException;
import java.security.SecureRandom;
import java.time.Clock;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.Random;

/**
 * The rules of the S3 listener's access keys, made like AWS's: an id of {@value #ID_LENGTH}
 * characters, {@code AKAR} then 16 random uppercase letters and digits, and a secret of
 * {@value #SECRET_LENGTH} random characters of {@code A-Z a-z 0-9 + /}, both from a
 * {@link SecureRandom}. A name is an optional label of 1 to {@value #MAX_NAME_LENGTH} printable
 * characters; names need not be unique (a key is known by its id, as an AWS key's description).
 * {@link #secretOf} is the lookup {@link SignatureV4} takes.
 */
public final class AccessKeys {

    public static final int ID_LENGTH = 20;
    public static final int SECRET_LENGTH = 40;
    public static final int MAX_NAME_LENGTH = 64;
    static final String ID_PREFIX = "AKAR";
    static final String ID_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
    static final String SECRET_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

    /** A key just made: the only time its secret is shown. */
    public record Created(AccessKeyStore.AccessKey key, String secret) {
        @Override
        public String toString() {
            return "Created[key=" + key + ", secret=(hidden)]";
        }
    }

    private final AccessKeyStore store;
    private final Clock clock;
    private final Random random;

    public AccessKeys(AccessKeyStore store, Clock clock) {
        this(store, clock, new SecureRandom());
    }

    AccessKeys(AccessKeyStore store, Clock clock, Random random) {
        this.store = Objects.requireNonNull(store, "store");
        this.clock = Objects.requireNonNull(clock, "clock");
        this.random = Objects.requireNonNull(random, "random");
    }

    /** Makes a key with a new id and secret, labelled {@code name} if present. */
    public Created create(Optional<String> name) {
        name.ifPresent(AccessKeys::requireName);
        String secret = random(SECRET_ALPHABET, SECRET_LENGTH);
        while (true) { // 36^16 ids: a clash is all but impossible, but costs nothing to handle
            var key = new AccessKeyStore.AccessKey(ID_PREFIX + random(ID_ALPHABET, ID_LENGTH - ID_PREFIX.length()),
                    name, clock.instant());
            if (store.create(key, secret)) {
                return new Created(key, secret);
            }
        }
    }

    /** Every key, oldest first, without secrets. */
    public List<AccessKeyStore.AccessKey> list() {
        return store.list();
    }

    /** Removes a key; requests signed with it are refused from then on. */
    public void delete(String id) {
        if (id == null || !isId(id) || !store.delete(id)) {
            // An id is 20 characters: what is far longer is not echoed whole.
            throw new NotFoundException("access key", id == null ? "" : id.length() > 64 ? id.substring(0, 64) + "..." : id);
        }
    }

    /** The secret of the key {@code id}, or empty if there is none: the lookup for {@link SignatureV4}. */
    public Optional<String> secretOf(String id) {
        return id != null && isId(id) ? store.secret(id) : Optional.empty();
    }

    /** Whether {@code id} has the form of an access key id (not whether it exists). */
    static boolean isId(String id) {
        if (id.length() != ID_LENGTH || !id.startsWith("AK")) {
            return false;
        }
        return id.chars().allMatch(c -> ID_ALPHABET.indexOf(c) >= 0);
    }

    /** Checks a key's name, naming {@code name} as the field. */
    public static String requireName(String name) {
        if (name == null || name.isEmpty()) {
            throw new InvalidInputException("name", "a name, when given, is 1 to " + MAX_NAME_LENGTH + " characters");
        }
        int length = name.codePointCount(0, name.length());
        if (length > MAX_NAME_LENGTH) {
            throw new InvalidInputException("name", "a name is at most " + MAX_NAME_LENGTH + " characters, not "
                    + length);
        }
        name.codePoints().forEach(c -> {
            if (Character.isISOControl(c) || Character.isSurrogate((char) c) && c <= 0xFFFF
                    || Character.getType(c) == Character.UNASSIGNED || Character.getType(c) == Character.FORMAT
                    || Character.getType(c) == Character.LINE_SEPARATOR
                    || Character.getType(c) == Character.PARAGRAPH_SEPARATOR) {
                throw new InvalidInputException("name", "a name holds printable characters only: found U+"
                        + String.format("%04X", c));
            }
        });
        return name;
    }

    private String random(String alphabet, int length) {
        var out = new StringBuilder(length);
        for (int i = 0; i < length; i++) {
            out.append(alphabet.charAt(random.nextInt(alphabet.length())));
        }
        return out.toString();
    }
}
