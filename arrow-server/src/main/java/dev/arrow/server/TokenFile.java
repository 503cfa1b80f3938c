package dev.arrow.server;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.Base64;

/** The admin token: made once at first start, kept in a file only its owner can read. */
final class TokenFile {

    static final String NAME = "token";

    private TokenFile() {
    }

    /** Reads the token in {@code home}, creating it (mode 0600, 256 random bits) if there is none. */
    static String loadOrCreate(Path home) throws IOException {
        Path file = home.resolve(NAME);
        if (!Files.exists(file)) {
            byte[] random = new byte[32];
            new SecureRandom().nextBytes(random);
            String token = "arrow_" + Base64.getUrlEncoder().withoutPadding().encodeToString(random);
            try {
                // Created with its final mode: there is no moment at which others could read it.
                Files.createFile(file, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
                Files.writeString(file, token + "\n", StandardOpenOption.TRUNCATE_EXISTING);
                return token;
            } catch (FileAlreadyExistsException raced) {
                // another node start made it first: use theirs
            }
        }
        String token = Files.readString(file, StandardCharsets.UTF_8).strip();
        if (token.isEmpty()) {
            throw new IOException(file + " is empty: delete it to have a new token made");
        }
        return token;
    }

    /** Constant-time comparison, so response timing says nothing about how much of a guess was right. */
    static boolean matches(String expected, String presented) {
        if (presented == null) {
            return false;
        }
        return MessageDigest.isEqual(expected.getBytes(StandardCharsets.UTF_8), presented.getBytes(StandardCharsets.UTF_8));
    }
}
