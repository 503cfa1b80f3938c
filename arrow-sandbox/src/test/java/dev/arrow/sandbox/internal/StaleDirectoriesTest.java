package dev.arrow.sandbox.internal;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class StaleDirectoriesTest {

    @Test
    void onlyTheDirectoriesOfEndedProcessesGo(@TempDir Path parent) throws Exception {
        Process ended = new ProcessBuilder("true").start();
        ended.waitFor();
        Path ofEnded = Files.createDirectory(parent.resolve("arrow-x-" + ended.pid() + "-123"));
        Files.writeString(ofEnded.resolve("result"), "left behind");
        Path ofThisJvm = Files.createDirectory(parent.resolve("arrow-x-" + ProcessHandle.current().pid() + "-456"));
        Path unnamed = Files.createDirectory(parent.resolve("arrow-x-789"));
        Path otherPrefix = Files.createDirectory(parent.resolve("arrow-y-" + ended.pid() + "-1"));

        StaleDirectories.removeOfEndedProcesses(parent, "arrow-x-");

        assertThat(ofEnded).doesNotExist();
        assertThat(ofThisJvm).isDirectory();
        assertThat(unnamed).as("no owner in its name: left alone").isDirectory();
        assertThat(otherPrefix).isDirectory();
    }
}
