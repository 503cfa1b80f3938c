package dev.arrow.sandbox.vm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

class VmModulesDepTest {

    // The lines of Debian's 6.1 cloud kernel that the guest init needs, in modules.dep's own order.
    private static final String DEP = """
            kernel/fs/fuse/fuse.ko:
            kernel/fs/fuse/cuse.ko: kernel/fs/fuse/fuse.ko
            kernel/fs/fuse/virtiofs.ko: kernel/drivers/virtio/virtio.ko kernel/drivers/virtio/virtio_ring.ko kernel/fs/fuse/fuse.ko
            kernel/drivers/virtio/virtio.ko: kernel/drivers/virtio/virtio_ring.ko
            kernel/drivers/virtio/virtio_ring.ko:
            kernel/drivers/virtio/virtio_mmio.ko: kernel/drivers/virtio/virtio.ko kernel/drivers/virtio/virtio_ring.ko
            kernel/drivers/char/virtio_console.ko: kernel/drivers/virtio/virtio.ko kernel/drivers/virtio/virtio_ring.ko
            kernel/drivers/virtio/virtio_pci_modern_dev.ko:
            kernel/drivers/virtio/virtio_pci_legacy_dev.ko:
            kernel/drivers/virtio/virtio_pci.ko: kernel/drivers/virtio/virtio_pci_legacy_dev.ko kernel/drivers/virtio/virtio_pci_modern_dev.ko kernel/drivers/virtio/virtio.ko kernel/drivers/virtio/virtio_ring.ko
            kernel/drivers/net/virtio_net.ko: kernel/drivers/net/net_failover.ko kernel/net/core/failover.ko kernel/drivers/virtio/virtio.ko kernel/drivers/virtio/virtio_ring.ko
            kernel/drivers/net/net_failover.ko: kernel/net/core/failover.ko
            kernel/net/core/failover.ko:
            """;

    @Test
    void dependenciesComeFirstAndEachModuleOnce() {
        List<String> order = ModulesDep.parse(DEP).loadOrder(GuestImage.MODULES, Set.of());

        assertThat(order).containsExactly(
                "kernel/drivers/virtio/virtio_ring.ko",
                "kernel/drivers/virtio/virtio.ko",
                "kernel/drivers/virtio/virtio_mmio.ko",
                "kernel/drivers/virtio/virtio_pci_legacy_dev.ko",
                "kernel/drivers/virtio/virtio_pci_modern_dev.ko",
                "kernel/drivers/virtio/virtio_pci.ko",
                "kernel/drivers/char/virtio_console.ko",
                "kernel/fs/fuse/fuse.ko",
                "kernel/fs/fuse/virtiofs.ko",
                "kernel/net/core/failover.ko",
                "kernel/drivers/net/net_failover.ko",
                "kernel/drivers/net/virtio_net.ko");
    }

    @Test
    void aBuiltInModuleNeedsNothingAndAMissingOneIsAnError() {
        var deps = ModulesDep.parse(DEP);
        Set<String> builtin = ModulesDep.builtinNames("kernel/drivers/net/e1000.ko\nkernel/drivers/block/virtio-blk.ko\n");

        assertThat(deps.loadOrder(List.of("e1000", "virtio-blk", "fuse"), builtin)).containsExactly("kernel/fs/fuse/fuse.ko");
        assertThatThrownBy(() -> deps.loadOrder(List.of("9pnet_virtio"), builtin))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("9pnet_virtio");
    }

    @Test
    void namesAreModprobes() {
        assertThat(ModulesDep.nameOf("kernel/drivers/block/virtio-blk.ko.xz")).isEqualTo("virtio_blk");
        assertThat(ModulesDep.nameOf("virtiofs.ko")).isEqualTo("virtiofs");
    }

    @Test
    void aCycleIsReportedNotLooped() {
        var deps = ModulesDep.parse("a.ko: b.ko\nb.ko: a.ko\n");

        assertThatThrownBy(() -> deps.loadOrder(List.of("a"), Set.of())).hasMessageContaining("cycle");
    }
}
