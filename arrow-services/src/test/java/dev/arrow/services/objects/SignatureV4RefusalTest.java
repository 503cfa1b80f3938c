package dev.arrow.services.objects;

import static dev.arrow.services.objects.AwsExamplesTest.EMPTY;
import static dev.arrow.services.objects.AwsExamplesTest.KEY_ID;
import static dev.arrow.services.objects.AwsExamplesTest.PRESIGNED_QUERY;
import static dev.arrow.services.objects.AwsExamplesTest.WHEN;
import static dev.arrow.services.objects.AwsExamplesTest.request;
import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** The ways a claimed signature is refused before (or instead of) the signature check, each with S3's code. */
class SignatureV4RefusalTest {

    private final SignatureV4 verifier = AwsExamplesTest.verifier(WHEN);
    private static final String SIGNATURE = "f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41";

    private Verdict.Refused refusedHeader(String authorization, String... extra) {
        String[] headers = {"Host", "examplebucket.s3.amazonaws.com", "Range", "bytes=0-9",
                "x-amz-content-sha256", EMPTY, "x-amz-date", "20130524T000000Z", "Authorization", authorization};
        String[] all = new String[headers.length + extra.length];
        System.arraycopy(headers, 0, all, 0, headers.length);
        System.arraycopy(extra, 0, all, headers.length, extra.length);
        Verdict verdict = verifier.verify(request("GET", "/test.txt", "", all));
        assertThat(verdict).isInstanceOf(Verdict.Refused.class);
        return (Verdict.Refused) verdict;
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
            "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request,SignedHeaders=host|AuthorizationHeaderMalformed",
            "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request,SignedHeaders=host;range;x-amz-content-sha256;x-amz-date,Signature=x,Signature=y|AuthorizationHeaderMalformed",
            "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3,SignedHeaders=host;range;x-amz-content-sha256;x-amz-date,Signature=" + SIGNATURE + "|AuthorizationHeaderMalformed",
            "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s4/aws4_request,SignedHeaders=host;range;x-amz-content-sha256;x-amz-date,Signature=" + SIGNATURE + "|AuthorizationHeaderMalformed",
            "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws5_request,SignedHeaders=host;range;x-amz-content-sha256;x-amz-date,Signature=" + SIGNATURE + "|AuthorizationHeaderMalformed",
            "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130525/us-east-1/s3/aws4_request,SignedHeaders=host;range;x-amz-content-sha256;x-amz-date,Signature=" + SIGNATURE + "|AuthorizationHeaderMalformed",
            "AWS4-HMAC-SHA256 Credential=SOMEONEELSE/20130524/us-east-1/s3/aws4_request,SignedHeaders=host;range;x-amz-content-sha256;x-amz-date,Signature=" + SIGNATURE + "|InvalidAccessKeyId",
            "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request,SignedHeaders=range;x-amz-content-sha256;x-amz-date,Signature=" + SIGNATURE + "|AccessDenied",
            "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request,SignedHeaders=host;range;x-amz-date,Signature=" + SIGNATURE + "|AccessDenied",
            "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request,SignedHeaders=host;range;x-amz-content-sha256;x-amz-date;x-amz-meta-absent,Signature=" + SIGNATURE + "|MissingSecurityHeader",
            "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request,SignedHeaders=host;range;x-amz-content-sha256;x-amz-date,Signature=" + "|SignatureDoesNotMatch",
            "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request,SignedHeaders=host;range;x-amz-content-sha256;x-amz-date,Signature=F0E8BDB87C964420E857BD35B5D6ED310BD44F0170ABA48DD91039C6036BDB41|SignatureDoesNotMatch",
            "AWS AKIAIOSFODNN7EXAMPLE:frJIUN8DYpKDtOLCwo//yllqDzg=|InvalidRequest",
            "AWS4-ECDSA-P256-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/s3/aws4_request,SignedHeaders=host,Signature=00|InvalidRequest",
            "Bearer abc|InvalidArgument"})
    void malformedOrWrongAuthorization(String authorization, String code) {
        assertThat(refusedHeader(authorization).error().code()).isEqualTo(code);
    }

    @Test
    void theDocumentedRequestItselfPasses() {
        Verdict verdict = verifier.verify(request("GET", "/test.txt", "", "Host", "examplebucket.s3.amazonaws.com",
                "Range", "bytes=0-9", "x-amz-content-sha256", EMPTY, "x-amz-date", "20130524T000000Z",
                "Authorization", AwsExamplesTest.authorization("host;range;x-amz-content-sha256;x-amz-date", SIGNATURE)));
        assertThat(verdict).isInstanceOf(Verdict.Accepted.class);
    }

    @Test
    void anUnsignedAmzHeaderIsNamed() {
        var refused = refusedHeader(AwsExamplesTest.authorization("host;range;x-amz-content-sha256;x-amz-date",
                SIGNATURE), "x-amz-acl", "public-read");
        assertThat(refused.error()).isEqualTo(S3ErrorCode.ACCESS_DENIED);
        assertThat(refused.details()).containsEntry("HeadersNotSigned", "x-amz-acl");
    }

    @Test
    void aSkewedClockIsRequestTimeTooSkewed() {
        String authorization = AwsExamplesTest.authorization("host;range;x-amz-content-sha256;x-amz-date", SIGNATURE);
        for (long seconds : new long[] {-901, 901}) {
            Verdict verdict = AwsExamplesTest.verifier(WHEN.plusSeconds(seconds)).verify(request("GET", "/test.txt", "",
                    "Host", "examplebucket.s3.amazonaws.com", "Range", "bytes=0-9", "x-amz-content-sha256", EMPTY,
                    "x-amz-date", "20130524T000000Z", "Authorization", authorization));
            assertThat(verdict).isInstanceOfSatisfying(Verdict.Refused.class, r -> {
                assertThat(r.error()).isEqualTo(S3ErrorCode.REQUEST_TIME_TOO_SKEWED);
                assertThat(r.status()).isEqualTo(403);
            });
        }
    }

    @Test
    void noDateIsAccessDenied() {
        Verdict verdict = verifier.verify(request("GET", "/test.txt", "", "Host", "examplebucket.s3.amazonaws.com",
                "Range", "bytes=0-9", "x-amz-content-sha256", EMPTY, "x-amz-date", "2013-05-24T00:00:00Z",
                "Authorization", AwsExamplesTest.authorization("host;range;x-amz-content-sha256;x-amz-date", SIGNATURE)));
        assertThat(verdict).isInstanceOfSatisfying(Verdict.Refused.class,
                r -> assertThat(r.error()).isEqualTo(S3ErrorCode.ACCESS_DENIED));
    }

    @Test
    void aBadPayloadHashIsInvalidArgument() {
        Verdict verdict = verifier.verify(request("GET", "/test.txt", "", "Host", "examplebucket.s3.amazonaws.com",
                "x-amz-content-sha256", "SIGNED-PAYLOAD", "x-amz-date", "20130524T000000Z",
                "Authorization", AwsExamplesTest.authorization("host;x-amz-content-sha256;x-amz-date", SIGNATURE)));
        assertThat(verdict).isInstanceOfSatisfying(Verdict.Refused.class,
                r -> assertThat(r.error()).isEqualTo(S3ErrorCode.INVALID_ARGUMENT));
    }

    @Test
    void streamingWithoutDecodedLengthIsMissingContentLength() {
        Verdict verdict = verifier.verify(request("PUT", "/k", "", "Host", "examplebucket.s3.amazonaws.com",
                "x-amz-content-sha256", "STREAMING-AWS4-HMAC-SHA256-PAYLOAD", "x-amz-date", "20130524T000000Z",
                "Authorization", AwsExamplesTest.authorization("host;x-amz-content-sha256;x-amz-date", SIGNATURE)));
        assertThat(verdict).isInstanceOfSatisfying(Verdict.Refused.class, r -> {
            assertThat(r.error()).isEqualTo(S3ErrorCode.MISSING_CONTENT_LENGTH);
            assertThat(r.status()).isEqualTo(411);
        });
    }

    @Test
    void anUnknownTrailerIsInvalidRequest() {
        Verdict verdict = verifier.verify(request("PUT", "/k", "", "Host", "examplebucket.s3.amazonaws.com",
                "x-amz-content-sha256", "STREAMING-UNSIGNED-PAYLOAD-TRAILER", "x-amz-date", "20130524T000000Z",
                "x-amz-decoded-content-length", "5", "x-amz-trailer", "x-amz-checksum-xxhash3",
                "Authorization", AwsExamplesTest.authorization(
                        "host;x-amz-content-sha256;x-amz-date;x-amz-decoded-content-length;x-amz-trailer", SIGNATURE)));
        assertThat(verdict).isInstanceOfSatisfying(Verdict.Refused.class,
                r -> assertThat(r.error()).isEqualTo(S3ErrorCode.INVALID_REQUEST));
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
            "X-Amz-Expires=86400|X-Amz-Expires=0|AuthorizationQueryParametersError",
            "X-Amz-Expires=86400|X-Amz-Expires=604801|AuthorizationQueryParametersError",
            "X-Amz-Expires=86400|X-Amz-Expires=soon|AuthorizationQueryParametersError",
            "X-Amz-Expires=86400&|''|AuthorizationQueryParametersError",
            "X-Amz-Algorithm=AWS4-HMAC-SHA256|X-Amz-Algorithm=AWS4-HMAC-SHA512|AuthorizationQueryParametersError",
            "X-Amz-Date=20130524T000000Z|X-Amz-Date=20130524|AuthorizationQueryParametersError",
            "X-Amz-Date=20130524T000000Z|X-Amz-Date=20130524T000001Z|SignatureDoesNotMatch",
            "X-Amz-Date=20130524T000000Z|X-Amz-Date=20130525T000000Z|AuthorizationQueryParametersError",
            "%2Fs3%2F|%2Fs4%2F|AuthorizationQueryParametersError",
            "AKIAIOSFODNN7EXAMPLE|AKIAIOSFODNN7EXAMPLX|InvalidAccessKeyId",
            "X-Amz-SignedHeaders=host|X-Amz-SignedHeaders=host&X-Amz-SignedHeaders=host|AuthorizationQueryParametersError",
            "X-Amz-Signature=|Signature=x&X-Amz-Signature=|InvalidArgument"})
    void presignedParameters(String from, String to, String code) {
        String query = PRESIGNED_QUERY.replace(from, to);
        Verdict verdict = verifier.verify(request("GET", "/test.txt", query, "Host", "examplebucket.s3.amazonaws.com"));
        assertThat(verdict).isInstanceOfSatisfying(Verdict.Refused.class,
                r -> assertThat(r.error().code()).as(r.message()).isEqualTo(code));
    }

    @Test
    void bothMechanismsAtOnceIsInvalidArgument() {
        Verdict verdict = verifier.verify(request("GET", "/test.txt", PRESIGNED_QUERY,
                "Host", "examplebucket.s3.amazonaws.com", "Authorization", "AWS4-HMAC-SHA256 Credential=x"));
        assertThat(verdict).isInstanceOfSatisfying(Verdict.Refused.class,
                r -> assertThat(r.error()).isEqualTo(S3ErrorCode.INVALID_ARGUMENT));
    }

    @Test
    void signatureVersion2QueryIsNotSupported() {
        Verdict verdict = verifier.verify(request("GET", "/test.txt",
                "AWSAccessKeyId=" + KEY_ID + "&Expires=1369353600&Signature=abc", "Host", "examplebucket.s3.amazonaws.com"));
        assertThat(verdict).isInstanceOfSatisfying(Verdict.Refused.class,
                r -> assertThat(r.error()).isEqualTo(S3ErrorCode.INVALID_REQUEST));
    }

    @Test
    void noSignatureAtAllIsAnonymous() {
        assertThat(verifier.verify(request("GET", "/test.txt", "list-type=2", "Host", "h")))
                .isInstanceOf(Verdict.Anonymous.class);
    }

    @Test
    void aBadEscapeInThePathIsInvalidUri() {
        Verdict verdict = verifier.verify(request("GET", "/test%zz.txt", PRESIGNED_QUERY,
                "Host", "examplebucket.s3.amazonaws.com"));
        assertThat(verdict).isInstanceOfSatisfying(Verdict.Refused.class,
                r -> assertThat(r.error()).isEqualTo(S3ErrorCode.INVALID_URI));
    }
}
