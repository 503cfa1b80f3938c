package dev.arrow.platform.access;

/**
 * One sandbox's token, live until {@link #close closed} (revoked); closing twice is harmless.
 * Its {@link #toString} does not show the secret.
 */
public final class SandboxToken implements AutoCloseable {

    private final SandboxTokens tokens;
    private final String id;
    private final String value;
    private final byte[] secret;
    private final SandboxGrant grant;

    SandboxToken(SandboxTokens tokens, String id, String value, byte[] secret, SandboxGrant grant) {
        this.tokens = tokens;
        this.id = id;
        this.value = value;
        this.secret = secret;
        this.grant = grant;
    }

    /** What the sandbox presents as {@code Authorization: Bearer <value>}. */
    public String value() {
        return value;
    }

    public SandboxGrant grant() {
        return grant;
    }

    String id() {
        return id;
    }

    byte[] secret() {
        return secret;
    }

    /** Revokes it: from now on the node refuses it. */
    @Override
    public void close() {
        tokens.revoke(this);
    }

    @Override
    public String toString() {
        return "SandboxToken[" + id + " of " + grant.arrow() + "]";
    }
}
