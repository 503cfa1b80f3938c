package dev.arrow.runtime.instances;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

/** One instance client for the tests of a class, as a node has one. */
abstract class InstanceClientFixture {

    static InstanceClient client;

    @BeforeAll
    static void startClient() {
        client = new InstanceClient();
    }

    @AfterAll
    static void stopClient() {
        client.close();
    }
}
