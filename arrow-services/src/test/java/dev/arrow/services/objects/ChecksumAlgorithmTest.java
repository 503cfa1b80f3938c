package dev.arrow.services.objects;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.util.HexFormat;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Each algorithm's catalogue check value (the digest of "123456789"), and CRC-64/NVME's fast path against its definition. */
class ChecksumAlgorithmTest {

    @ParameterizedTest
    @CsvSource({
            "CRC32, cbf43926",
            "CRC32C, e3069283",
            "CRC64NVME, ae8b14860a799888",
            "SHA1, f7c3bc1d808e04732adf679965ccc34ca7ae3441",
            "SHA256, 15e2b0d3c33891ebb0f1ef609ec419420c20e320ce94c65fbc8c3312448eb225",
            "MD5, 25f9e794323b453885f5181f1b624d0b"})
    void checkValues(ChecksumAlgorithm algorithm, String hex) {
        var digester = algorithm.digester();
        byte[] nine = "123456789".getBytes(StandardCharsets.US_ASCII);
        digester.update(nine, 0, 4);
        digester.update(nine, 4, 5);
        byte[] value = digester.value();
        assertThat(HexFormat.of().formatHex(value)).isEqualTo(hex);
        assertThat(value).hasSize(algorithm.length());
    }

    /** CRC-64/NVME bit by bit, straight from its parameters. */
    private static long crc64NvmeBitwise(byte[] bytes, int offset, int length) {
        long poly = Long.reverse(0xad93d23594c93659L);
        long crc = -1L;
        for (int i = offset; i < offset + length; i++) {
            crc ^= bytes[i] & 0xff;
            for (int bit = 0; bit < 8; bit++) {
                crc = (crc & 1) != 0 ? (crc >>> 1) ^ poly : crc >>> 1;
            }
        }
        return ~crc;
    }

    @Test
    void crc64NvmeSlicedIsTheBitwiseOne() {
        Random random = new Random(3);
        for (int round = 0; round < 200; round++) {
            byte[] bytes = new byte[random.nextInt(300)];
            random.nextBytes(bytes);
            int offset = bytes.length == 0 ? 0 : random.nextInt(bytes.length);
            int length = bytes.length - offset;
            var crc = new Crc64Nvme();
            int split = length == 0 ? 0 : random.nextInt(length);
            crc.update(bytes, offset, split);
            for (int i = offset + split; i < offset + length; i++) {
                if (i % 2 == 0) {
                    crc.update(bytes[i]);
                } else {
                    crc.update(bytes, i, 1);
                }
            }
            assertThat(crc.getValue()).isEqualTo(crc64NvmeBitwise(bytes, offset, length));
        }
    }

    @Test
    void headersNameTheirAlgorithms() {
        assertThat(ChecksumAlgorithm.ofHeader("X-Amz-Checksum-CRC64NVME")).contains(ChecksumAlgorithm.CRC64NVME);
        assertThat(ChecksumAlgorithm.ofHeader("Content-MD5")).contains(ChecksumAlgorithm.MD5);
        assertThat(ChecksumAlgorithm.ofHeader("x-amz-checksum-xxhash64")).isEmpty();
    }
}
