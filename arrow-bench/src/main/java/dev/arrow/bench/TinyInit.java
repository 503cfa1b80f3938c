package dev.arrow.bench;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import org.apache.commons.compress.archivers.cpio.CpioArchiveEntry;
import org.apache.commons.compress.archivers.cpio.CpioArchiveOutputStream;
import org.apache.commons.compress.archivers.cpio.CpioConstants;

/**
 * The plain-qemu peer's init: a static x86-64 program of a few instructions that writes one line
 * to its stdout (the kernel's console) and powers the machine off, packed as a cpio newc archive
 * with the {@code /dev/console} node the kernel opens for it. Appended to an initramfs (the kernel
 * unpacks concatenated archives in turn), it lets a script boot the same kernel and initramfs to
 * init and see exactly when init ran, with nothing compiled here.
 */
final class TinyInit {

    static final String PATH = "arrow-bench-init";
    static final long LOAD_ADDRESS = 0x400000;
    private static final int ELF_HEADER = 64;
    private static final int PROGRAM_HEADER = 56;

    private TinyInit() {
    }

    /** The program: write(1, line, length); reboot(..., LINUX_REBOOT_CMD_POWER_OFF); spin. */
    static byte[] elf(String line) {
        byte[] message = line.getBytes(StandardCharsets.US_ASCII);
        var code = ByteBuffer.allocate(48).order(ByteOrder.LITTLE_ENDIAN);
        code.put((byte) 0xb8).putInt(1);                    // mov eax, 1 (write)
        code.put((byte) 0xbf).putInt(1);                    // mov edi, 1
        code.put(new byte[] {0x48, (byte) 0x8d, 0x35}).putInt(48 - 17); // lea rsi, [rip + to the message]
        code.put((byte) 0xba).putInt(message.length);       // mov edx, length
        code.put(new byte[] {0x0f, 0x05});                  // syscall
        code.put((byte) 0xb8).putInt(169);                  // mov eax, 169 (reboot)
        code.put((byte) 0xbf).putInt(0xfee1dead);           // mov edi, LINUX_REBOOT_MAGIC1
        code.put((byte) 0xbe).putInt(0x28121969);           // mov esi, LINUX_REBOOT_MAGIC2
        code.put((byte) 0xba).putInt(0x4321fedc);           // mov edx, LINUX_REBOOT_CMD_POWER_OFF
        code.put(new byte[] {0x0f, 0x05});                  // syscall
        code.put(new byte[] {(byte) 0xeb, (byte) 0xfe});    // jmp . (should the power-off fail)
        int size = ELF_HEADER + PROGRAM_HEADER + code.capacity() + message.length;
        var elf = ByteBuffer.allocate(size).order(ByteOrder.LITTLE_ENDIAN);
        elf.put(new byte[] {0x7f, 'E', 'L', 'F', 2, 1, 1, 0}).putLong(0); // 64-bit, little-endian, SysV
        elf.putShort((short) 2).putShort((short) 62).putInt(1);          // ET_EXEC, x86-64, version 1
        elf.putLong(LOAD_ADDRESS + ELF_HEADER + PROGRAM_HEADER);         // entry: the code
        elf.putLong(ELF_HEADER).putLong(0);                              // program headers; no sections
        elf.putInt(0).putShort((short) ELF_HEADER).putShort((short) PROGRAM_HEADER).putShort((short) 1);
        elf.putShort((short) 64).putShort((short) 0).putShort((short) 0); // section header size, count, names
        elf.putInt(1).putInt(5);                                         // PT_LOAD, read + execute
        elf.putLong(0).putLong(LOAD_ADDRESS).putLong(LOAD_ADDRESS);      // the whole file, at its address
        elf.putLong(size).putLong(size).putLong(0x1000);
        elf.put(code.array()).put(message);
        return elf.array();
    }

    /** A cpio newc archive holding {@code /dev/console} and {@link #PATH}, the program printing {@code line}. */
    static byte[] archive(String line) {
        var bytes = new ByteArrayOutputStream();
        try (var cpio = new CpioArchiveOutputStream(bytes, CpioConstants.FORMAT_NEW)) {
            var dev = new CpioArchiveEntry(CpioConstants.FORMAT_NEW, "dev");
            dev.setMode(CpioConstants.C_ISDIR | 0755);
            dev.setNumberOfLinks(2);
            cpio.putArchiveEntry(dev);
            cpio.closeArchiveEntry();
            var console = new CpioArchiveEntry(CpioConstants.FORMAT_NEW, "dev/console");
            console.setMode(CpioConstants.C_ISCHR | 0600);
            console.setRemoteDeviceMaj(5);
            console.setRemoteDeviceMin(1);
            console.setNumberOfLinks(1);
            cpio.putArchiveEntry(console);
            cpio.closeArchiveEntry();
            byte[] program = elf(line);
            var init = new CpioArchiveEntry(CpioConstants.FORMAT_NEW, PATH, program.length);
            init.setMode(CpioConstants.C_ISREG | 0755);
            init.setNumberOfLinks(1);
            cpio.putArchiveEntry(init);
            cpio.write(program);
            cpio.closeArchiveEntry();
            cpio.finish();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return bytes.toByteArray();
    }
}
