package dev.arrow.services.objects;

import java.time.Clock;
import java.time.DateTimeException;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.time.format.ResolverStyle;
import java.util.ArrayList;
import java.util.Base64;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.SequencedMap;
import java.util.function.Function;

/**
 * Checks AWS Signature Version 4 on requests to the S3-compatible listener, as S3 does: the
 * {@code Authorization} header, or a presigned URL's query parameters. A request that claims a
 * signature gets {@link Verdict.Accepted} only if the signature is the one its secret makes;
 * everything else is a {@link Verdict.Refused} with S3's code and message.
 *
 * <p>Thread-safe; holds no key material between calls.
 */
public final class SignatureV4 {

    /** How far a request's time may be from the clock, either way. */
    public static final Duration MAX_SKEW = Duration.ofMinutes(15);
    /** The longest a presigned URL may be valid: a week. */
    public static final long MAX_EXPIRES_SECONDS = 604_800;

    static final String ALGORITHM = "AWS4-HMAC-SHA256";
    static final String SERVICE = "s3";
    static final String TERMINATOR = "aws4_request";

    private static final DateTimeFormatter TIMESTAMP =
            DateTimeFormatter.ofPattern("uuuuMMdd'T'HHmmss'Z'").withResolverStyle(ResolverStyle.STRICT);
    private static final DateTimeFormatter SERVER_TIME = DateTimeFormatter.ISO_INSTANT;

    private static final String ONE_MECHANISM = "Only one auth mechanism allowed; only the X-Amz-Algorithm query"
            + " parameter, Signature query string parameter or the Authorization header should be specified";
    private static final String UNSUPPORTED_MECHANISM =
            "The authorization mechanism you have provided is not supported. Please use AWS4-HMAC-SHA256.";
    private static final String HEADER_MALFORMED = "The authorization header is malformed; ";
    private static final String THREE_COMPONENTS = HEADER_MALFORMED
            + "the authorization header requires three components: Credential, SignedHeaders, and Signature.";
    private static final String QUERY_PARAMETERS = "Query-string authentication version 4 requires the X-Amz-Algorithm,"
            + " X-Amz-Credential, X-Amz-Signature, X-Amz-Date, X-Amz-SignedHeaders, and X-Amz-Expires parameters.";
    private static final String NO_DATE = "AWS authentication requires a valid Date or x-amz-date header";
    private static final String MISMATCH = "The request signature we calculated does not match the signature you"
            + " provided. Check your key and signing method.";
    private static final String X_AMZ_ALGORITHM = "X-Amz-Algorithm";
    private static final String X_AMZ_CREDENTIAL = "X-Amz-Credential";
    private static final String X_AMZ_DATE = "X-Amz-Date";
    private static final String X_AMZ_EXPIRES = "X-Amz-Expires";
    private static final String X_AMZ_SIGNED_HEADERS = "X-Amz-SignedHeaders";
    private static final String X_AMZ_SIGNATURE = "X-Amz-Signature";
    private static final String CONTENT_SHA256 = "x-amz-content-sha256";

    private final Function<String, Optional<String>> secrets;
    private final Clock clock;

    /**
     * @param secrets the secret of an access key id, if there is such a key
     * @param clock   the time requests are checked against
     */
    public SignatureV4(Function<String, Optional<String>> secrets, Clock clock) {
        this.secrets = Objects.requireNonNull(secrets);
        this.clock = Objects.requireNonNull(clock);
    }

    public Verdict verify(RequestView request) {
        try {
            return check(request);
        } catch (Refusal refusal) {
            return refusal.refused;
        }
    }

    /** A refusal thrown from deep in the checks; cheap, it has no stack trace. */
    private static final class Refusal extends RuntimeException {
        private static final long serialVersionUID = 1L;
        private final transient Verdict.Refused refused;

        Refusal(Verdict.Refused refused) {
            super(null, null, false, false);
            this.refused = refused;
        }
    }

    private static Refusal refuse(S3ErrorCode error, String message) {
        return new Refusal(new Verdict.Refused(error, message));
    }

    private static Refusal refuse(S3ErrorCode error, String message, SequencedMap<String, String> details) {
        return new Refusal(new Verdict.Refused(error, message, details));
    }

