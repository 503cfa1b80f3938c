package dev.arrow.server.s3;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.w3c.dom.Element;

class S3XmlTest {

    private static String text(byte[] bytes) {
        return new String(bytes, StandardCharsets.UTF_8);
    }

    @Test
    void documentsEscapeWhatTheyCarry() {
        byte[] xml = S3Xml.document("ListBucketResult").element("Name", "b").open("Contents")
                .element("Key", "a&b<c>\"d'e").element("Size", 12).close("Contents").element("IsTruncated", false)
                .end("ListBucketResult");
        assertThat(text(xml)).isEqualTo("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
                + "<ListBucketResult xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\"><Name>b</Name><Contents>"
                + "<Key>a&amp;b&lt;c&gt;&quot;d&apos;e</Key><Size>12</Size></Contents><IsTruncated>false</IsTruncated>"
                + "</ListBucketResult>");
        Element parsed = S3Xml.parse(xml);
        assertThat(S3Xml.text(S3Xml.children(parsed, "Contents").getFirst(), "Key")).isEqualTo("a&b<c>\"d'e");
    }

    @Test
    void errorDocumentsCarryCodeMessageDetailsResourceAndRequestId() {
        var details = new LinkedHashMap<String, String>();
        details.put("StringToSign", "AWS4-HMAC-SHA256\n...");
        String xml = text(S3Xml.error("SignatureDoesNotMatch", "no", "/b/k", "REQ1", details));
        assertThat(xml).isEqualTo("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>SignatureDoesNotMatch</Code>"
                + "<Message>no</Message><StringToSign>AWS4-HMAC-SHA256\n...</StringToSign><Resource>/b/k</Resource>"
                + "<RequestId>REQ1</RequestId></Error>");
        assertThat(text(S3Xml.error("NoSuchKey", "x", null, "R", Map.of()))).doesNotContain("Resource");
    }

    @Test
    void timesAreIsoWithMilliseconds() {
        assertThat(S3Xml.time(Instant.parse("2030-01-02T03:04:05.678901Z"))).isEqualTo("2030-01-02T03:04:05.678Z");
    }

    @Test
    void requestBodiesWithDtdsOrEntitiesOrBadXmlAreMalformed() {
        String withEntity = "<?xml version=\"1.0\"?><!DOCTYPE d [<!ENTITY x SYSTEM \"file:///etc/passwd\">]>"
                + "<Delete><Object><Key>&x;</Key></Object></Delete>";
        for (String bad : new String[] {withEntity, "<Delete><Object>", "", "not xml"}) {
            assertThatThrownBy(() -> S3Xml.parse(bad.getBytes(StandardCharsets.UTF_8)))
                    .isInstanceOf(S3Error.class)
                    .satisfies(e -> assertThat(((S3Error) e).code()).isEqualTo("MalformedXML"));
        }
        Element root = S3Xml.parse(("<CompleteMultipartUpload xmlns=\"" + S3Xml.NAMESPACE + "\"><Part><PartNumber>1"
                + "</PartNumber><ETag>\"abc\"</ETag></Part></CompleteMultipartUpload>").getBytes(StandardCharsets.UTF_8));
        assertThat(S3Xml.localName(root)).isEqualTo("CompleteMultipartUpload");
        assertThat(S3Xml.text(S3Xml.children(root, "Part").getFirst(), "ETag")).isEqualTo("\"abc\"");
        Element twice = S3Xml.parse("<P><ETag>a</ETag><ETag>b</ETag></P>".getBytes(StandardCharsets.UTF_8));
        assertThatThrownBy(() -> S3Xml.text(twice, "ETag")).isInstanceOf(S3Error.class);
    }

    @Test
    void pathsAndQueriesArePercentDecodedStrictlyAndKeysListedUrlEncoded() {
        assertThat(S3Handler.percentDecoded("a%20b/c%2Bd+e", false)).isEqualTo("a b/c+d+e");
        assertThat(S3Handler.percentDecoded("a%20b+c", true)).isEqualTo("a b c");
        assertThat(S3Handler.percentDecoded("%C3%BC", false)).isEqualTo("ü");
        for (String bad : new String[] {"%", "%2", "%zz", "%C3"}) {
            assertThatThrownBy(() -> S3Handler.percentDecoded(bad, false)).isInstanceOf(S3Error.class)
                    .satisfies(e -> assertThat(((S3Error) e).code()).isEqualTo("InvalidURI"));
        }
        assertThat(S3Handler.encode("dir/a b+ü~.txt", true)).isEqualTo("dir/a%20b%2B%C3%BC~.txt");
        assertThat(S3Handler.encode("dir/a b", false)).isEqualTo("dir/a b");
    }
}
