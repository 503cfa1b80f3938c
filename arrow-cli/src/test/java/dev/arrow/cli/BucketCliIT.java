package dev.arrow.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * {@code arrow bucket} against a real {@code arrow serve} process, and what an object acknowledged
 * to a client is worth: the node killed with SIGKILL right after, and started again on the same
 * home, with the object read back through both doors (the CLI and the S3 listener, by awscli).
 */
class BucketCliIT extends ServedNode {

    @Test
    void theBucketCommandsAgainstANode() throws Exception {
        startNode();
        assertThat(arrow("", "bucket", "create", "photos").stdout()).isEqualTo("created bucket photos\n");
        assertThat(arrow("", "bucket", "create", "photos").stdout()).isEqualTo("bucket exists: photos\n");

        Path file = home.resolve("cat.jpg");
        byte[] bytes = new byte[300_000];
        new Random(1).nextBytes(bytes);
        Files.write(file, bytes);
        Run put = arrow("", "bucket", "put", "photos", "2024/cat.jpg", file.toString(), "--content-type", "image/jpeg");
        assertThat(put.status()).as(put.stderr()).isZero();
        assertThat(put.stdout()).startsWith("photos/2024/cat.jpg ").contains("etag ");
        Run fromStdin = arrow("a note\n", "bucket", "put", "notes", "todo.txt", "-");
        assertThat(fromStdin.status()).as(fromStdin.stderr()).isZero();

        Run buckets = arrow("", "bucket", "ls");
        assertThat(buckets.stdout()).contains("photos").contains("notes");
        Run objects = arrow("", "bucket", "ls", "photos", "--prefix", "2024/");
        assertThat(objects.stdout()).contains("2024/cat.jpg").contains("image/jpeg");
        assertThat(arrow("", "bucket", "ls", "photos", "--prefix", "2025/").stdout()).doesNotContain("cat.jpg");

        assertThat(arrow("", "bucket", "get", "notes", "todo.txt").stdout()).isEqualTo("a note\n");
        Path back = home.resolve("back.jpg");
        Run got = arrow("", "bucket", "get", "photos", "2024/cat.jpg", "-o", back.toString());
        assertThat(got.status()).as(got.stderr()).isZero();
        assertThat(back).hasBinaryContent(bytes);

        Run notEmpty = arrow("", "bucket", "rm", "photos");
        assertThat(notEmpty.status()).isEqualTo(ExitStatus.REJECTED);
        assertThat(notEmpty.stderr()).startsWith("arrow: ").contains("not empty");
        assertThat(arrow("", "bucket", "rm-object", "photos", "2024/cat.jpg").stdout())
                .isEqualTo("deleted photos/2024/cat.jpg\n");
        assertThat(arrow("", "bucket", "get", "photos", "2024/cat.jpg").status()).isEqualTo(ExitStatus.NOT_FOUND);
        assertThat(arrow("", "bucket", "rm", "photos").stdout()).isEqualTo("deleted bucket photos\n");
        Run bad = arrow("", "bucket", "create", "Bad_Bucket");
        assertThat(bad.status()).isEqualTo(ExitStatus.REJECTED);
        assertThat(bad.stderr()).contains("bucket");
    }

