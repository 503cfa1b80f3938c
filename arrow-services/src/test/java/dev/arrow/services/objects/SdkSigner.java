package dev.arrow.services.objects;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import software.amazon.awssdk.checksums.spi.ChecksumAlgorithm;
import software.amazon.awssdk.http.ContentStreamProvider;
import software.amazon.awssdk.http.SdkHttpMethod;
import software.amazon.awssdk.http.SdkHttpRequest;
import software.amazon.awssdk.http.auth.aws.signer.AwsV4FamilyHttpSigner;
import software.amazon.awssdk.http.auth.aws.signer.AwsV4HttpSigner;
import software.amazon.awssdk.http.auth.spi.signer.HttpSigner;
import software.amazon.awssdk.http.auth.spi.signer.SignedRequest;
import software.amazon.awssdk.identity.spi.AwsCredentialsIdentity;

/** Signs requests with the AWS SDK for Java's own SigV4 signer, set up as its S3 client sets it up. */
final class SdkSigner {

    /** How to sign: in the header or presigned, payload signed or not, chunked or not, with a trailing checksum. */
    record Mode(boolean presigned, boolean payloadSigning, boolean chunked, ChecksumAlgorithm checksum) {
        static Mode header(boolean payloadSigning) {
            return new Mode(false, payloadSigning, false, null);
        }

        static Mode presign() {
            return new Mode(true, false, false, null);
        }

        static Mode chunked(boolean payloadSigning, ChecksumAlgorithm checksum) {
            return new Mode(false, payloadSigning, true, checksum);
        }
    }

    /** A signed request as it goes on the wire: the view of it, and its body's bytes. */
    record Signed(RequestView view, byte[] body) {
    }

    private final AwsV4HttpSigner signer = AwsV4HttpSigner.create();
    private final String keyId;
    private final String secret;
    private final String region;

    SdkSigner(String keyId, String secret, String region) {
        this.keyId = keyId;
        this.secret = secret;
        this.region = region;
    }

    /**
     * Signs method + encoded path + query parameters (not encoded; the SDK encodes them) + headers
     * at {@code when}, with body {@code body} (null for none).
     */
    Signed sign(Instant when, Mode mode, String method, String encodedPath, Map<String, List<String>> query,
                Map<String, List<String>> headers, byte[] body) {
        SdkHttpRequest.Builder builder = SdkHttpRequest.builder()
                .method(SdkHttpMethod.fromValue(method))
                // https, as S3 clients use: over http the SDK signs every payload whatever it is told.
                .protocol("https")
                .host("localhost")
                .port(9000)
                .encodedPath(encodedPath)
                .putHeader("Host", "localhost:9000");
        query.forEach(builder::putRawQueryParameter);
        headers.forEach(builder::putHeader);
        if (body != null) {
            builder.putHeader("Content-Length", Integer.toString(body.length));
        }
        SdkHttpRequest request = builder.build();
        SignedRequest signed = signer.sign(r -> {
            r.identity(AwsCredentialsIdentity.create(keyId, secret))
                    .request(request)
                    .putProperty(AwsV4FamilyHttpSigner.SERVICE_SIGNING_NAME, "s3")
                    .putProperty(AwsV4HttpSigner.REGION_NAME, region)
                    .putProperty(AwsV4FamilyHttpSigner.DOUBLE_URL_ENCODE, false)
                    .putProperty(AwsV4FamilyHttpSigner.NORMALIZE_PATH, false)
                    .putProperty(AwsV4FamilyHttpSigner.PAYLOAD_SIGNING_ENABLED, mode.payloadSigning())
                    .putProperty(AwsV4FamilyHttpSigner.CHUNK_ENCODING_ENABLED, mode.chunked())
                    .putProperty(HttpSigner.SIGNING_CLOCK, Clock.fixed(when, ZoneOffset.UTC));
            if (body != null) {
                r.payload(ContentStreamProvider.fromByteArray(body));
            }
            if (mode.checksum() != null) {
                r.putProperty(AwsV4FamilyHttpSigner.CHECKSUM_ALGORITHM, mode.checksum());
            }
            if (mode.presigned()) {
                r.putProperty(AwsV4FamilyHttpSigner.AUTH_LOCATION, AwsV4FamilyHttpSigner.AuthLocation.QUERY_STRING)
                        .putProperty(AwsV4FamilyHttpSigner.EXPIRATION_DURATION, Duration.ofMinutes(10));
            }
        });
        SdkHttpRequest out = signed.request();
        Map<String, List<String>> outHeaders = new LinkedHashMap<>(out.headers());
        byte[] outBody = signed.payload().map(SdkSigner::bytes).orElse(body);
        return new Signed(new RequestView(out.method().name(), out.encodedPath(),
                out.encodedQueryParameters().orElse(""), outHeaders), outBody);
    }

    private static byte[] bytes(ContentStreamProvider provider) {
        try (InputStream in = provider.newStream()) {
            return in.readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
