package dev.arrow.services.objects;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.function.UnaryOperator;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import software.amazon.awssdk.utils.http.SdkHttpUtils;

/**
 * Requests signed by the AWS SDK's own SigV4 signer, with odd paths, queries and headers, pass;
 * the same requests with one thing changed after signing are refused, each with its code.
 */
class SdkSignerTest {

    static final String KEY_ID = "AKIDARROWTEST0000001";
    static final String SECRET = "s3cr3t/with+odd=chars/0123456789abcdefABCDEF";
    static final Instant WHEN = Instant.parse("2026-12-07T05:30:00Z");

    static final SdkSigner SDK = new SdkSigner(KEY_ID, SECRET, "us-east-1");

    static SignatureV4 verifier(Instant now, String secret) {
        return new SignatureV4(id -> id.equals(KEY_ID) ? Optional.of(secret) : Optional.empty(),
                Clock.fixed(now, ZoneOffset.UTC));
    }

    static final SignatureV4 VERIFIER = verifier(WHEN.plusSeconds(90), SECRET);

    static final List<String> KEYS = List.of(
            "plain.txt", "with space.txt", "ünïcødé/文件.bin", "a+b=c&d;e,f", "tilde~dash-under_dot.",
            "(parens)!*'$@:", "%percent%20literal", "dots/../x/./y", "double//slash", "trailing/", "emoji-🙂.png",
            "question?mark#hash", "brackets[]{}|^`\"<>\\");
    static final List<Map<String, List<String>>> QUERIES = List.of(
            Map.of(),
            Map.of("prefix", List.of("a b"), "max-keys", List.of("2")),
            Map.of("uploads", List.of("")),
            Map.of("uploads", Collections.singletonList(null)),
            Map.of("tag", List.of("b", "a", "a", "")),
            Map.of("prefix", List.of("ключ/"), "delimiter", List.of("/")),
            Map.of("marker", List.of("a+b&c=d~*'()!"), "list-type", List.of("2")),
            Map.of("partNumber", List.of("7"), "uploadId", List.of("abc/def+ghi==")));
    static final List<Map<String, List<String>>> HEADERS = List.of(
            Map.of(),
            Map.of("X-Amz-Meta-Note", List.of("  spaced   value  with\ttab ")),
            Map.of("Content-Type", List.of("text/plain; charset=utf-8"), "x-amz-storage-class", List.of("STANDARD")),
            Map.of("X-Amz-Meta-Multi", List.of("one", "two  three")),
            Map.of("Range", List.of("bytes=0-9"), "If-None-Match", List.of("\"etag\"")));

    /** One generated request: a bucket path, a key, a query, headers, a method and a way of signing. */
    record Case(String method, String path, Map<String, List<String>> query, Map<String, List<String>> headers,
                SdkSigner.Mode mode, byte[] body) {
        @Override
        public String toString() {
            return method + " " + path + " " + query.keySet() + " " + headers.keySet() + " " + mode;
        }
    }

    static Stream<Case> cases() {
        Random random = new Random(7);
        List<Case> cases = new ArrayList<>();
        List<String> methods = List.of("GET", "PUT", "DELETE", "HEAD", "POST");
        for (int i = 0; i < 120; i++) {
            String key = KEYS.get(i % KEYS.size());
            String path = "/bucket-" + (i % 3) + "/" + SdkHttpUtils.urlEncodeIgnoreSlashes(key);
            if (i % 17 == 0) {
                path = "/bucket/a%2Fb%2Fc";
            }
            String method = methods.get(random.nextInt(methods.size()));
            var query = QUERIES.get(random.nextInt(QUERIES.size()));
            var headers = HEADERS.get(random.nextInt(HEADERS.size()));
            SdkSigner.Mode mode = switch (i % 3) {
                case 0 -> SdkSigner.Mode.header(true);
                case 1 -> SdkSigner.Mode.header(false);
                default -> SdkSigner.Mode.presign();
            };
            byte[] body = method.equals("PUT") || method.equals("POST")
                    ? ("body " + i + " ünï").repeat(i).getBytes(StandardCharsets.UTF_8) : null;
            cases.add(new Case(method, path, query, headers, mode, body));
        }
        return cases.stream();
    }

    static SdkSigner.Signed sign(Case c) {
        return SDK.sign(WHEN, c.mode(), c.method(), c.path(), c.query(), c.headers(), c.body());
    }

