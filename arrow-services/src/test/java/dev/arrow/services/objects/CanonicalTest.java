package dev.arrow.services.objects;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

/** The canonical path and query as S3 builds them. */
class CanonicalTest {

    @Test
    void thePathIsEncodedOncePerSegmentAndNeverNormalized() throws Exception {
        assertThat(Canonical.uri("")).isEqualTo("/");
        assertThat(Canonical.uri("/")).isEqualTo("/");
        assertThat(Canonical.uri("/test$file.text")).isEqualTo("/test%24file.text");
        assertThat(Canonical.uri("/test%24file.text")).isEqualTo("/test%24file.text");
        assertThat(Canonical.uri("/a%2Fb/c%2fd")).isEqualTo("/a%2Fb/c%2Fd");
        assertThat(Canonical.uri("/a b/%7Etilde~/a+b")).isEqualTo("/a%20b/~tilde~/a%2Bb");
        assertThat(Canonical.uri("/x/../y/./z//")).isEqualTo("/x/../y/./z//");
        assertThat(Canonical.uri("/%E2%82%AC/€")).isEqualTo("/%E2%82%AC/%E2%82%AC");
        assertThat(Canonical.uri("/100%25")).isEqualTo("/100%25");
    }

    @Test
    void aBadEscapeIsMalformed() {
        for (String path : new String[] {"/a%", "/a%2", "/a%zz", "/a%٣٣"}) {
            assertThatThrownBy(() -> Canonical.uri(path)).isInstanceOf(Canonical.MalformedUri.class);
        }
    }

    @Test
    void theQueryIsSortedByNameThenValueWithEmptyValues() throws Exception {
        assertThat(Canonical.query(Canonical.parameters("b=2&a=2&a=1&c&d=&=x&&e=%7e+"), null))
                .isEqualTo("a=1&a=2&b=2&c=&d=&e=~%2B");
        assertThat(Canonical.query(Canonical.parameters("X-Amz-Signature=abc&X-Amz-Date=1"), "X-Amz-Signature"))
                .isEqualTo("X-Amz-Date=1");
        assertThat(Canonical.query(Canonical.parameters("prefix=%D0%BA%20x&Zeta=1"), null))
                .isEqualTo("Zeta=1&prefix=%D0%BA%20x");
    }

    @Test
    void headerValuesAreTrimmedAndTheirSpacesCollapsed() {
        var out = new StringBuilder();
        Canonical.appendValue("  a   b\t\tc  ", out);
        assertThat(out).hasToString("a b c");
    }
}
