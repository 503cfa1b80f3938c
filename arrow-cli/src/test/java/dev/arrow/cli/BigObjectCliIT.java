package dev.arrow.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.DigestInputStream;
import java.security.DigestOutputStream;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * A 2 GiB object through a node whose heap is 256 MiB: up with {@code arrow bucket put} (one
 * streamed PUT), down through the S3 listener with awscli (ranged GETs in parallel). Neither side
 * may hold the body: the heap could not.
 */
class BigObjectCliIT extends ServedNode {

    private static final long SIZE = 2L << 30;

    @Test
    void aTwoGibObjectPassesThroughA256MibHeap() throws Exception {
        startNode(List.of("-Xmx256m"));
        Path big = home.resolve("big.bin");
        String md5 = write(big);

        Run put = arrow("", "bucket", "put", "large", "big.bin", big.toString());
        assertThat(put.status()).as(put.stderr()).isZero();
        assertThat(put.stdout()).contains("etag " + md5);

        Run key = arrow("", "keys", "create", "--json");
        var json = new com.fasterxml.jackson.databind.ObjectMapper().readTree(key.stdout());
        Path config = home.resolve("aws-config");
        Files.writeString(config, "[default]\nregion = us-east-1\ns3 =\n    addressing_style = path\n");
        Path back = home.resolve("back.bin");
        var builder = new ProcessBuilder("/usr/bin/aws", "--endpoint-url", s3Url, "s3", "cp", "s3://large/big.bin",
                back.toString()).redirectErrorStream(true);
        Map<String, String> env = builder.environment();
        env.put("AWS_CONFIG_FILE", config.toString());
        env.put("AWS_SHARED_CREDENTIALS_FILE", home.resolve("no-credentials").toString());
        env.put("AWS_ACCESS_KEY_ID", json.path("accessKeyId").asText());
        env.put("AWS_SECRET_ACCESS_KEY", json.path("secretAccessKey").asText());
        env.put("AWS_EC2_METADATA_DISABLED", "true");
        env.remove("AWS_PROFILE");
        Process aws = builder.start();
        aws.getOutputStream().close();
        String output = new String(aws.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(aws.waitFor(600, TimeUnit.SECONDS)).isTrue();
        assertThat(aws.exitValue()).as(output).isZero();
        Files.delete(big);

        assertThat(Files.size(back)).isEqualTo(SIZE);
        assertThat(md5(back)).isEqualTo(md5);
        assertThat(node.isAlive()).as("the node lived through it").isTrue();
    }

    /** SIZE bytes that do not repeat (a random 1 MiB block, each copy with its index), streamed; their MD5. */
    private static String write(Path file) throws IOException {
        MessageDigest md5 = md5();
        byte[] block = new byte[1 << 20];
        new Random(1).nextBytes(block);
        try (OutputStream out = new DigestOutputStream(Files.newOutputStream(file), md5)) {
            for (long i = 0; i < SIZE / block.length; i++) {
                block[0] = (byte) i;
                block[1] = (byte) (i >>> 8);
                out.write(block);
            }
        }
        return HexFormat.of().formatHex(md5.digest());
    }

    private static String md5(Path file) throws IOException {
        MessageDigest md5 = md5();
        try (InputStream in = new DigestInputStream(Files.newInputStream(file), md5)) {
            in.transferTo(OutputStream.nullOutputStream());
        }
        return HexFormat.of().formatHex(md5.digest());
    }

    private static MessageDigest md5() {
        try {
            return MessageDigest.getInstance("MD5");
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
