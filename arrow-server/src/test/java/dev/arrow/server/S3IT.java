package dev.arrow.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.arrow.platform.invocations.DispatchSettings;
import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The S3 listener on a real node, driven by the S3 clients people use: Debian's {@code aws}
 * (awscli), boto3 from {@code /usr/bin/python3}, and {@code curl} on presigned URLs.
 */
class S3IT {

    private static final String AWS = "/usr/bin/aws";
    private static final String PYTHON = "/usr/bin/python3";

    @TempDir
    Path home;
    @TempDir
    Path work;

    private Node node;
    private NodeClient client;
    private URI s3;
    private String keyId;
    private String secret;

    @BeforeEach
    void start() throws Exception {
        node = Node.start(new NodeConfig("127.0.0.1", 0, home, DispatchSettings.DEFAULT).withPrewarm(0)
                .withS3Listen(Optional.of(new NodeConfig.Listen("127.0.0.1", 0))));
        client = new NodeClient(node);
        s3 = node.s3Uri().orElseThrow();
        JsonNode key = client.postJson("/v1/keys", "{\"name\":\"s3 test\"}").json();
        keyId = key.path("accessKeyId").asText();
        secret = key.path("secretAccessKey").asText();
        Files.writeString(work.resolve("aws-config"), """
                [default]
                region = us-east-1
                s3 =
                    addressing_style = path
                """);
    }

    @AfterEach
    void stop() {
        if (node != null) {
            node.close();
        }
    }

    record Run(int status, String stdout, String stderr) {
    }

    private Run run(List<String> command, String secretKey) throws Exception {
        var builder = new ProcessBuilder(command).directory(work.toFile());
        Map<String, String> env = builder.environment();
        env.put("AWS_CONFIG_FILE", work.resolve("aws-config").toString());
        env.put("AWS_SHARED_CREDENTIALS_FILE", work.resolve("no-credentials").toString());
        env.put("AWS_ACCESS_KEY_ID", keyId);
        env.put("AWS_SECRET_ACCESS_KEY", secretKey);
        env.put("AWS_EC2_METADATA_DISABLED", "true");
        env.put("AWS_ENDPOINT_URL", s3.toString());
        env.put("S3_ENDPOINT", s3.toString());
        env.remove("AWS_PROFILE");
        env.remove("AWS_SESSION_TOKEN");
        Path out = Files.createTempFile(work, "out", ".txt");
        Path err = Files.createTempFile(work, "err", ".txt");
        Process process = builder.redirectOutput(out.toFile()).redirectError(err.toFile()).start();
        process.getOutputStream().close();
        if (!process.waitFor(300, TimeUnit.SECONDS)) {
            process.destroyForcibly().waitFor();
        }
        return new Run(process.exitValue(), Files.readString(out), Files.readString(err));
    }

    private Run aws(String... args) throws Exception {
        var command = new ArrayList<>(List.of(AWS, "--endpoint-url", s3.toString()));
        command.addAll(List.of(args));
        return run(command, secret);
    }

    private Run ok(Run run) {
        assertThat(run.status()).as("stdout: %s%nstderr: %s", run.stdout(), run.stderr()).isZero();
        return run;
    }

    private Path randomFile(String name, int size, long seed) throws IOException {
        byte[] bytes = new byte[size];
        new Random(seed).nextBytes(bytes);
        Path file = work.resolve(name);
        Files.createDirectories(file.getParent());
        Files.write(file, bytes);
        return file;
    }