    @Test
    void whatTheNodeAcknowledgedSurvivesAKill9() throws Exception {
        startNode();
        Run key = arrow("", "keys", "create", "--json");
        assertThat(key.status()).as(key.stderr()).isZero();
        var json = new com.fasterxml.jackson.databind.ObjectMapper().readTree(key.stdout());
        Path config = home.resolve("aws-config");
        Files.writeString(config, "[default]\nregion = us-east-1\ns3 =\n    addressing_style = path\n");

        Path big = home.resolve("big.bin");
        byte[] bytes = new byte[12 << 20]; // past awscli's 8 MiB threshold: a multipart upload
        new Random(2).nextBytes(bytes);
        Files.write(big, bytes);
        Run cli = arrow("", "bucket", "put", "durable", "by-cli.txt", "-");
        assertThat(cli.status()).as(cli.stderr()).isZero();
        assertThat(aws(config, json.path("accessKeyId").asText(), json.path("secretAccessKey").asText(),
                "s3", "cp", big.toString(), "s3://durable/by-aws.bin")).isZero();

        node.destroyForcibly(); // SIGKILL: no shutdown hook, no checkpoint, no close
        assertThat(node.waitFor(20, TimeUnit.SECONDS)).isTrue();
        startNode();

        Path back = home.resolve("back.bin");
        assertThat(arrow("", "bucket", "get", "durable", "by-aws.bin", "-o", back.toString()).status()).isZero();
        assertThat(back).hasBinaryContent(bytes);
        Path viaS3 = home.resolve("via-s3.bin");
        assertThat(aws(config, json.path("accessKeyId").asText(), json.path("secretAccessKey").asText(),
                "s3", "cp", "s3://durable/by-aws.bin", viaS3.toString())).isZero();
        assertThat(viaS3).hasBinaryContent(bytes);
        assertThat(arrow("", "bucket", "ls", "durable").stdout()).contains("by-cli.txt").contains("by-aws.bin");
        // Nothing half-written is left: the bodies on disk are the two objects'.
        try (var files = Files.walk(home.resolve("objects"))) {
            assertThat(files.filter(Files::isRegularFile).count()).isEqualTo(2);
        }
    }

    @Test
    void anUploadCutByAKill9LeavesNothing() throws Exception {
        startNode();
        assertThat(arrow("", "bucket", "create", "cut").status()).isZero();
        String token = Files.readString(home.resolve("token")).strip();
        java.net.URI base = java.net.URI.create(url);
        try (var socket = new java.net.Socket(base.getHost(), base.getPort())) {
            OutputStream out = socket.getOutputStream();
            out.write(("PUT /v1/buckets/cut/objects/half.bin HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + token
                    + "\r\nContent-Length: " + (64 << 20) + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
            byte[] chunk = new byte[1 << 20];
            for (int i = 0; i < 8; i++) {
                out.write(chunk);
            }
            out.flush();
            // The node is mid-body: its temporary file has the first MiBs.
            node.destroyForcibly(); // SIGKILL, mid-upload
            assertThat(node.waitFor(20, TimeUnit.SECONDS)).isTrue();
        }
        startNode();
        assertThat(arrow("", "bucket", "get", "cut", "half.bin").status()).isEqualTo(ExitStatus.NOT_FOUND);
        assertThat(arrow("", "bucket", "ls", "cut", "--json").stdout()).contains("\"objects\" : [ ]");
        try (var files = Files.walk(home.resolve("objects"))) {
            assertThat(files.filter(Files::isRegularFile).toList()).as("no half-written body is left").isEmpty();
        }
    }

    private int aws(Path config, String keyId, String secret, String... args) throws Exception {
        var command = new java.util.ArrayList<>(List.of("/usr/bin/aws", "--endpoint-url", s3Url));
        command.addAll(List.of(args));
        var builder = new ProcessBuilder(command).redirectErrorStream(true);
        Map<String, String> env = builder.environment();
        env.put("AWS_CONFIG_FILE", config.toString());
        env.put("AWS_SHARED_CREDENTIALS_FILE", home.resolve("no-credentials").toString());
        env.put("AWS_ACCESS_KEY_ID", keyId);
        env.put("AWS_SECRET_ACCESS_KEY", secret);
        env.put("AWS_EC2_METADATA_DISABLED", "true");
        env.remove("AWS_PROFILE");
        Process process = builder.start();
        process.getOutputStream().close();
        String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(process.waitFor(120, TimeUnit.SECONDS)).isTrue();
        assertThat(process.exitValue()).as(output).isZero();
        return process.exitValue();
    }
}
