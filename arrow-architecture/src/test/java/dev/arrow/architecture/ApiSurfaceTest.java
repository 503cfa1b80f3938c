package dev.arrow.architecture;

import static org.assertj.core.api.Assertions.assertThat;

import com.tngtech.archunit.core.domain.JavaClass;
import com.tngtech.archunit.core.domain.JavaModifier;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeSet;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Each module's public API, as the list of its public types outside {@code internal} packages, is
 * written down in {@code src/test/resources/api/MODULE.txt}: a type made public, or one dropped,
 * fails here until the list says so, so that the API grows only on purpose and in review.
 * {@code ./mvnw -pl arrow-architecture test -Darrow.api.update=true} rewrites the lists.
 */
class ApiSurfaceTest {

    private static final Path LISTS = Path.of("src", "test", "resources", "api");

    @ParameterizedTest
    @EnumSource(Module.class)
    void thePublicApiIsTheOneWrittenDown(Module module) throws IOException {
        var actual = new TreeSet<String>();
        for (JavaClass javaClass : ArrowClasses.all()) {
            if (Module.of(javaClass).orElse(null) == module && javaClass.isTopLevelClass()
                    && javaClass.getModifiers().contains(JavaModifier.PUBLIC)
                    && !javaClass.getPackageName().contains(".internal")) {
                actual.add(javaClass.getName());
            }
        }
        Path list = LISTS.resolve(module.directory + ".txt");
        if (Boolean.getBoolean("arrow.api.update")) {
            Files.createDirectories(LISTS);
            Files.write(list, actual, StandardCharsets.UTF_8);
        }
        List<String> written = Files.exists(list)
                ? Files.readAllLines(list, StandardCharsets.UTF_8).stream().filter(line -> !line.isBlank()).toList()
                : List.of();
        var added = new ArrayList<>(actual);
        added.removeAll(written);
        var dropped = new ArrayList<>(written);
        dropped.removeAll(actual);
        assertThat(added).as("public types of %s not in %s: make them package-private, move them to an internal"
                + " package, or add them to the list on purpose", module.directory, list).isEmpty();
        assertThat(dropped).as("types listed in %s that %s no longer makes public: remove them from the list",
                list, module.directory).isEmpty();
    }
}