    @Test
    void bucketsAreCreatedListedAndDeletedOnlyWhenEmpty() throws Exception {
        ok(aws("s3", "mb", "s3://photos"));
        ok(aws("s3", "mb", "s3://videos.v2"));
        assertThat(ok(aws("s3", "ls")).stdout()).contains("photos").contains("videos.v2");
        ok(aws("s3api", "head-bucket", "--bucket", "photos"));
        assertThat(aws("s3api", "head-bucket", "--bucket", "missing").status()).isNotZero();
        Run invalid = aws("s3api", "create-bucket", "--bucket", "Bad_Name");
        assertThat(invalid.status()).isNotZero();
        assertThat(invalid.stderr()).contains("InvalidBucketName");

        ok(aws("s3", "cp", randomFile("a.bin", 10, 1).toString(), "s3://photos/a.bin"));
        Run full = aws("s3", "rb", "s3://photos");
        assertThat(full.status()).isNotZero();
        assertThat(full.stderr()).contains("BucketNotEmpty");
        ok(aws("s3", "rm", "s3://photos/a.bin"));
        ok(aws("s3", "rb", "s3://photos"));
        assertThat(ok(aws("s3", "ls")).stdout()).doesNotContain("photos").contains("videos.v2");
        Run gone = aws("s3", "ls", "s3://photos");
        assertThat(gone.status()).isNotZero();
        assertThat(gone.stderr()).contains("NoSuchBucket");
    }

    @Test
    void aSmallAndAMultipartFileGoUpAndComeBackWhole() throws Exception {
        ok(aws("s3", "mb", "s3://data"));
        Path small = randomFile("small.bin", 1024, 2);
        Path large = randomFile("large.bin", 50 << 20, 3);
        ok(aws("s3", "cp", small.toString(), "s3://data/in/small.bin"));
        ok(aws("s3", "cp", large.toString(), "s3://data/in/large.bin"));

        JsonNode head = NodeClient.JSON.readTree(ok(aws("s3api", "head-object", "--bucket", "data", "--key",
                "in/large.bin")).stdout());
        assertThat(head.path("ContentLength").asLong()).isEqualTo(50L << 20);
        assertThat(head.path("ETag").asText()).as("a multipart upload's ETag").matches("\"[0-9a-f]{32}-\\d+\"");

        Path back = work.resolve("back");
        ok(aws("s3", "cp", "s3://data/in/small.bin", back.resolve("small.bin").toString()));
        ok(aws("s3", "cp", "s3://data/in/large.bin", back.resolve("large.bin").toString()));
        assertThat(back.resolve("small.bin")).hasSameBinaryContentAs(small);
        assertThat(back.resolve("large.bin")).hasSameBinaryContentAs(large);

        // A range, as S3 answers it.
        ok(aws("s3api", "get-object", "--bucket", "data", "--key", "in/small.bin", "--range", "bytes=100-199",
                back.resolve("range.bin").toString()));
        byte[] all = Files.readAllBytes(small);
        assertThat(Files.readAllBytes(back.resolve("range.bin"))).isEqualTo(java.util.Arrays.copyOfRange(all, 100, 200));
    }

    @Test
    void syncUpAndDownAndListRecursively() throws Exception {
        ok(aws("s3", "mb", "s3://site"));
        Path tree = work.resolve("tree");
        randomFile("tree/index.html", 300, 4);
        randomFile("tree/css/main.css", 2000, 5);
        randomFile("tree/img/logo one.png", 5000, 6);
        randomFile("tree/img/nested/deep/ü.txt", 10, 7);
        ok(aws("s3", "sync", tree.toString(), "s3://site/www"));
        String listing = ok(aws("s3", "ls", "--recursive", "s3://site/")).stdout();
        assertThat(listing).contains("www/index.html", "www/css/main.css", "www/img/logo one.png",
                "www/img/nested/deep/ü.txt");
        assertThat(listing.lines().count()).isEqualTo(4);
        assertThat(ok(aws("s3", "ls", "s3://site/www/")).stdout()).contains("PRE css/", "PRE img/", "index.html");

        // Nothing changed: a second sync uploads nothing.
        assertThat(ok(aws("s3", "sync", tree.toString(), "s3://site/www")).stdout()).isBlank();

        Path copy = work.resolve("copy");
        ok(aws("s3", "sync", "s3://site/www", copy.toString()));
        try (Stream<Path> files = Files.walk(tree)) {
            for (Path file : files.filter(Files::isRegularFile).toList()) {
                assertThat(copy.resolve(tree.relativize(file))).hasSameBinaryContentAs(file);
            }
        }
    }

