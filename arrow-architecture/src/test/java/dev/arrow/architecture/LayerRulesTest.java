package dev.arrow.architecture;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static com.tngtech.archunit.library.Architectures.layeredArchitecture;
import static org.assertj.core.api.Assertions.assertThat;

import com.tngtech.archunit.core.domain.JavaClass;
import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.lang.ArchRule;
import com.tngtech.archunit.library.Architectures.LayeredArchitecture;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/** Dependencies point down the layer table, and no module uses another's internals. */
class LayerRulesTest {

    private static final JavaClasses CLASSES = ArrowClasses.all();
    /** A class file's place: .../arrow-x/target/classes/... or .../arrow-x-VERSION.jar!/... */
    private static final Pattern MODULE_LOCATION = Pattern.compile("/(arrow-[a-z]+)(?:/target/|-[0-9][^/]*\\.jar)");

    @Test
    void everyClassIsInTheModuleItsPackageNames() {
        assertThat(CLASSES).as("classes imported").hasSizeGreaterThan(100);
        List<String> misplaced = new ArrayList<>();
        for (JavaClass javaClass : CLASSES) {
            var module = Module.of(javaClass);
            if (module.isEmpty()) {
                misplaced.add(javaClass.getName() + " is in no module of the layer table (Module.java)");
                continue;
            }
            String location = javaClass.getSource().map(source -> source.getUri().toString()).orElse("");
            Matcher matcher = MODULE_LOCATION.matcher(location);
            if (!matcher.find() || !matcher.group(1).equals(module.get().directory)) {
                misplaced.add(javaClass.getName() + " is in package " + module.get().rootPackage
                        + " but was built from " + location);
            }
        }
        assertThat(misplaced).isEmpty();
    }

    @Test
    void dependenciesPointDownTheLayerTable() {
        LayeredArchitecture layers = layeredArchitecture().consideringOnlyDependenciesInLayers();
        for (Module module : Module.values()) {
            layers = layers.layer(module.name()).definedBy(module.packages());
        }
        for (Module module : Module.values()) {
            List<String> above = module.above().stream().map(Module::name).toList();
            layers = above.isEmpty()
                    ? layers.whereLayer(module.name()).mayNotBeAccessedByAnyLayer()
                    : layers.whereLayer(module.name()).mayOnlyBeAccessedByLayers(above.toArray(String[]::new));
        }
        layers.check(CLASSES);
    }

    @Test
    void internalPackagesAreUsedOnlyInsideTheirModule() {
        for (Module module : Module.values()) {
            ArchRule rule = noClasses().that().resideOutsideOfPackage(module.packages())
                    .should().dependOnClassesThat().resideInAPackage(module.rootPackage + "..internal..")
                    .because("a module's internal packages are not its API");
            rule.check(CLASSES);
        }
    }

    @Test
    void theLowerLayersKnowNothingOfJetty() {
        noClasses().that().resideInAnyPackage(Module.SANDBOX.packages(), Module.PLATFORM.packages())
                .should().dependOnClassesThat().resideInAPackage("org.eclipse.jetty..")
                .because("HTTP belongs to the server and to the runtime's protocol to instances, not to dispatch")
                .check(CLASSES);
    }

    @Test
    void nothingUsesJettysInternals() {
        noClasses().should().dependOnClassesThat().resideInAPackage("org.eclipse.jetty..internal..")
                .because("Jetty's internal packages change without notice; its public API serves")
                .check(CLASSES);
    }
}
