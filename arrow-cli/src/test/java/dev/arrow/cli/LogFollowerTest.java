package dev.arrow.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.List;
import org.junit.jupiter.api.Test;

class LogFollowerTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    /** A page, newest first, from "id:status" pairs. */
    private static JsonNode page(String... records) {
        var page = JSON.createArrayNode();
        for (String record : records) {
            String[] parts = record.split(":");
            page.addObject().put("id", parts[0]).put("status", parts[1]);
        }
        return page;
    }

    private static List<String> ids(List<JsonNode> records) {
        return records.stream().map(record -> record.get("id").asText()).toList();
    }

    @Test
    void firstPollShowsTheBacklogOldestFirstThenOnlyNewOnes() {
        var follower = new LogFollower(2);

        assertThat(ids(follower.next(page("d:running", "c:failed", "b:succeeded", "a:succeeded"))))
                .containsExactly("b", "c");
        assertThat(ids(follower.next(page("d:running", "c:failed", "b:succeeded", "a:succeeded")))).isEmpty();
        assertThat(ids(follower.next(page("f:succeeded", "e:queued", "d:succeeded", "c:failed", "b:succeeded"))))
                .containsExactly("d", "f");
        assertThat(ids(follower.next(page("f:succeeded", "e:failed", "d:succeeded")))).containsExactly("e");
    }

    @Test
    void nothingYet() {
        var follower = new LogFollower(20);
        assertThat(follower.next(page())).isEmpty();
        assertThat(ids(follower.next(page("a:succeeded")))).containsExactly("a");
    }
}