    @Test
    void aPresignedUrlWorksWithCurlUntilTampered() throws Exception {
        ok(aws("s3", "mb", "s3://shared"));
        Path file = randomFile("report.pdf", 4096, 8);
        ok(aws("s3", "cp", file.toString(), "s3://shared/reports/report.pdf"));
        String url = ok(aws("s3", "presign", "s3://shared/reports/report.pdf", "--expires-in", "300")).stdout().strip();
        assertThat(url).contains("X-Amz-Signature=");

        Path fetched = work.resolve("fetched.pdf");
        Run curl = run(List.of("curl", "-sS", "-f", "-o", fetched.toString(), url), secret);
        assertThat(curl.status()).as(curl.stderr()).isZero();
        assertThat(fetched).hasSameBinaryContentAs(file);

        String tampered = url.replace("reports/report.pdf", "reports/other.pdf");
        Run refused = run(List.of("curl", "-sS", "-w", "%{http_code}", "-o", work.resolve("err.xml").toString(), tampered),
                secret);
        assertThat(refused.stdout()).isEqualTo("403");
        assertThat(Files.readString(work.resolve("err.xml"))).contains("<Code>SignatureDoesNotMatch</Code>");
    }

    @Test
    void aWrongSecretIsRefused() throws Exception {
        ok(aws("s3", "mb", "s3://private"));
        var command = new ArrayList<>(List.of(AWS, "--endpoint-url", s3.toString(), "s3", "ls", "s3://private"));
        Run refused = run(command, secret.substring(1) + "x");
        assertThat(refused.status()).isNotZero();
        assertThat(refused.stderr()).contains("SignatureDoesNotMatch");

        // No signature at all: refused too, with S3's XML error.
        Run anonymous = run(List.of("curl", "-sS", "-w", "\n%{http_code}", s3 + "/private"), secret);
        assertThat(anonymous.stdout()).contains("<Code>AccessDenied</Code>").endsWith("403");
    }

