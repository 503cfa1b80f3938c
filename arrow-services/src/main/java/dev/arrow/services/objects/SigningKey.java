package dev.arrow.services.objects;

import java.nio.charset.StandardCharsets;
import javax.crypto.Mac;

/**
 * The key SigV4 derives from a secret for one day, region and service: what signs the request, its
 * chunks and its trailer (and, later, a browser upload's policy). Derived once per request, kept
 * with it and never cached across requests; its bytes are never printed.
 */
public final class SigningKey {

    private final byte[] key;

    private SigningKey(byte[] key) {
        this.key = key;
    }

    /** HMAC-SHA256 of the date under "AWS4" + secret, then of the region, the service and the terminator, each under the last. */
    static SigningKey derive(String secret, String date, String region, String service) {
        byte[] key = Crypto.hmac(("AWS4" + secret).getBytes(StandardCharsets.UTF_8), date);
        key = Crypto.hmac(key, region);
        key = Crypto.hmac(key, service);
        key = Crypto.hmac(key, "aws4_request");
        return new SigningKey(key);
    }

    /** The lowercase hex HMAC-SHA256 of a string to sign under this key. */
    public String sign(String stringToSign) {
        return Crypto.hex(Crypto.hmac(key, stringToSign));
    }

    Mac mac() {
        return Crypto.hmac(key);
    }

    @Override
    public String toString() {
        return "SigningKey[redacted]";
    }
}