    @ParameterizedTest
    @MethodSource("cases")
    void whatTheSdkSignsPasses(Case c) throws IOException {
        var signed = sign(c);
        Verdict verdict = VERIFIER.verify(signed.view());
        assertThat(verdict).as("%s\n%s", c, verdict).isInstanceOf(Verdict.Accepted.class);
        var accepted = (Verdict.Accepted) verdict;
        assertThat(accepted.accessKeyId()).isEqualTo(KEY_ID);
        assertThat(accepted.region()).isEqualTo("us-east-1");
        assertThat(accepted.presigned()).isEqualTo(c.mode().presigned());
        if (c.mode().payloadSigning()) {
            assertThat(accepted.payload()).isInstanceOf(Payload.Sha256.class);
        } else {
            assertThat(accepted.payload()).isEqualTo(new Payload.Unsigned());
        }
        byte[] body = signed.body() == null ? new byte[0] : signed.body();
        assertThat(accepted.body(new ByteArrayInputStream(body)).readAllBytes()).isEqualTo(body);
        if (c.mode().payloadSigning()) {
            byte[] changed = Arrays.copyOf(body, body.length + 1);
            assertThatThrownBy(() -> accepted.body(new ByteArrayInputStream(changed)).readAllBytes())
                    .isInstanceOfSatisfying(PayloadException.class,
                            e -> assertThat(e.error()).isEqualTo(S3ErrorCode.X_AMZ_CONTENT_SHA256_MISMATCH));
        }
    }

    /** A change made to a request after it was signed, and the code it must be refused with. */
    record Tamper(String name, UnaryOperator<RequestView> change, S3ErrorCode expected) {
        @Override
        public String toString() {
            return name;
        }
    }

    static RequestView withHeader(RequestView view, String name, String... values) {
        Map<String, List<String>> headers = new LinkedHashMap<>(view.headers());
        headers.keySet().removeIf(key -> key.equalsIgnoreCase(name));
        if (values.length > 0) {
            headers.put(name, List.of(values));
        }
        return new RequestView(view.method(), view.rawPath(), view.rawQuery(), headers);
    }

    static String flipLast(String text) {
        char last = text.charAt(text.length() - 1);
        return text.substring(0, text.length() - 1) + (last == 'x' ? 'y' : 'x');
    }

    static String flipHex(String text, int index) {
        char c = text.charAt(index);
        return text.substring(0, index) + (c == '0' ? '1' : '0') + text.substring(index + 1);
    }

    static String replaceParameter(String query, String name, UnaryOperator<String> change) {
        List<String> parts = new ArrayList<>();
        for (String part : query.split("&")) {
            if (part.startsWith(name + "=")) {
                part = name + "=" + change.apply(part.substring(name.length() + 1));
            }
            parts.add(part);
        }
        return String.join("&", parts);
    }

    static String laterTimestamp(String timestamp) {
        Instant later = SignatureV4.parseTimestamp(timestamp).orElseThrow().plusSeconds(1);
        return java.time.format.DateTimeFormatter.ofPattern("uuuuMMdd'T'HHmmss'Z'").withZone(ZoneOffset.UTC)
                .format(later);
    }

    static List<Tamper> tampers(boolean presigned) {
        List<Tamper> tampers = new ArrayList<>();
        tampers.add(new Tamper("path", v -> new RequestView(v.method(), "/c" + v.rawPath().substring(2), v.rawQuery(),
                v.headers()), S3ErrorCode.SIGNATURE_DOES_NOT_MATCH));
        tampers.add(new Tamper("path encoded otherwise", v -> new RequestView(v.method(), v.rawPath() + "%2F",
                v.rawQuery(), v.headers()), S3ErrorCode.SIGNATURE_DOES_NOT_MATCH));
        tampers.add(new Tamper("method", v -> new RequestView(v.method().equals("GET") ? "HEAD" : "GET", v.rawPath(),
                v.rawQuery(), v.headers()), S3ErrorCode.SIGNATURE_DOES_NOT_MATCH));
        tampers.add(new Tamper("query added", v -> new RequestView(v.method(), v.rawPath(),
                v.rawQuery().isEmpty() ? "versionId=1" : v.rawQuery() + "&versionId=1", v.headers()),
                S3ErrorCode.SIGNATURE_DOES_NOT_MATCH));
        tampers.add(new Tamper("host", v -> withHeader(v, "Host", "localhost:9001"),
                S3ErrorCode.SIGNATURE_DOES_NOT_MATCH));
        tampers.add(new Tamper("unsigned x-amz header", v -> withHeader(v, "x-amz-meta-extra", "1"),
                S3ErrorCode.ACCESS_DENIED));
        tampers.add(new Tamper("session token", v -> withHeader(v, "x-amz-security-token", "t"),
                S3ErrorCode.INVALID_TOKEN));
        if (presigned) {
            tampers.add(new Tamper("date", v -> new RequestView(v.method(), v.rawPath(),
                    replaceParameter(v.rawQuery(), "X-Amz-Date", SdkSignerTest::laterTimestamp), v.headers()),
                    S3ErrorCode.SIGNATURE_DOES_NOT_MATCH));
            tampers.add(new Tamper("signature", v -> new RequestView(v.method(), v.rawPath(),
                    replaceParameter(v.rawQuery(), "X-Amz-Signature", s -> flipHex(s, 10)), v.headers()),
                    S3ErrorCode.SIGNATURE_DOES_NOT_MATCH));
            tampers.add(new Tamper("expires", v -> new RequestView(v.method(), v.rawPath(),
                    replaceParameter(v.rawQuery(), "X-Amz-Expires", s -> "3600"), v.headers()),
                    S3ErrorCode.SIGNATURE_DOES_NOT_MATCH));
            tampers.add(new Tamper("key id", v -> new RequestView(v.method(), v.rawPath(),
                    replaceParameter(v.rawQuery(), "X-Amz-Credential", s -> s.replace(KEY_ID, "AKIDSOMEONEELSE00001")),
                    v.headers()), S3ErrorCode.INVALID_ACCESS_KEY_ID));
        } else {
            tampers.add(new Tamper("date", v -> withHeader(v, "x-amz-date",
                    laterTimestamp(v.first("x-amz-date").orElseThrow())), S3ErrorCode.SIGNATURE_DOES_NOT_MATCH));
            tampers.add(new Tamper("signature", v -> withHeader(v, "Authorization",
                    flipHex(v.first("Authorization").orElseThrow(), v.first("Authorization").orElseThrow().length() - 5)),
                    S3ErrorCode.SIGNATURE_DOES_NOT_MATCH));
            tampers.add(new Tamper("payload hash", v -> withHeader(v, "x-amz-content-sha256",
                    "0000000000000000000000000000000000000000000000000000000000000000"),
                    S3ErrorCode.SIGNATURE_DOES_NOT_MATCH));
            tampers.add(new Tamper("no payload hash", v -> withHeader(v, "x-amz-content-sha256"),
                    S3ErrorCode.INVALID_REQUEST));
            tampers.add(new Tamper("key id", v -> withHeader(v, "Authorization",
                    v.first("Authorization").orElseThrow().replace(KEY_ID, "AKIDSOMEONEELSE00001")),
                    S3ErrorCode.INVALID_ACCESS_KEY_ID));
            tampers.add(new Tamper("signed header gone", v -> withHeader(v, "x-amz-date"),
                    S3ErrorCode.ACCESS_DENIED));
        }
        return tampers;
    }

