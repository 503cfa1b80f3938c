package dev.arrow.events.broker;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.arrow.events.ingress.CloudEventsIngress;
import dev.arrow.events.triggers.Trigger;
import dev.arrow.platform.InvalidInputException;
import dev.arrow.platform.arrows.Mode;
import io.cloudevents.CloudEvent;
import io.cloudevents.http.HttpMessageFactory;
import io.cloudevents.jackson.JsonFormat;
import java.io.IOException;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.logging.Logger;

/**
 * The broker's calls made through an {@link ArrowRunner}, in CloudEvents' HTTP binding: an exec
 * arrow reads the event as structured JSON on stdin; an http-mode arrow gets a POST in binary mode
 * (attributes in ce-* headers, the data as the body). An exec arrow's stdout that is a structured
 * CloudEvent, or an http answer with ce-* headers, is the arrow's reply (Knative's), published on.
 */
public final class RunnerCaller implements ArrowCaller {

    private static final Logger LOG = Logger.getLogger(RunnerCaller.class.getName());
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final JsonFormat FORMAT = new JsonFormat();

    private final ArrowRunner runner;

    public RunnerCaller(ArrowRunner runner) {
        this.runner = runner;
    }

    @Override
    public Outcome call(String arrow, Trigger trigger, EventEnvelope event) throws InterruptedException {
        Optional<Mode> mode = runner.mode(arrow);
        if (mode.isEmpty()) {
            return new Outcome.Failed("the arrow " + arrow + " does not exist");
        }
        var made = switch (trigger) {
            case Trigger.Schedule _ -> dev.arrow.platform.invocations.Trigger.SCHEDULE;
            case Trigger.Bucket _ -> dev.arrow.platform.invocations.Trigger.BUCKET;
            case Trigger.Queue _ -> dev.arrow.platform.invocations.Trigger.QUEUE;
            default -> dev.arrow.platform.invocations.Trigger.EVENT;
        };
        ArrowRunner.Result result;
        if (mode.get() == Mode.HTTP) {
            CloudEvent cloudEvent = FORMAT.deserialize(event.structured());
            var headers = new LinkedHashMap<String, String>();
            var body = new byte[1][];
            HttpMessageFactory.createWriter(headers::put, bytes -> body[0] = bytes).writeBinary(cloudEvent);
            result = runner.run(arrow, made, headers, body[0] == null ? new byte[0] : body[0]);
        } else {
            result = runner.run(arrow, made, Map.of("Content-Type", CloudEventsIngress.STRUCTURED), event.structured());
        }
        return switch (result) {
            case ArrowRunner.Result.Busy _ -> new Outcome.Busy();
            case ArrowRunner.Result.Failed failed -> new Outcome.Failed(failed.error());
            case ArrowRunner.Result.Succeeded succeeded -> new Outcome.Succeeded(reply(arrow, succeeded));
        };
    }

    /** The event an arrow answered with, if its answer is one; an answer that is not a valid event is not a reply. */
    static Optional<CloudEvent> reply(String arrow, ArrowRunner.Result.Succeeded answer) {
        try {
            boolean binary = answer.headers().keySet().stream().anyMatch(name -> name.equalsIgnoreCase("ce-specversion"));
            if (binary) {
                return Optional.of(CloudEventsIngress.read(answer.headers(), answer.body()).getFirst());
            }
            if (!looksStructured(answer.body())) {
                return Optional.empty();
            }
            List<CloudEvent> events = CloudEventsIngress.read(Map.of("Content-Type", CloudEventsIngress.STRUCTURED), answer.body());
            return Optional.of(events.getFirst());
        } catch (InvalidInputException e) {
            LOG.fine(() -> arrow + " answered with something that is not a CloudEvent (" + e.getMessage() + "): no reply");
            return Optional.empty();
        }
    }

    /** A JSON object with a specversion: what an answer must be to be read as a structured event. */
    private static boolean looksStructured(byte[] body) {
        int i = 0;
        while (i < body.length && Character.isWhitespace(body[i])) {
            i++;
        }
        if (i == body.length || body[i] != '{') {
            return false;
        }
        try {
            JsonNode node = JSON.readTree(body);
            return node != null && node.isObject() && node.has("specversion");
        } catch (IOException e) {
            return false;
        }
    }
}