    /** What the client claims: who, when, for what scope, over which headers, with which signature. */
    private record Claim(String accessKeyId, String date, String region, String signedHeaders, List<String> headerNames,
                         String signature) {
    }

    private Verdict check(RequestView request) {
        List<Canonical.Parameter> parameters;
        try {
            parameters = Canonical.parameters(request.rawQuery());
        } catch (Canonical.MalformedUri e) {
            throw refuse(S3ErrorCode.INVALID_URI, "Couldn't parse the specified URI.");
        }
        Map<String, List<String>> query = Canonical.parameterMap(parameters);
        List<String> authorization = request.values("authorization");
        boolean queryV4 = query.containsKey(X_AMZ_ALGORITHM) || query.containsKey(X_AMZ_CREDENTIAL)
                || query.containsKey(X_AMZ_SIGNATURE);
        boolean queryV2 = query.containsKey("AWSAccessKeyId") || query.containsKey("Signature");
        if (!authorization.isEmpty() && (queryV4 || queryV2) || queryV4 && queryV2) {
            throw refuse(S3ErrorCode.INVALID_ARGUMENT, ONE_MECHANISM);
        }
        if (!authorization.isEmpty()) {
            return headerAuthentication(request, parameters, authorization);
        }
        if (queryV4) {
            return queryAuthentication(request, parameters, query);
        }
        if (queryV2) {
            throw refuse(S3ErrorCode.INVALID_REQUEST, UNSUPPORTED_MECHANISM);
        }
        return new Verdict.Anonymous();
    }

    private Verdict headerAuthentication(RequestView request, List<Canonical.Parameter> parameters,
                                         List<String> authorization) {
        if (authorization.size() != 1) {
            throw refuse(S3ErrorCode.INVALID_ARGUMENT, ONE_MECHANISM);
        }
        String header = authorization.getFirst().strip();
        int space = header.indexOf(' ');
        String algorithm = space < 0 ? header : header.substring(0, space);
        if (!algorithm.equals(ALGORITHM)) {
            if (algorithm.equals("AWS") || algorithm.startsWith("AWS4-")) {
                throw refuse(S3ErrorCode.INVALID_REQUEST, UNSUPPORTED_MECHANISM);
            }
            throw refuse(S3ErrorCode.INVALID_ARGUMENT, "Unsupported Authorization Type");
        }
        Map<String, String> components = new LinkedHashMap<>();
        for (String part : header.substring(space + 1).split(",", -1)) {
            String component = part.strip();
            int eq = component.indexOf('=');
            String key = eq < 0 ? component : component.substring(0, eq);
            boolean known = key.equals("Credential") || key.equals("SignedHeaders") || key.equals("Signature");
            if (eq < 0 || !known || components.putIfAbsent(key, component.substring(eq + 1)) != null) {
                throw refuse(S3ErrorCode.AUTHORIZATION_HEADER_MALFORMED, THREE_COMPONENTS);
            }
        }
        if (components.size() != 3) {
            throw refuse(S3ErrorCode.AUTHORIZATION_HEADER_MALFORMED, THREE_COMPONENTS);
        }
        refuseSessionTokens(request, Map.of());

        Optional<String> contentSha256 = single(request, CONTENT_SHA256);
        if (contentSha256.isEmpty()) {
            throw refuse(S3ErrorCode.INVALID_REQUEST, "Missing required header for this request: " + CONTENT_SHA256);
        }
        Payload payload = payload(request, contentSha256.get());
        Map<ChecksumAlgorithm, String> declared = declaredChecksums(request);

        // x-amz-date wins over Date, which some clients still sign instead.
        Optional<String> amzDate = single(request, "x-amz-date");
        Instant signedAt;
        String timestamp;
        if (amzDate.isPresent()) {
            signedAt = parseTimestamp(amzDate.get())
                    .orElseThrow(() -> refuse(S3ErrorCode.ACCESS_DENIED, NO_DATE));
            timestamp = amzDate.get();
        } else {
            signedAt = single(request, "date").flatMap(SignatureV4::parseHttpDate)
                    .orElseThrow(() -> refuse(S3ErrorCode.ACCESS_DENIED, NO_DATE));
            timestamp = TIMESTAMP.format(LocalDateTime.ofInstant(signedAt, ZoneOffset.UTC));
        }

        Claim claim = claim(components.get("Credential"), components.get("SignedHeaders"),
                components.get("Signature"), timestamp, false);
        requireSignedHeaders(request, claim);
        String secret = secret(claim);

        Instant now = clock.instant();
        if (Duration.between(signedAt, now).abs().compareTo(MAX_SKEW) > 0) {
            var details = new LinkedHashMap<String, String>();
            details.put("RequestTime", timestamp);
            details.put("ServerTime", SERVER_TIME.format(now));
            details.put("MaxAllowedSkewMilliseconds", Long.toString(MAX_SKEW.toMillis()));
            throw refuse(S3ErrorCode.REQUEST_TIME_TOO_SKEWED,
                    "The difference between the request time and the current time is too large.", details);
        }
        String canonicalQuery = Canonical.query(parameters, null);
        return signed(request, claim, secret, timestamp, canonicalQuery, contentSha256.get(), signedAt, false,
                payload, declared);
    }

