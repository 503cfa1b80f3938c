package dev.arrow.cli;

import java.util.Collection;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.function.Supplier;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * A command that only groups subcommands ({@code arrow kv}, {@code arrow queue}, ...): run on its
 * own it is a usage error that lists them.
 */
abstract class CommandGroup implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    private final Map<String, Supplier<Object>> subcommands;

    CommandGroup(Map<String, Supplier<Object>> subcommands) {
        this.subcommands = subcommands;
    }

    /**
     * The subcommands by name, in the order the help and the usage error list them: as for the
     * top-level commands, a command line that names one builds only its model.
     */
    @SafeVarargs
    static Map<String, Supplier<Object>> subcommands(Map.Entry<String, Supplier<Object>>... commands) {
        var map = new LinkedHashMap<String, Supplier<Object>>();
        for (var command : commands) {
            map.put(command.getKey(), command.getValue());
        }
        return Collections.unmodifiableMap(map);
    }

    @Override
    public Integer call() {
        throw new ParameterException(spec.commandLine(), usage(spec.name(), subcommands.keySet()));
    }

    /** "give a kv command: put, get, ls, rm or stores". */
    static String usage(String group, Collection<String> names) {
        List<String> list = List.copyOf(names);
        String article = "aeiou".indexOf(group.charAt(0)) >= 0 ? "an" : "a";
        String last = list.getLast();
        List<String> rest = list.subList(0, list.size() - 1);
        return "give " + article + " " + group + " command: "
                + (rest.isEmpty() ? last : String.join(", ", rest) + " or " + last);
    }
}
