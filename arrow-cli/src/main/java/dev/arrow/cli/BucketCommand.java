package dev.arrow.cli;

import static java.util.Map.entry;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.arrow.cli.client.ArrowClient;
import dev.arrow.cli.client.Json;
import dev.arrow.cli.client.RequestBody;
import java.io.OutputStream;
import java.net.http.HttpHeaders;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Map;
import java.util.function.Supplier;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code arrow bucket}: the node's object store, the buckets its S3 listener serves. */
@Command(
        name = "bucket",
        mixinStandardHelpOptions = true,
        usageHelpAutoWidth = true,
        description = {
            "Buckets and objects on the node, the same ones its S3 listener serves to aws, boto3 and s3cmd."
                    + " Objects stream from and to disk; a bucket is made by its first object or by create."
        })
final class BucketCommand extends CommandGroup {

    static final Map<String, Supplier<Object>> SUBCOMMANDS = subcommands(
            entry("ls", ListCommand::new),
            entry("create", Create::new),
            entry("rm", Remove::new),
            entry("put", Put::new),
            entry("get", Get::new),
            entry("rm-object", RemoveObject::new));

    BucketCommand() {
        super(SUBCOMMANDS);
    }

    @Command(
            name = "ls",
            aliases = "list",
            mixinStandardHelpOptions = true,
            usageHelpAutoWidth = true,
            description = {
                "Without BUCKET, lists the buckets: objects and bytes held, when made.",
                "With BUCKET, lists its objects in byte order of their keys: size, when written, type, ETag;"
                        + " follows the node's pages to the end, or to --limit objects."
            })
    static final class ListCommand extends NodeCommand {

        static final int PAGE = 1000;

        @Parameters(index = "0", arity = "0..1", paramLabel = "BUCKET", description = "The bucket whose objects to list.")
        String bucket;

        @Option(names = "--prefix", paramLabel = "P", description = "Only the keys that start with P.")
        String prefix;

        @Option(names = "--limit", paramLabel = "N", description = "At most N objects (default: all).")
        Integer limit;

        @Override
        public Integer call() throws Exception {
            if (bucket == null && (prefix != null || limit != null)) {
                throw CliException.usage("--prefix and --limit list a bucket's objects: name the BUCKET");
            }
            if (limit != null && limit < 1) {
                throw CliException.usage("--limit must be at least 1, not " + limit);
            }
            if (bucket == null) {
                return node.list(ArrowClient::buckets, (answer, now) -> {
                    var table = new TableFormatter()
                            .column("BUCKET")
                            .column("OBJECTS", TableFormatter.Align.RIGHT)
                            .column("SIZE", TableFormatter.Align.RIGHT)
                            .column("CREATED");
                    for (JsonNode info : answer.path("buckets")) {
                        table.row(info.path("name").asText(), info.path("objects").asText(),
                                Formats.size(info.path("bytes").asLong()), Formats.ago(info.path("createdAt"), now));
                    }
                    return table;
                });
            }
            ObjectNode listed = Json.object();
            listed.set("objects", node.pages((client, size, cursor) -> client.objectList(bucket, prefix, size, cursor),
                    PAGE, limit, "objects", "nextCursor"));
            return node.table(listed, (answer, now) -> {
                var table = new TableFormatter()
                        .column("KEY")
                        .column("SIZE", TableFormatter.Align.RIGHT)
                        .column("MODIFIED")
                        .column("TYPE")
                        .column("ETAG");
                for (JsonNode object : answer.path("objects")) {
                    table.row(object.path("key").asText(), Formats.size(object.path("size").asLong()),
                            Formats.ago(object.path("lastModified"), now), object.path("contentType").asText(),
                            object.path("etag").asText());
                }
                return table;
            });
        }
    }

    @Command(
            name = "create",
            mixinStandardHelpOptions = true,
            usageHelpAutoWidth = true,
            description = "Makes a bucket (a name by S3's rules: 3 to 63 of a-z 0-9 . -); one that exists is left as it is.")
    static final class Create extends NodeCommand {

        @Parameters(index = "0", paramLabel = "BUCKET", description = "The bucket.")
        String bucket;

        @Override
        public Integer call() throws Exception {
            JsonNode answer = node.fetch(client -> client.bucketCreate(bucket));
            return node.answer(answer, (answer.path("created").asBoolean() ? "created bucket " : "bucket exists: ") + bucket);
        }
    }

    @Command(
            name = "rm",
            mixinStandardHelpOptions = true,
            usageHelpAutoWidth = true,
            description = "Deletes an empty bucket (rm-object its objects first).")
    static final class Remove extends NodeCommand {