    private Verdict queryAuthentication(RequestView request, List<Canonical.Parameter> parameters,
                                        Map<String, List<String>> query) {
        for (String name : List.of(X_AMZ_ALGORITHM, X_AMZ_CREDENTIAL, X_AMZ_DATE, X_AMZ_EXPIRES,
                X_AMZ_SIGNED_HEADERS, X_AMZ_SIGNATURE)) {
            List<String> values = query.get(name);
            if (values == null) {
                throw refuse(S3ErrorCode.AUTHORIZATION_QUERY_PARAMETERS_ERROR, QUERY_PARAMETERS);
            }
            if (values.size() > 1) {
                throw refuse(S3ErrorCode.AUTHORIZATION_QUERY_PARAMETERS_ERROR, name + " must be given only once.");
            }
        }
        if (!query.get(X_AMZ_ALGORITHM).getFirst().equals(ALGORITHM)) {
            throw refuse(S3ErrorCode.AUTHORIZATION_QUERY_PARAMETERS_ERROR,
                    "X-Amz-Algorithm only supports \"" + ALGORITHM + "\"");
        }
        refuseSessionTokens(request, query);
        String timestamp = query.get(X_AMZ_DATE).getFirst();
        Instant signedAt = parseTimestamp(timestamp).orElseThrow(() -> refuse(
                S3ErrorCode.AUTHORIZATION_QUERY_PARAMETERS_ERROR,
                "X-Amz-Date must be in the ISO8601 Long Format \"yyyyMMdd'T'HHmmss'Z'\""));
        String expiresText = query.get(X_AMZ_EXPIRES).getFirst();
        long expires;
        try {
            expires = Long.parseLong(expiresText);
        } catch (NumberFormatException e) {
            throw refuse(S3ErrorCode.AUTHORIZATION_QUERY_PARAMETERS_ERROR, "X-Amz-Expires should be a number");
        }
        if (expires < 1) {
            throw refuse(S3ErrorCode.AUTHORIZATION_QUERY_PARAMETERS_ERROR, "X-Amz-Expires must be positive");
        }
        if (expires > MAX_EXPIRES_SECONDS) {
            throw refuse(S3ErrorCode.AUTHORIZATION_QUERY_PARAMETERS_ERROR,
                    "X-Amz-Expires must be less than a week (in seconds) that is " + MAX_EXPIRES_SECONDS);
        }

        // A presigned URL's body is unsigned, unless the client signed an x-amz-content-sha256 header too.
        Optional<String> contentSha256 = single(request, CONTENT_SHA256);
        Payload payload = contentSha256.isPresent() ? payload(request, contentSha256.get()) : new Payload.Unsigned();
        Map<ChecksumAlgorithm, String> declared = declaredChecksums(request);

        Claim claim = claim(query.get(X_AMZ_CREDENTIAL).getFirst(), query.get(X_AMZ_SIGNED_HEADERS).getFirst(),
                query.get(X_AMZ_SIGNATURE).getFirst(), timestamp, true);
        requireSignedHeaders(request, claim);
        String secret = secret(claim);

        Instant now = clock.instant();
        Instant expiry = signedAt.plusSeconds(expires);
        if (now.isAfter(expiry)) {
            var details = new LinkedHashMap<String, String>();
            details.put("X-Amz-Expires", expiresText);
            details.put("Expires", SERVER_TIME.format(expiry));
            details.put("ServerTime", SERVER_TIME.format(now));
            throw refuse(S3ErrorCode.ACCESS_DENIED, "Request has expired", details);
        }
        if (signedAt.isAfter(now.plus(MAX_SKEW))) {
            var details = new LinkedHashMap<String, String>();
            details.put("X-Amz-Date", timestamp);
            details.put("ServerTime", SERVER_TIME.format(now));
            throw refuse(S3ErrorCode.ACCESS_DENIED, "Request is not valid yet", details);
        }
        String canonicalQuery = Canonical.query(parameters, X_AMZ_SIGNATURE);
        return signed(request, claim, secret, timestamp, canonicalQuery,
                contentSha256.orElse(Payload.UNSIGNED), signedAt, true, payload, declared);
    }