    @Test
    void boto3PutsGetsListsCopiesDeletesAndUploadsInParts() throws Exception {
        Path script = work.resolve("boto.py");
        Files.writeString(script, """
                import hashlib, os, boto3
                from botocore.config import Config
                from botocore.exceptions import ClientError
                s3 = boto3.client("s3", endpoint_url=os.environ["S3_ENDPOINT"], region_name="us-east-1",
                                  config=Config(s3={"addressing_style": "path"}))
                s3.create_bucket(Bucket="boto")
                put = s3.put_object(Bucket="boto", Key="a/b.txt", Body=b"hello boto", ContentType="text/plain",
                                    Metadata={"color": "blue"})
                assert put["ETag"] == '"%s"' % hashlib.md5(b"hello boto").hexdigest(), put
                got = s3.get_object(Bucket="boto", Key="a/b.txt")
                assert got["Body"].read() == b"hello boto"
                assert got["ContentType"] == "text/plain", got["ContentType"]
                assert got["Metadata"] == {"color": "blue"}, got["Metadata"]
                part = s3.get_object(Bucket="boto", Key="a/b.txt", Range="bytes=6-")
                assert part["Body"].read() == b"boto" and part["ResponseMetadata"]["HTTPStatusCode"] == 206
                for i in range(5):
                    s3.put_object(Bucket="boto", Key="many/%d" % i, Body=b"x" * i)
                pages = s3.get_paginator("list_objects_v2").paginate(Bucket="boto", Prefix="many/", PaginationConfig={"PageSize": 2})
                keys = [o["Key"] for page in pages for o in page.get("Contents", [])]
                assert keys == ["many/%d" % i for i in range(5)], keys
                top = s3.list_objects_v2(Bucket="boto", Delimiter="/")
                assert [p["Prefix"] for p in top["CommonPrefixes"]] == ["a/", "many/"], top
                s3.copy_object(Bucket="boto", Key="copy.txt", CopySource={"Bucket": "boto", "Key": "a/b.txt"})
                assert s3.get_object(Bucket="boto", Key="copy.txt")["Body"].read() == b"hello boto"
                deleted = s3.delete_objects(Bucket="boto", Delete={"Objects": [{"Key": "many/%d" % i} for i in range(5)]})
                assert len(deleted["Deleted"]) == 5, deleted
                assert "Contents" not in s3.list_objects_v2(Bucket="boto", Prefix="many/")
                try:
                    s3.get_object(Bucket="boto", Key="many/0")
                    raise AssertionError("a deleted key was found")
                except ClientError as e:
                    assert e.response["Error"]["Code"] == "NoSuchKey", e.response
                try:
                    s3.put_object(Bucket="boto", Key="bad", Body=b"abc", ContentMD5="1B2M2Y8AsgTpgAmY7PhCfg==")
                    raise AssertionError("a wrong Content-MD5 was taken")
                except ClientError as e:
                    assert e.response["Error"]["Code"] == "BadDigest", e.response
                assert "Contents" not in s3.list_objects_v2(Bucket="boto", Prefix="bad"), "a body that failed was kept"
                def refused(code, call, **args):
                    try:
                        call(**args)
                    except ClientError as e:
                        assert e.response["Error"]["Code"] == code, (code, e.response)
                        return
                    raise AssertionError("not refused: %s" % args)
                refused("InvalidArgument", s3.put_object, Bucket="boto", Key="a/../b", Body=b"x")
                refused("NoSuchBucket", s3.put_object, Bucket="nobucket", Key="k", Body=b"x")
                refused("InvalidBucketName", s3.create_bucket, Bucket="no_such")
                refused("InvalidRange", s3.get_object, Bucket="boto", Key="a/b.txt", Range="bytes=100-")
                refused("BucketNotEmpty", s3.delete_bucket, Bucket="boto")
                refused("NotImplemented", s3.get_bucket_acl, Bucket="boto")
                assert "Contents" not in s3.list_objects_v2(Bucket="boto", Prefix="a/..")
                upload = s3.create_multipart_upload(Bucket="boto", Key="big.bin", ContentType="application/x-big")
                first, second = os.urandom(5 * 1024 * 1024), os.urandom(1000)
                p1 = s3.upload_part(Bucket="boto", Key="big.bin", UploadId=upload["UploadId"], PartNumber=1, Body=first)
                p2 = s3.upload_part(Bucket="boto", Key="big.bin", UploadId=upload["UploadId"], PartNumber=2, Body=second)
                listed = s3.list_parts(Bucket="boto", Key="big.bin", UploadId=upload["UploadId"])
                assert [p["PartNumber"] for p in listed["Parts"]] == [1, 2], listed
                done = s3.complete_multipart_upload(Bucket="boto", Key="big.bin", UploadId=upload["UploadId"],
                    MultipartUpload={"Parts": [{"PartNumber": 1, "ETag": p1["ETag"]}, {"PartNumber": 2, "ETag": p2["ETag"]}]})
                assert done["ETag"].endswith('-2"'), done
                big = s3.get_object(Bucket="boto", Key="big.bin")
                assert big["Body"].read() == first + second and big["ContentType"] == "application/x-big"
                aborted = s3.create_multipart_upload(Bucket="boto", Key="never.bin")
                s3.abort_multipart_upload(Bucket="boto", Key="never.bin", UploadId=aborted["UploadId"])
                try:
                    s3.list_parts(Bucket="boto", Key="never.bin", UploadId=aborted["UploadId"])
                    raise AssertionError("an aborted upload was found")
                except ClientError as e:
                    assert e.response["Error"]["Code"] == "NoSuchUpload", e.response
                print("ok")
                """);
        Run boto = run(List.of(PYTHON, script.toString()), secret);
        assertThat(boto.status()).as("stdout: %s%nstderr: %s", boto.stdout(), boto.stderr()).isZero();
        assertThat(boto.stdout().strip()).isEqualTo("ok");
    }

