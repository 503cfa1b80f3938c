package dev.arrow.platform.access;

import dev.arrow.platform.arrows.Bindings;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The tokens of running sandboxes: one minted for each exec invocation and each warm instance,
 * carrying its arrow's {@link Bindings}, valid until revoked when that sandbox's life ends. Held
 * in memory only, so a node's restart leaves none.
 *
 * <p>A token is {@code ast_<id>.<secret>}: the id finds the entry, and the secret is compared in
 * constant time, so that neither a lookup nor a comparison tells how much of a guess was right.
 */
public final class SandboxTokens {

    private static final String PREFIX = "ast_";
    private static final Base64.Encoder BASE64 = Base64.getUrlEncoder().withoutPadding();

    private final SecureRandom random = new SecureRandom();
    private final ConcurrentHashMap<String, SandboxToken> live = new ConcurrentHashMap<>();

    /** A new token for a sandbox of {@code arrow}; close it when the sandbox ends. */
    public SandboxToken mint(String arrow, Bindings bindings) {
        var grant = new SandboxGrant(arrow, bindings);
        while (true) {
            byte[] idBytes = new byte[12];
            byte[] secret = new byte[32];
            random.nextBytes(idBytes);
            random.nextBytes(secret);
            String id = BASE64.encodeToString(idBytes);
            String encodedSecret = BASE64.encodeToString(secret);
            var token = new SandboxToken(this, id, PREFIX + id + "." + encodedSecret,
                    encodedSecret.getBytes(StandardCharsets.US_ASCII), grant);
            if (live.putIfAbsent(id, token) == null) {
                return token;
            }
        }
    }

    /** The grant of a live token, or empty for anything else (revoked, never minted, malformed). */
    public Optional<SandboxGrant> check(String presented) {
        if (presented == null || !presented.startsWith(PREFIX)) {
            return Optional.empty();
        }
        int dot = presented.indexOf('.', PREFIX.length());
        if (dot < 0) {
            return Optional.empty();
        }
        SandboxToken token = live.get(presented.substring(PREFIX.length(), dot));
        if (token == null) {
            return Optional.empty();
        }
        byte[] secret = presented.substring(dot + 1).getBytes(StandardCharsets.US_ASCII);
        return MessageDigest.isEqual(token.secret(), secret) ? Optional.of(token.grant()) : Optional.empty();
    }

    /** Whether {@code presented} looks like a sandbox token, live or not. */
    public static boolean looksLikeOne(String presented) {
        return presented != null && presented.startsWith(PREFIX);
    }

    /** How many tokens are live now. */
    public int live() {
        return live.size();
    }

    void revoke(SandboxToken token) {
        live.remove(token.id(), token);
    }

}
