package dev.arrow.state;

import static org.assertj.core.api.Assertions.assertThat;

import dev.arrow.platform.arrows.ArrowSpec;
import dev.arrow.platform.arrows.Bindings;
import dev.arrow.platform.arrows.DeclaredTriggers;
import dev.arrow.platform.arrows.Isolation;
import org.junit.jupiter.api.Test;

class SpecCodecTest {

    @Test
    void bindingsRoundTrip() {
        ArrowSpec spec = Fixtures.fullSpec("shop");
        assertThat(SpecCodec.decode(SpecCodec.encode(spec))).isEqualTo(spec);
        assertThat(SpecCodec.decode(SpecCodec.encode(spec)).bindings().kv()).containsExactly("carts", "sessions");
    }

    @Test
    void aSpecStoredBeforeBindingsExistedReadsAsBindingNothing() {
        // A revision's spec as stored before bindings (and http settings) were part of it.
        String old = "{\"name\":\"old\",\"mode\":\"EXEC\",\"command\":[\"cat\"],\"env\":{},\"bundle\":null,"
                + "\"limits\":{\"memoryBytes\":134217728,\"cpuMillis\":1000,\"pids\":64,\"timeoutNanos\":30000000000,"
                + "\"tmpfsBytes\":16777216},\"network\":\"NONE\",\"scaling\":{\"concurrency\":1,\"minInstances\":0,"
                + "\"maxInstances\":10,\"keepAliveNanos\":null},\"runtime\":null,\"handler\":null}";
        ArrowSpec spec = SpecCodec.decode(old);
        assertThat(spec.bindings()).isEqualTo(Bindings.NONE);
        assertThat(spec.triggers()).isEqualTo(DeclaredTriggers.NONE);
        assertThat(spec.command()).containsExactly("cat");
        assertThat(spec.isolation()).isEqualTo(Isolation.PROCESS);
    }

    @Test
    void isolationRoundTripsAndTheProcessTierStoresNone() {
        ArrowSpec spec = Fixtures.simpleSpec("boxed").withIsolation(Isolation.VM);
        assertThat(SpecCodec.decode(SpecCodec.encode(spec))).isEqualTo(spec);
        assertThat(SpecCodec.encode(spec)).contains("\"isolation\":\"VM\"");
        assertThat(SpecCodec.encode(Fixtures.simpleSpec("plain"))).contains("\"isolation\":null");
    }

    @Test
    void anArrowWithoutBindingsStoresNoBindingsField() {
        assertThat(SpecCodec.encode(Fixtures.simpleSpec("plain"))).contains("\"bindings\":null");
    }

    @Test
    void triggersRoundTripAsDeclared() {
        var triggers = new DeclaredTriggers("[{\"schedule\": \"0 * * * * *\", \"timezone\": \"Europe/Paris\"}]");
        ArrowSpec spec = Fixtures.fullSpec("shop").withTriggers(triggers);
        assertThat(SpecCodec.decode(SpecCodec.encode(spec))).isEqualTo(spec);
        assertThat(spec.triggers().json()).isEqualTo("[{\"schedule\":\"0 * * * * *\",\"timezone\":\"Europe/Paris\"}]");
        assertThat(SpecCodec.encode(Fixtures.simpleSpec("plain"))).contains("\"triggers\":null");
    }
}
