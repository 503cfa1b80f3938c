package dev.arrow.cli;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * Decides, poll after poll of an arrow's newest invocation records, which finished invocations to
 * show next, oldest first, each once. The first poll shows only the last {@code backlog} finished
 * ones; later polls show every invocation that finished since, including those that were queued
 * or running before. What it remembers is bounded by the size of a page.
 */
final class LogFollower {

    private final int backlog;
    private Set<String> shown = new HashSet<>();
    private boolean first = true;

    LogFollower(int backlog) {
        this.backlog = backlog;
    }

    /**
     * @param newestFirst the {@code invocations} of a page of {@code GET /v1/invocations?arrow=}
     * @return the records whose logs to print now, oldest first
     */
    List<JsonNode> next(JsonNode newestFirst) {
        var oldestFirst = new ArrayList<JsonNode>();
        newestFirst.forEach(record -> oldestFirst.addFirst(record));
        var finished = new ArrayList<JsonNode>();
        var inPage = new HashSet<String>();
        for (JsonNode record : oldestFirst) {
            String id = record.path("id").asText();
            inPage.add(id);
            if (isFinished(record) && !shown.contains(id)) {
                finished.add(record);
            }
        }
        List<JsonNode> toShow = first ? finished.subList(Math.max(0, finished.size() - backlog), finished.size())
                : finished;
        first = false;
        // Records that left the page never come back; forget them.
        var remembered = new HashSet<String>();
        for (String id : shown) {
            if (inPage.contains(id)) {
                remembered.add(id);
            }
        }
        finished.forEach(record -> remembered.add(record.path("id").asText()));
        shown = remembered;
        return List.copyOf(toShow);
    }

    static boolean isFinished(JsonNode record) {
        String status = record.path("status").asText();
        return status.equals("succeeded") || status.equals("failed");
    }
}
