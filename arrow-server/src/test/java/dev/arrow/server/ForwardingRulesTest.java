package dev.arrow.server;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.eclipse.jetty.http.HttpField;
import org.eclipse.jetty.http.HttpFields;
import org.junit.jupiter.api.Test;

/** Each rule of how the gateway forwards a request and its answer, one at a time. */
class ForwardingRulesTest {

    private static final Gateway.Target TARGET = Gateway.Target.of("/a/shop/cart", "id=3");

    private static ForwardingRules.Request request(HttpFields headers, boolean secure, long bodyLength) {
        return new ForwardingRules.Request("POST", TARGET, headers, "192.0.2.7", secure, bodyLength);
    }

    /** The forwarded headers as "Name: value" lines, in order. */
    private static List<String> toInstance(HttpFields.Mutable headers) {
        return lines(ForwardingRules.toInstance(request(headers, false, 0), "inv-1", "127.0.0.1:8080"));
    }

    private static List<String> lines(List<HttpField> fields) {
        return fields.stream().map(field -> field.getName() + ": " + field.getValue()).toList();
    }

    @Test
    void theInstanceIsTheHostAndTheNodeSaysWhoAskedHowAndForWhat() {
        assertThat(toInstance(HttpFields.build().add("Host", "shop.example").add("Accept", "*/*"))).containsExactly(
                "Host: 127.0.0.1:8080",
                "Accept: */*",
                "X-Forwarded-For: 192.0.2.7",
                "X-Forwarded-Proto: http",
                "X-Forwarded-Host: shop.example",
                "X-Forwarded-Prefix: /a/shop",
                "Arrow-Invocation-Id: inv-1");
    }

    @Test
    void aRequestWithoutAHostHasNoForwardedHost() {
        assertThat(toInstance(HttpFields.build())).noneMatch(line -> line.startsWith("X-Forwarded-Host"));
    }

    @Test
    void hopByHopHeadersAndThoseTheConnectionHeaderNamesStayBehind() {
        var headers = HttpFields.build().add("Connection", "keep-alive, X-Hop, close").add("Keep-Alive", "timeout=5")
                .add("Proxy-Connection", "keep-alive").add("Proxy-Authorization", "Basic eA==").add("TE", "trailers")
                .add("Trailer", "X-Sum").add("Upgrade", "websocket").add("X-Hop", "gone").add("X-End", "kept");
        assertThat(toInstance(headers)).filteredOn(line -> !line.startsWith("X-Forwarded-") && !line.startsWith("Arrow-"))
                .containsExactly("Host: 127.0.0.1:8080", "X-End: kept");
    }

    @Test
    void whatAClientSaysOfForwardingIsReplacedByWhatTheNodeKnows() {
        var headers = HttpFields.build().add("X-Forwarded-For", "6.6.6.6").add("X-Forwarded-Proto", "https")
                .add("X-Forwarded-Host", "evil").add("X-Forwarded-Prefix", "/admin").add("X-Forwarded-Port", "443")
                .add("x-forwarded-ssl", "on").add("Forwarded", "for=6.6.6.6;proto=https").add("Arrow-Invocation-Id", "forged");
        assertThat(toInstance(headers)).containsExactly(
                "Host: 127.0.0.1:8080",
                "X-Forwarded-For: 192.0.2.7",
                "X-Forwarded-Proto: http",
                "X-Forwarded-Prefix: /a/shop",
                "Arrow-Invocation-Id: inv-1");
    }

    @Test
    void theProtoIsTheSchemeOfTheClientsConnection() {
        var headers = HttpFields.build().add("X-Forwarded-Proto", "http");
        assertThat(lines(ForwardingRules.toInstance(request(headers, true, 0), "inv-1", "127.0.0.1:8080")))
                .contains("X-Forwarded-Proto: https").doesNotContain("X-Forwarded-Proto: http");
        assertThat(lines(ForwardingRules.toInstance(request(HttpFields.build(), false, 0), "inv-1", "127.0.0.1:8080")))
                .contains("X-Forwarded-Proto: http");
    }

    @Test
    void theBodyIsFramedAnewWhateverTheClientFramedItWith() {
        var chunked = HttpFields.build().add("Transfer-Encoding", "chunked");
        assertThat(lines(ForwardingRules.toInstance(request(chunked, false, -1), "i", "h")))
                .containsOnlyOnce("Transfer-Encoding: chunked").last().isEqualTo("Transfer-Encoding: chunked");
        var sized = HttpFields.build().add("Content-Length", "0012");
        assertThat(lines(ForwardingRules.toInstance(request(sized, false, 12), "i", "h")))
                .doesNotContain("Content-Length: 0012").last().isEqualTo("Content-Length: 12");
        assertThat(lines(ForwardingRules.toInstance(request(HttpFields.build(), false, 0), "i", "h")))
                .noneMatch(line -> line.startsWith("Content-Length") || line.startsWith("Transfer-Encoding"));
    }

    @Test
    void expectIsTheNodesToAnswer() {
        assertThat(toInstance(HttpFields.build().add("Expect", "100-continue"))).noneMatch(line -> line.startsWith("Expect"));
    }

    @Test
    void endToEndHeadersGoOnInOrderWithTheirRepeats() {
        var headers = HttpFields.build().add("Cookie", "a=1").add("Accept", "text/html").add("Cookie", "b=2")
                .add("Authorization", "Bearer t").add("Via", "1.1 upstream");
        assertThat(toInstance(headers)).containsSubsequence("Cookie: a=1", "Accept: text/html", "Cookie: b=2",
                "Authorization: Bearer t", "Via: 1.1 upstream");
    }

    @Test
    void theAnswerLosesItsHopByHopHeadersKeepsItsLengthAndSaysWhichInvocationItWas() {
        var answer = HttpFields.build().add("Content-Type", "text/plain").add("Content-Length", "5")
                .add("Connection", "keep-alive, X-Hop").add("Keep-Alive", "timeout=60").add("X-Hop", "gone")
                .add("Transfer-Encoding", "chunked").add("Upgrade", "h2c").add("Set-Cookie", "a=1")
                .add("X-Arrow-Invocation-Id", "forged").add("X-Arrow-Cold", "maybe").add("Set-Cookie", "b=2");
        assertThat(lines(ForwardingRules.toClient(answer, "inv-9", true))).containsExactly(
                "Content-Type: text/plain",
                "Content-Length: 5",
                "Set-Cookie: a=1",
                "Set-Cookie: b=2",
                "X-Arrow-Invocation-Id: inv-9",
                "X-Arrow-Cold: true");
    }
}
