package dev.arrow.bench;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayInputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import org.apache.commons.compress.archivers.cpio.CpioArchiveEntry;
import org.apache.commons.compress.archivers.cpio.CpioArchiveInputStream;
import org.junit.jupiter.api.Test;

class TinyInitTest {

    @Test
    void anElfWhoseEntryWritesItsLineAndPowersOff() {
        byte[] elf = TinyInit.elf("init ran\n");
        var header = ByteBuffer.wrap(elf).order(ByteOrder.LITTLE_ENDIAN);

        assertThat(new String(elf, 0, 4, StandardCharsets.ISO_8859_1)).isEqualTo("\u007fELF");
        assertThat(header.getShort(16)).as("ET_EXEC").isEqualTo((short) 2);
        assertThat(header.getShort(18)).as("x86-64").isEqualTo((short) 62);
        long entry = header.getLong(24);
        int code = (int) (entry - TinyInit.LOAD_ADDRESS);
        assertThat(code).isEqualTo(64 + 56);
        assertThat(header.getInt(64)).as("PT_LOAD").isEqualTo(1);
        assertThat(header.getLong(64 + 32)).as("the whole file is loaded").isEqualTo(elf.length);
        // lea rsi, [rip + d]: d counts from the end of the lea, the 17th byte of the code
        assertThat(elf[code + 10]).isEqualTo((byte) 0x48);
        int message = code + 17 + header.getInt(code + 13);
        int length = header.getInt(code + 18);
        assertThat(new String(elf, message, length, StandardCharsets.US_ASCII)).isEqualTo("init ran\n");
        assertThat(header.getInt(code + 25)).as("reboot").isEqualTo(169);
        assertThat(header.getInt(code + 40)).as("LINUX_REBOOT_CMD_POWER_OFF").isEqualTo(0x4321fedc);
    }

    @Test
    void anArchiveWithTheConsoleTheKernelOpensForInit() throws Exception {
        var names = new ArrayList<String>();
        CpioArchiveEntry console = null;
        try (var cpio = new CpioArchiveInputStream(new ByteArrayInputStream(TinyInit.archive("x\n")))) {
            for (CpioArchiveEntry entry = cpio.getNextEntry(); entry != null; entry = cpio.getNextEntry()) {
                names.add(entry.getName());
                if (entry.getName().equals("dev/console")) {
                    console = entry;
                }
            }
        }

        assertThat(names).containsExactly("dev", "dev/console", TinyInit.PATH);
        assertThat(console).isNotNull();
        assertThat(console.getRemoteDeviceMaj()).isEqualTo(5);
        assertThat(console.getRemoteDeviceMin()).isEqualTo(1);
    }
}
