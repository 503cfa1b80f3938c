package dev.arrow.architecture;

import com.tngtech.archunit.core.domain.JavaClass;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;

/**
 * The modules of shared/DESIGN.md's layer table, lowest first: each may use only the modules
 * before it. The benchmarks stand beside the table: they may use every module, and none uses
 * them. A new module gets its line here, in its layer's place, or the rules fail on its classes.
 */
enum Module {
    SANDBOX("arrow-sandbox", "dev.arrow.sandbox"),
    RUNTIME("arrow-runtime", "dev.arrow.runtime"),
    PLATFORM("arrow-platform", "dev.arrow.platform"),
    // The services arrows use (KV, queues, objects): their interfaces and rules.
    SERVICES("arrow-services", "dev.arrow.services"),
    // Triggers, events and their delivery: they invoke arrows and use the services (dead letters in queues).
    EVENTS("arrow-events", "dev.arrow.events"),
    // Durable flows: they call arrows, start on schedules and events, and wait for events.
    FLOWS("arrow-flows", "dev.arrow.flows"),
    // The node's state store: it implements the platform's and the services' store interfaces, so it sits above them.
    STATE("arrow-state", "dev.arrow.state"),
    SERVER("arrow-server", "dev.arrow.server"),
    CLI("arrow-cli", "dev.arrow.cli"),
    BENCH("arrow-bench", "dev.arrow.bench");

    final String directory;
    final String rootPackage;

    Module(String directory, String rootPackage) {
        this.directory = directory;
        this.rootPackage = rootPackage;
    }

    /** ArchUnit's package pattern for the whole module. */
    String packages() {
        return rootPackage + "..";
    }

    /** The layers above this one in the table, which alone may use it. */
    List<Module> above() {
        if (this == BENCH) {
            return List.of();
        }
        return Arrays.stream(values()).filter(other -> other.ordinal() > ordinal()).toList();
    }

    static Optional<Module> of(JavaClass javaClass) {
        return Arrays.stream(values())
                .filter(module -> javaClass.getPackageName().equals(module.rootPackage)
                        || javaClass.getPackageName().startsWith(module.rootPackage + "."))
                .findFirst();
    }
}