        @Parameters(index = "0", paramLabel = "BUCKET", description = "The bucket.")
        String bucket;

        @Override
        public Integer call() throws Exception {
            return node.send(client -> client.bucketDelete(bucket), "deleted bucket " + bucket);
        }
    }

    @Command(
            name = "put",
            mixinStandardHelpOptions = true,
            usageHelpAutoWidth = true,
            description = {
                "Writes an object from FILE, or from arrow's stdin with -, streamed (stdin is spooled to a temporary"
                        + " file first, as the node takes a length); prints its size and ETag (--json: the node's answer).",
                "Makes the bucket on its first object."
            })
    static final class Put extends NodeCommand {

        @Parameters(index = "0", paramLabel = "BUCKET", description = "The bucket.")
        String bucket;

        @Parameters(index = "1", paramLabel = "KEY", description = "The object's key.")
        String key;

        @Parameters(index = "2", paramLabel = "FILE", description = "The file to upload, or - for stdin.")
        String file;

        @Option(names = "--content-type", paramLabel = "TYPE",
                description = "The object's Content-Type (default: application/octet-stream).")
        String contentType;

        @Override
        public Integer call() throws Exception {
            CliContext context = node.context();
            Path spooled = null;
            try {
                Path source;
                if (file.equals("-")) {
                    spooled = Files.createTempFile("arrow-bucket-put-", ".tmp");
                    Files.copy(context.in(), spooled, StandardCopyOption.REPLACE_EXISTING);
                    source = spooled;
                } else {
                    source = Path.of(file);
                    if (!Files.isRegularFile(source) || !Files.isReadable(source)) {
                        throw CliException.usage(file + " is not a readable file");
                    }
                }
                JsonNode written = node.fetch(
                        client -> client.objectPut(bucket, key, RequestBody.ofFile(source), contentType, null));
                if (node.json) {
                    node.printJson(written);
                    return ExitStatus.OK;
                }
                context.out().println(bucket + "/" + key + " " + Formats.size(written.path("size").asLong()) + ", etag "
                        + written.path("etag").asText());
                context.out().flush();
                return ExitStatus.OK;
            } finally {
                if (spooled != null) {
                    Files.deleteIfExists(spooled);
                }
            }
        }
    }

    @Command(
            name = "get",
            mixinStandardHelpOptions = true,
            usageHelpAutoWidth = true,
            description = "Writes an object's body to stdout, or to FILE with -o, as it arrives.")
    static final class Get extends NodeCommand {

        @Parameters(index = "0", paramLabel = "BUCKET", description = "The bucket.")
        String bucket;

        @Parameters(index = "1", paramLabel = "KEY", description = "The object's key.")
        String key;

        @Option(names = {"-o", "--output"}, paramLabel = "FILE", description = "Write the body to FILE (replaced only"
                + " once the whole body is in).")
        Path output;

        @Override
        public Integer call() throws Exception {
            CliContext context = node.context();
            if (output == null) {
                try (ArrowClient client = node.client()) {
                    client.objectGet(bucket, key, context.out());
                }
                context.out().flush();
                return ExitStatus.OK;
            }
            Path target = output.toAbsolutePath();
            Path temp = Files.createTempFile(target.getParent(), "." + target.getFileName(), ".part");
            try {
                HttpHeaders headers;
                try (OutputStream out = Files.newOutputStream(temp); ArrowClient client = node.client()) {
                    headers = client.objectGet(bucket, key, out);
                }
                Files.move(temp, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
                if (!node.json) {
                    context.err().println("wrote " + Files.size(target) + " bytes to " + output + " (etag "
                            + headers.firstValue("ETag").orElse("?") + ")");
                    context.err().flush();
                }
                return ExitStatus.OK;
            } catch (Exception e) {
                Files.deleteIfExists(temp);
                throw e;
            }
        }
    }

    @Command(
            name = "rm-object",
            mixinStandardHelpOptions = true,
            usageHelpAutoWidth = true,
            description = "Deletes an object.")
    static final class RemoveObject extends NodeCommand {

        @Parameters(index = "0", paramLabel = "BUCKET", description = "The bucket.")
        String bucket;

        @Parameters(index = "1", paramLabel = "KEY", description = "The object's key.")
        String key;

        @Override
        public Integer call() throws Exception {
            return node.send(client -> client.objectDelete(bucket, key), "deleted " + bucket + "/" + key);
        }
    }
}
