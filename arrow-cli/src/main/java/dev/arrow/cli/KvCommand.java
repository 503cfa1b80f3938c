package dev.arrow.cli;

import static java.util.Map.entry;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.arrow.cli.client.ArrowClient;
import dev.arrow.cli.client.Json;
import dev.arrow.cli.client.KvValue;
import dev.arrow.cli.client.RequestBody;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Base64;
import java.util.Map;
import java.util.function.Supplier;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code arrow kv}: the node's key-value stores. */
@Command(
        name = "kv",
        mixinStandardHelpOptions = true,
        usageHelpAutoWidth = true,
        description = {
            "Key-value stores on the node: values up to 1 MiB under keys of up to 1 KiB of UTF-8, each write a new"
                    + " revision of its store. A store is made by its first write."
        })
final class KvCommand extends CommandGroup {

    /** The most a value may be, as the node takes it. */
    static final int MAX_VALUE_BYTES = 1 << 20;

    static final Map<String, Supplier<Object>> SUBCOMMANDS = subcommands(
            entry("put", Put::new),
            entry("get", Get::new),
            entry("ls", ListKeys::new),
            entry("rm", Remove::new),
            entry("stores", Stores::new));

    KvCommand() {
        super(SUBCOMMANDS);
    }

    /** "STORE/KEY", as the commands name a key. */
    private static String where(String store, String key) {
        return store + "/" + key;
    }

    @Command(
            name = "put",
            mixinStandardHelpOptions = true,
            sortOptions = false,
            usageHelpAutoWidth = true,
            description = {
                "Writes a key's value as its next revision and prints the revision (--json: the node's answer).",
                "VALUE is the value itself, @FILE a file's bytes, or - arrow's own stdin.",
                "With --if-revision or --create-only, a key that is not as asked is left alone: exit status 2."
            })
    static final class Put extends NodeCommand {

        @Parameters(index = "0", paramLabel = "STORE", description = "The store; made with the defaults if absent.")
        String store;

        @Parameters(index = "1", paramLabel = "KEY", description = "The key.")
        String key;

        @Parameters(index = "2", paramLabel = "VALUE", description = "The value, @FILE or -.")
        String value;

        @Option(names = "--ttl", paramLabel = "TIME", converter = Converters.Time.class,
                description = "Let the value expire after TIME, e.g. 30s, 10m, 24h (1s to 365 days).")
        Duration ttl;

        @Option(names = "--if-revision", paramLabel = "N",
                description = "Write only if the key is at revision N (compare-and-set).")
        Long ifRevision;

        @Option(names = "--create-only", description = "Write only if the key is absent.")
        boolean createOnly;

        @Override
        public Integer call() throws Exception {
            if (createOnly && ifRevision != null) {
                throw CliException.usage("--create-only and --if-revision exclude each other: a key absent has no revision");
            }
            CliContext context = node.context();
            RequestBody body = Inputs.body(value, "VALUE", context, MAX_VALUE_BYTES, Put::checkSize);
            JsonNode written = node.fetch(client -> client.kvPut(store, key, body, ttl, ifRevision, createOnly));
            if (node.json) {
                node.printJson(written);
                return ExitStatus.OK;
            }
            JsonNode expiresAt = written.path("expiresAt");
            context.out().println(where(store, key) + " revision " + written.path("revision").asText()
                    + (expiresAt.isTextual() ? ", expires at " + expiresAt.asText() : ""));
            context.out().flush();
            return ExitStatus.OK;
        }

        private static void checkSize(long bytes, String what) throws CliException {
            if (bytes > MAX_VALUE_BYTES) {
                throw CliException.usage(what + " holds more than 1 MiB: a value is at most " + MAX_VALUE_BYTES + " bytes");
            }
        }
    }

    @Command(
            name = "get",
            mixinStandardHelpOptions = true,
            usageHelpAutoWidth = true,
            description = {
                "Writes a key's value to stdout as it is.",
                "--json prints {\"store\",\"key\",\"revision\",\"expiresAt\"?} with the value as \"value\" (UTF-8)"
                        + " or \"valueBase64\"."
            })
    static final class Get extends NodeCommand {

        @Parameters(index = "0", paramLabel = "STORE", description = "The store.")
        String store;

        @Parameters(index = "1", paramLabel = "KEY", description = "The key.")
        String key;

        @Option(names = "--revision", description = "Also print the key's revision on stderr: 'revision N'.")
        boolean revision;