    /** The signature check proper, the same for both ways of carrying it. */
    private Verdict signed(RequestView request, Claim claim, String secret, String timestamp, String canonicalQuery,
                           String payloadLine, Instant signedAt, boolean presigned, Payload payload,
                           Map<ChecksumAlgorithm, String> declared) {
        String canonicalUri;
        try {
            canonicalUri = Canonical.uri(request.rawPath());
        } catch (Canonical.MalformedUri e) {
            throw refuse(S3ErrorCode.INVALID_URI, "Couldn't parse the specified URI.");
        }
        var canonical = new StringBuilder(512)
                .append(request.method()).append('\n')
                .append(canonicalUri).append('\n')
                .append(canonicalQuery).append('\n');
        for (String name : claim.headerNames()) {
            canonical.append(name).append(':');
            List<String> values = request.values(name);
            for (int i = 0; i < values.size(); i++) {
                if (i > 0) {
                    canonical.append(',');
                }
                Canonical.appendValue(values.get(i), canonical);
            }
            canonical.append('\n');
        }
        canonical.append('\n').append(claim.signedHeaders()).append('\n').append(payloadLine);
        String canonicalRequest = canonical.toString();

        String scope = claim.date() + "/" + claim.region() + "/" + SERVICE + "/" + TERMINATOR;
        String stringToSign = ALGORITHM + "\n" + timestamp + "\n" + scope + "\n" + Crypto.sha256Hex(canonicalRequest);
        SigningKey key = SigningKey.derive(secret, claim.date(), claim.region(), SERVICE);
        String expected = key.sign(stringToSign);
        if (!Crypto.sameSignature(expected, claim.signature())) {
            var details = new LinkedHashMap<String, String>();
            details.put("AWSAccessKeyId", claim.accessKeyId());
            details.put("StringToSign", stringToSign);
            details.put("SignatureProvided", claim.signature());
            details.put("CanonicalRequest", canonicalRequest);
            throw refuse(S3ErrorCode.SIGNATURE_DOES_NOT_MATCH, MISMATCH, details);
        }
        return new Verdict.Accepted(claim.accessKeyId(), claim.region(), signedAt, presigned, payload, declared, key,
                claim.signature());
    }

    private Claim claim(String credential, String signedHeaders, String signature, String timestamp,
                        boolean presigned) {
        S3ErrorCode malformed = presigned
                ? S3ErrorCode.AUTHORIZATION_QUERY_PARAMETERS_ERROR : S3ErrorCode.AUTHORIZATION_HEADER_MALFORMED;
        String prefix = presigned ? "Error parsing the X-Amz-Credential parameter; " : HEADER_MALFORMED;
        String[] parts = credential.split("/", -1);
        if (parts.length != 5 || parts[0].isEmpty() || parts[2].isEmpty()) {
            throw refuse(malformed, prefix + "the Credential is mal-formed; expecting"
                    + " \"<YOUR-AKID>/YYYYMMDD/REGION/SERVICE/aws4_request\".");
        }
        String date = timestamp.substring(0, 8);
        if (!parts[1].equals(date)) {
            throw refuse(malformed, presigned
                    ? "Invalid credential date \"" + parts[1] + "\". This date is not the same as X-Amz-Date: \""
                            + date + "\"."
                    : HEADER_MALFORMED + "Invalid credential date. Date is not the same as X-Amz-Date.");
        }
        if (!parts[3].equals(SERVICE)) {
            throw refuse(malformed, prefix + "incorrect service \"" + parts[3] + "\". This endpoint belongs to \""
                    + SERVICE + "\".");
        }
        if (!parts[4].equals(TERMINATOR)) {
            throw refuse(malformed, prefix + "incorrect terminal \"" + parts[4] + "\". This endpoint uses \""
                    + TERMINATOR + "\".");
        }
        List<String> names = new ArrayList<>();
        for (String name : signedHeaders.split(";", -1)) {
            if (name.isEmpty() || !name.equals(name.strip())) {
                throw refuse(malformed, presigned ? "X-Amz-SignedHeaders is malformed."
                        : HEADER_MALFORMED + "SignedHeaders is malformed.");
            }
            names.add(name.toLowerCase(Locale.ROOT));
        }
        return new Claim(parts[0], date, parts[2], signedHeaders, List.copyOf(names), signature);
    }

