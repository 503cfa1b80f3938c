package dev.arrow.services.objects;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;
import java.util.zip.Checksum;

/**
 * CRC-64/NVME (polynomial 0xad93d23594c93659, reflected, all-ones init and final xor), which the
 * AWS SDKs and awscli now send by default and the JDK lacks. Slice-by-8, so that checking a large
 * upload costs little beside the SHA-256 of its chunks.
 */
final class Crc64Nvme implements Checksum {

    private static final long POLY = Long.reverse(0xad93d23594c93659L);
    private static final long[][] TABLES = tables();
    private static final VarHandle LONG_LE = MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);

    private long crc = -1L;

    private static long[][] tables() {
        long[][] tables = new long[8][256];
        for (int i = 0; i < 256; i++) {
            long value = i;
            for (int bit = 0; bit < 8; bit++) {
                value = (value & 1) != 0 ? (value >>> 1) ^ POLY : value >>> 1;
            }
            tables[0][i] = value;
        }
        for (int k = 1; k < 8; k++) {
            for (int i = 0; i < 256; i++) {
                long previous = tables[k - 1][i];
                tables[k][i] = (previous >>> 8) ^ tables[0][(int) (previous & 0xff)];
            }
        }
        return tables;
    }

    @Override
    public void update(int b) {
        crc = TABLES[0][(int) ((crc ^ b) & 0xff)] ^ (crc >>> 8);
    }

    @Override
    public void update(byte[] bytes, int offset, int length) {
        long value = crc;
        long[][] t = TABLES;
        while (length >= 8) {
            long x = value ^ (long) LONG_LE.get(bytes, offset);
            value = t[7][(int) (x & 0xff)] ^ t[6][(int) ((x >>> 8) & 0xff)]
                    ^ t[5][(int) ((x >>> 16) & 0xff)] ^ t[4][(int) ((x >>> 24) & 0xff)]
                    ^ t[3][(int) ((x >>> 32) & 0xff)] ^ t[2][(int) ((x >>> 40) & 0xff)]
                    ^ t[1][(int) ((x >>> 48) & 0xff)] ^ t[0][(int) (x >>> 56)];
            offset += 8;
            length -= 8;
        }
        while (length-- > 0) {
            value = t[0][(int) ((value ^ bytes[offset++]) & 0xff)] ^ (value >>> 8);
        }
        crc = value;
    }

    @Override
    public long getValue() {
        return ~crc;
    }

    @Override
    public void reset() {
        crc = -1L;
    }
}
