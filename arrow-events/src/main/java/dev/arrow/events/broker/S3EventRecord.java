package dev.arrow.events.broker;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.arrow.events.triggers.Trigger;
import java.io.UncheckedIOException;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.time.Instant;

/** S3's event notification record, version 2.1: what code written for S3 and Lambda reads. */
final class S3EventRecord {

    private static final ObjectMapper JSON = new ObjectMapper();

    private S3EventRecord() {
    }

    static String json(String bucket, Trigger.BucketEvent change, String key, long size, String etag, String sequencer,
            Instant at) {
        ObjectNode root = JSON.createObjectNode();
        ObjectNode record = root.putArray("Records").addObject();
        record.put("eventVersion", "2.1").put("eventSource", "arrow:s3").put("awsRegion", "us-east-1")
                .put("eventTime", at.toString())
                .put("eventName", change == Trigger.BucketEvent.CREATED ? "ObjectCreated:Put" : "ObjectRemoved:Delete");
        record.putObject("userIdentity").put("principalId", "arrow");
        record.putObject("requestParameters").put("sourceIPAddress", "127.0.0.1");
        record.putObject("responseElements");
        ObjectNode s3 = record.putObject("s3");
        s3.put("s3SchemaVersion", "1.0").put("configurationId", "arrow");
        s3.putObject("bucket").put("name", bucket).put("arn", "arn:aws:s3:::" + bucket)
                .putObject("ownerIdentity").put("principalId", "arrow");
        // S3 sends keys URL-encoded in event records (spaces as '+', slashes kept).
        ObjectNode object = s3.putObject("object").put("key", URLEncoder.encode(key, StandardCharsets.UTF_8).replace("%2F", "/"))
                .put("sequencer", sequencer);
        if (change == Trigger.BucketEvent.CREATED) {
            object.put("size", size).put("eTag", etag);
        }
        try {
            return JSON.writeValueAsString(root);
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new UncheckedIOException(e);
        }
    }
}