    /** host, every x-amz-* header sent, and every header named must be in the signature, and there. */
    private static void requireSignedHeaders(RequestView request, Claim claim) {
        List<String> unsigned = new ArrayList<>();
        if (!claim.headerNames().contains("host")) {
            unsigned.add("host");
        }
        for (String name : request.headers().keySet()) {
            String lower = name.toLowerCase(Locale.ROOT);
            if (lower.startsWith("x-amz-") && !claim.headerNames().contains(lower)) {
                unsigned.add(lower);
            }
        }
        if (!unsigned.isEmpty()) {
            var details = new LinkedHashMap<String, String>();
            details.put("HeadersNotSigned", String.join(", ", unsigned));
            throw refuse(S3ErrorCode.ACCESS_DENIED, "There were headers present in the request which were not signed",
                    details);
        }
        for (String name : claim.headerNames()) {
            if (request.values(name).isEmpty()) {
                var details = new LinkedHashMap<String, String>();
                details.put("MissingHeaderName", name);
                throw refuse(S3ErrorCode.MISSING_SECURITY_HEADER, "Your request was missing a required header",
                        details);
            }
        }
    }

    private String secret(Claim claim) {
        var details = new LinkedHashMap<String, String>();
        details.put("AWSAccessKeyId", claim.accessKeyId());
        return secrets.apply(claim.accessKeyId()).orElseThrow(() -> refuse(S3ErrorCode.INVALID_ACCESS_KEY_ID,
                "The AWS Access Key Id you provided does not exist in our records.", details));
    }

    /** Arrow's keys have no session tokens: a request carrying one was signed with credentials Arrow never gave. */
    private static void refuseSessionTokens(RequestView request, Map<String, List<String>> query) {
        if (!request.values("x-amz-security-token").isEmpty() || query.containsKey("X-Amz-Security-Token")) {
            throw refuse(S3ErrorCode.INVALID_TOKEN, "The provided token is malformed or otherwise invalid.");
        }
    }

    private static Payload payload(RequestView request, String contentSha256) {
        return switch (contentSha256) {
            case Payload.UNSIGNED -> new Payload.Unsigned();
            case Payload.STREAMING_SIGNED -> {
                if (!request.values("x-amz-trailer").isEmpty()) {
                    throw refuse(S3ErrorCode.INVALID_REQUEST,
                            "x-amz-trailer needs x-amz-content-sha256 " + Payload.STREAMING_SIGNED_TRAILER);
                }
                yield new Payload.SignedChunks(decodedLength(request), false, Optional.empty());
            }
            case Payload.STREAMING_SIGNED_TRAILER ->
                    new Payload.SignedChunks(decodedLength(request), true, trailer(request));
            case Payload.STREAMING_UNSIGNED_TRAILER -> new Payload.UnsignedChunks(decodedLength(request), trailer(request));
            default -> {
                if (contentSha256.startsWith("STREAMING-")) {
                    throw refuse(S3ErrorCode.INVALID_REQUEST, UNSUPPORTED_MECHANISM);
                }
                if (!isHex(contentSha256, 64)) {
                    throw refuse(S3ErrorCode.INVALID_ARGUMENT, "x-amz-content-sha256 must be UNSIGNED-PAYLOAD,"
                            + " STREAMING-AWS4-HMAC-SHA256-PAYLOAD, STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER,"
                            + " STREAMING-UNSIGNED-PAYLOAD-TRAILER, or a valid sha256 value.");
                }
                yield new Payload.Sha256(contentSha256.toLowerCase(Locale.ROOT));
            }
        };
    }