    @Test
    void aTruncatedBodyOrPartStoresNothing() throws Exception {
        Path script = work.resolve("truncated.py");
        Files.writeString(script, """
                import os, socket, boto3
                from urllib.parse import urlparse
                from botocore.auth import S3SigV4Auth
                from botocore.awsrequest import AWSRequest
                from botocore.config import Config
                from botocore.credentials import Credentials
                endpoint = os.environ["S3_ENDPOINT"]
                s3 = boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1",
                                  config=Config(s3={"addressing_style": "path"}))
                s3.create_bucket(Bucket="cut")
                upload = s3.create_multipart_upload(Bucket="cut", Key="parts.bin")["UploadId"]
                credentials = Credentials(os.environ["AWS_ACCESS_KEY_ID"], os.environ["AWS_SECRET_ACCESS_KEY"])

                def cut(path):
                    body = os.urandom(100000)
                    request = AWSRequest(method="PUT", url=endpoint + path, data=body)
                    S3SigV4Auth(credentials, "s3", "us-east-1").add_auth(request)
                    target = urlparse(endpoint)
                    head = "PUT %s HTTP/1.1\\r\\n" % path
                    head += "Host: %s\\r\\n" % target.netloc
                    for name, value in request.headers.items():
                        if name.lower() not in ("host", "content-length"):
                            head += "%s: %s\\r\\n" % (name, value)
                    head += "Content-Length: %d\\r\\n\\r\\n" % len(body)
                    with socket.create_connection((target.hostname, target.port)) as sock:
                        sock.sendall(head.encode() + body[:50000])
                        sock.shutdown(socket.SHUT_WR)
                        answer = b""
                        while True:
                            chunk = sock.recv(65536)
                            if not chunk:
                                break
                            answer += chunk
                    assert answer.startswith(b"HTTP/1.1 400") and b"<Code>IncompleteBody</Code>" in answer, answer

                cut("/cut/whole.bin")
                cut("/cut/parts.bin?partNumber=1&uploadId=" + upload)
                assert "Contents" not in s3.list_objects_v2(Bucket="cut"), "a truncated body was kept"
                assert s3.list_parts(Bucket="cut", Key="parts.bin", UploadId=upload).get("Parts", []) == []
                print("ok")
                """);
        Run run = run(List.of(PYTHON, script.toString()), secret);
        assertThat(run.status()).as("stdout: %s%nstderr: %s", run.stdout(), run.stderr()).isZero();
        assertThat(run.stdout().strip()).isEqualTo("ok");
        try (Stream<Path> files = Files.walk(home.resolve("objects"))) {
            assertThat(files.filter(Files::isRegularFile).toList()).as("no body file is left").isEmpty();
        }
    }

    @Test
    void theRestApiSeesTheSameBuckets() throws Exception {
        ok(aws("s3", "mb", "s3://shared"));
        ok(aws("s3", "cp", randomFile("x.txt", 100, 9).toString(), "s3://shared/x.txt"));
        JsonNode buckets = client.get("/v1/buckets").json().path("buckets");
        assertThat(buckets).hasSize(1);
        assertThat(buckets.get(0).path("name").asText()).isEqualTo("shared");
        assertThat(buckets.get(0).path("objects").asLong()).isEqualTo(1);
        assertThat(buckets.get(0).path("bytes").asLong()).isEqualTo(100);
        NodeClient.Reply put = client.call("PUT", "/v1/buckets/shared/objects/from%20rest.txt", "text/plain",
                "via rest".getBytes(StandardCharsets.UTF_8), Map.of());
        assertThat(put.status()).as(put.text()).isEqualTo(200);
        Path fetched = work.resolve("from-rest.txt");
        ok(aws("s3", "cp", "s3://shared/from rest.txt", fetched.toString()));
        assertThat(fetched).hasContent("via rest");
    }
}