        @Override
        public Integer call() throws Exception {
            CliContext context = node.context();
            KvValue found = node.fetch(client -> client.kvGet(store, key));
            if (node.json) {
                ObjectNode out = Json.object();
                out.put("store", store);
                out.put("key", key);
                out.put("revision", found.revision());
                found.expiresAt().ifPresent(at -> out.put("expiresAt", at));
                String text = utf8(found.value());
                if (text != null) {
                    out.put("value", text);
                } else {
                    out.put("valueBase64", Base64.getEncoder().encodeToString(found.value()));
                }
                node.printJson(out);
                return ExitStatus.OK;
            }
            if (revision) {
                context.err().println("revision " + found.revision());
                context.err().flush();
            }
            context.out().write(found.value());
            context.out().flush();
            return ExitStatus.OK;
        }

        private static String utf8(byte[] bytes) {
            try {
                return StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                        .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(bytes)).toString();
            } catch (CharacterCodingException e) {
                return null;
            }
        }
    }

    @Command(
            name = "ls",
            aliases = "list",
            mixinStandardHelpOptions = true,
            usageHelpAutoWidth = true,
            description = "Lists a store's keys in byte order: revision, value size, when written, expiry. Follows"
                    + " the node's pages to the end, or to --limit keys.")
    static final class ListKeys extends NodeCommand {

        /** The most keys the node answers in one page. */
        static final int PAGE = 1000;

        @Parameters(index = "0", paramLabel = "STORE", description = "The store.")
        String store;

        @Option(names = "--prefix", paramLabel = "P", description = "Only the keys that start with P.")
        String prefix;

        @Option(names = "--limit", paramLabel = "N", description = "At most N keys (default: all).")
        Integer limit;

        @Override
        public Integer call() throws Exception {
            if (limit != null && limit < 1) {
                throw CliException.usage("--limit must be at least 1, not " + limit);
            }
            ObjectNode listed = Json.object();
            listed.set("keys", node.pages((client, size, cursor) -> client.kvList(store, prefix, size, cursor), PAGE,
                    limit, "keys", "next"));
            return node.table(listed, (answer, now) -> {
                var table = new TableFormatter()
                        .column("KEY")
                        .column("REVISION", TableFormatter.Align.RIGHT)
                        .column("SIZE", TableFormatter.Align.RIGHT)
                        .column("MODIFIED")
                        .column("EXPIRES");
                for (JsonNode key : answer.path("keys")) {
                    table.row(key.path("key").asText(), key.path("revision").asText(),
                            Formats.size(key.path("size").asLong()), Formats.ago(key.path("modifiedAt"), now),
                            key.path("expiresAt").isTextual() ? Formats.in(key.path("expiresAt"), now) : null);
                }
                return table;
            });
        }
    }

    @Command(
            name = "rm",
            mixinStandardHelpOptions = true,
            usageHelpAutoWidth = true,
            description = "Deletes a key.")
    static final class Remove extends NodeCommand {

        @Parameters(index = "0", paramLabel = "STORE", description = "The store.")
        String store;

        @Parameters(index = "1", paramLabel = "KEY", description = "The key.")
        String key;

        @Option(names = "--if-revision", paramLabel = "N", description = "Delete only if the key is at revision N.")
        Long ifRevision;

        @Override
        public Integer call() throws Exception {
            return node.send(client -> client.kvDelete(store, key, ifRevision), "deleted " + where(store, key));
        }
    }

    @Command(
            name = "stores",
            mixinStandardHelpOptions = true,
            usageHelpAutoWidth = true,
            description = "Lists the key-value stores: keys and bytes held, their caps, the last revision.")
    static final class Stores extends NodeCommand {

        @Override
        public Integer call() throws Exception {
            return node.list(ArrowClient::kvStores, (answer, now) -> {
                var table = new TableFormatter()
                        .column("STORE")
                        .column("KEYS", TableFormatter.Align.RIGHT)
                        .column("MAX KEYS", TableFormatter.Align.RIGHT)
                        .column("BYTES", TableFormatter.Align.RIGHT)
                        .column("MAX BYTES", TableFormatter.Align.RIGHT)
                        .column("REVISION", TableFormatter.Align.RIGHT)
                        .column("CREATED");
                for (JsonNode store : answer.path("stores")) {
                    table.row(store.path("name").asText(), store.path("keys").asText(), store.path("maxKeys").asText(),
                            Formats.size(store.path("bytes").asLong()), Formats.size(store.path("maxBytes").asLong()),
                            store.path("revision").asText(), Formats.ago(store.path("createdAt"), now));
                }
                return table;
            });
        }
    }
}