    private static long decodedLength(RequestView request) {
        String value = single(request, "x-amz-decoded-content-length").orElseThrow(() -> refuse(
                S3ErrorCode.MISSING_CONTENT_LENGTH, "You must provide the Content-Length HTTP header."));
        try {
            long length = Long.parseLong(value);
            if (length >= 0 && isDigits(value)) {
                return length;
            }
        } catch (NumberFormatException e) {
            // refused below
        }
        throw refuse(S3ErrorCode.INVALID_ARGUMENT, "x-amz-decoded-content-length is not a valid length.");
    }

    /** The one checksum x-amz-trailer announces, if any; S3 takes one checksum per object. */
    private static Optional<ChecksumAlgorithm> trailer(RequestView request) {
        List<String> names = new ArrayList<>();
        for (String value : request.values("x-amz-trailer")) {
            for (String name : value.split(",", -1)) {
                if (!name.isBlank()) {
                    names.add(name.strip());
                }
            }
        }
        if (names.isEmpty()) {
            return Optional.empty();
        }
        Optional<ChecksumAlgorithm> algorithm = names.size() == 1
                ? ChecksumAlgorithm.ofHeader(names.getFirst()).filter(found -> found != ChecksumAlgorithm.MD5)
                : Optional.empty();
        if (algorithm.isEmpty()) {
            throw refuse(S3ErrorCode.INVALID_REQUEST, "The value specified in the x-amz-trailer header is not supported");
        }
        return algorithm;
    }

    /** Checksums of the body in headers (Content-MD5, x-amz-checksum-*), each well-formed base64 of its size. */
    private static Map<ChecksumAlgorithm, String> declaredChecksums(RequestView request) {
        Map<ChecksumAlgorithm, String> declared = new EnumMap<>(ChecksumAlgorithm.class);
        for (ChecksumAlgorithm algorithm : ChecksumAlgorithm.values()) {
            List<String> values = request.values(algorithm.header());
            if (values.isEmpty()) {
                continue;
            }
            String value = values.getFirst().strip();
            if (values.size() > 1 || decodeChecksum(value, algorithm).isEmpty()) {
                throw algorithm == ChecksumAlgorithm.MD5
                        ? refuse(S3ErrorCode.INVALID_DIGEST, "The Content-MD5 you specified was invalid.")
                        : refuse(S3ErrorCode.INVALID_REQUEST, "Value for " + algorithm.header() + " header is invalid.");
            }
            declared.put(algorithm, value);
        }
        return declared;
    }

    static Optional<byte[]> decodeChecksum(String base64, ChecksumAlgorithm algorithm) {
        try {
            byte[] bytes = Base64.getDecoder().decode(base64);
            return bytes.length == algorithm.length() ? Optional.of(bytes) : Optional.empty();
        } catch (IllegalArgumentException e) {
            return Optional.empty();
        }
    }

    /** A header that must be there at most once; twice is as bad as malformed. */
    private static Optional<String> single(RequestView request, String name) {
        List<String> values = request.values(name);
        if (values.size() > 1) {
            throw refuse(S3ErrorCode.INVALID_ARGUMENT, "The header " + name + " must be given only once.");
        }
        return values.isEmpty() ? Optional.empty() : Optional.of(values.getFirst().strip());
    }

    static Optional<Instant> parseTimestamp(String text) {
        if (text.length() != 16) {
            return Optional.empty();
        }
        try {
            return Optional.of(LocalDateTime.parse(text, TIMESTAMP).toInstant(ZoneOffset.UTC));
        } catch (DateTimeException e) {
            return Optional.empty();
        }
    }

    private static Optional<Instant> parseHttpDate(String text) {
        try {
            return Optional.of(ZonedDateTime.parse(text, DateTimeFormatter.RFC_1123_DATE_TIME).toInstant());
        } catch (DateTimeException e) {
            return Optional.empty();
        }
    }

    private static boolean isHex(String text, int length) {
        if (text.length() != length) {
            return false;
        }
        for (int i = 0; i < text.length(); i++) {
            if (Canonical.hexDigit(text.charAt(i)) < 0) {
                return false;
            }
        }
        return true;
    }

    private static boolean isDigits(String text) {
        for (int i = 0; i < text.length(); i++) {
            if (text.charAt(i) < '0' || text.charAt(i) > '9') {
                return false;
            }
        }
        return !text.isEmpty();
    }
}