    static Stream<Arguments> tamperedCases() {
        return cases().limit(60).flatMap(c -> tampers(c.mode().presigned()).stream().map(t -> Arguments.of(c, t)));
    }

    @ParameterizedTest
    @MethodSource("tamperedCases")
    void aChangeAfterSigningIsRefused(Case c, Tamper tamper) {
        var signed = sign(c);
        assertThat(VERIFIER.verify(signed.view())).isInstanceOf(Verdict.Accepted.class);
        Verdict verdict = VERIFIER.verify(tamper.change().apply(signed.view()));
        assertThat(verdict).as("%s, %s", c, tamper).isInstanceOf(Verdict.Refused.class);
        assertThat(((Verdict.Refused) verdict).error()).as("%s, %s: %s", c, tamper, verdict)
                .isEqualTo(tamper.expected());
    }

    @ParameterizedTest
    @MethodSource("cases")
    void theWrongSecretOrTheWrongTimeIsRefused(Case c) {
        var signed = sign(c);
        assertThat(verifier(WHEN, SECRET + "x").verify(signed.view()))
                .isInstanceOfSatisfying(Verdict.Refused.class,
                        r -> assertThat(r.error()).isEqualTo(S3ErrorCode.SIGNATURE_DOES_NOT_MATCH));
        assertThat(verifier(WHEN, flipLast(SECRET)).verify(signed.view()))
                .isInstanceOfSatisfying(Verdict.Refused.class,
                        r -> assertThat(r.error()).isEqualTo(S3ErrorCode.SIGNATURE_DOES_NOT_MATCH));
        // Presigned for ten minutes; a header signature is good for fifteen minutes either way.
        Instant late = WHEN.plusSeconds(c.mode().presigned() ? 601 : 901);
        S3ErrorCode lateCode = c.mode().presigned() ? S3ErrorCode.ACCESS_DENIED : S3ErrorCode.REQUEST_TIME_TOO_SKEWED;
        assertThat(verifier(late, SECRET).verify(signed.view()))
                .isInstanceOfSatisfying(Verdict.Refused.class, r -> assertThat(r.error()).isEqualTo(lateCode));
        assertThat(verifier(WHEN.plusSeconds(c.mode().presigned() ? 600 : 900), SECRET).verify(signed.view()))
                .isInstanceOf(Verdict.Accepted.class);
        if (!c.mode().presigned()) {
            assertThat(verifier(WHEN.minusSeconds(901), SECRET).verify(signed.view()))
                    .isInstanceOfSatisfying(Verdict.Refused.class,
                            r -> assertThat(r.error()).isEqualTo(S3ErrorCode.REQUEST_TIME_TOO_SKEWED));
        }
    }

    @Test
    void everyRegionIsAcceptedAndReported() {
        var signer = new SdkSigner(KEY_ID, SECRET, "arrow-local-1");
        var signed = signer.sign(WHEN, SdkSigner.Mode.header(true), "GET", "/b/k", Map.of(), Map.of(), null);
        assertThat(VERIFIER.verify(signed.view())).isInstanceOfSatisfying(Verdict.Accepted.class,
                a -> assertThat(a.region()).isEqualTo("arrow-local-1"));
    }
}
