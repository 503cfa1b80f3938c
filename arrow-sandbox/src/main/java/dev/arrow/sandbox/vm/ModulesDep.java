package dev.arrow.sandbox.vm;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.SequencedSet;

/**
 * A kernel's {@code modules.dep}: each module's path (relative to {@code /lib/modules/VERSION})
 * and the modules it needs. Resolves a set of module names into the load order, dependencies first.
 */
record ModulesDep(Map<String, List<String>> dependencies) {

    ModulesDep {
        dependencies = Map.copyOf(dependencies);
    }

    static ModulesDep parse(String text) {
        var deps = new LinkedHashMap<String, List<String>>();
        for (String line : text.split("\n")) {
            int colon = line.indexOf(':');
            if (colon <= 0) {
                continue;
            }
            String rest = line.substring(colon + 1).strip();
            deps.put(line.substring(0, colon).strip(), rest.isEmpty() ? List.of() : List.of(rest.split("\\s+")));
        }
        return new ModulesDep(deps);
    }

    /** A module's name as modprobe spells it: the file name without {@code .ko*}, '-' read as '_'. */
    static String nameOf(String path) {
        String file = path.substring(path.lastIndexOf('/') + 1);
        int ko = file.indexOf(".ko");
        return (ko < 0 ? file : file.substring(0, ko)).replace('-', '_');
    }

    /**
     * The paths to load, each after the modules it depends on. A name found neither here nor in
     * {@code builtin} is an error; a built-in one needs nothing.
     *
     * @throws IllegalArgumentException naming a module the kernel has neither as a module nor built in
     */
    List<String> loadOrder(List<String> names, java.util.Set<String> builtin) {
        var byName = new LinkedHashMap<String, String>();
        dependencies.keySet().forEach(path -> byName.put(nameOf(path), path));
        SequencedSet<String> order = new LinkedHashSet<>();
        for (String name : names) {
            String module = name.replace('-', '_');
            String path = byName.get(module);
            if (path == null) {
                if (builtin.contains(module)) {
                    continue;
                }
                throw new IllegalArgumentException("the kernel has no module " + name);
            }
            visit(path, order, new LinkedHashSet<>());
        }
        return new ArrayList<>(order);
    }

    private void visit(String path, SequencedSet<String> order, SequencedSet<String> visiting) {
        if (order.contains(path)) {
            return;
        }
        if (!visiting.add(path)) {
            throw new IllegalArgumentException("modules.dep has a cycle through " + path);
        }
        for (String dependency : dependencies.getOrDefault(path, List.of())) {
            visit(dependency, order, visiting);
        }
        order.add(path);
    }

    /** The module names in a kernel's {@code modules.builtin} (one path a line). */
    static java.util.Set<String> builtinNames(String text) {
        var names = new java.util.HashSet<String>();
        for (String line : text.split("\n")) {
            if (!line.isBlank()) {
                names.add(nameOf(line.strip()));
            }
        }
        return names;
    }
}
