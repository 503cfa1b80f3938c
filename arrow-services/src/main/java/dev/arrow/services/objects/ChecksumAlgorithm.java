package dev.arrow.services.objects;

import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Locale;
import java.util.Optional;
import java.util.zip.Checksum;

/**
 * The checksums a client can declare for an object's bytes, each by its header (or trailing header
 * of an {@code aws-chunked} body), its value the base64 of the big-endian digest. {@link #MD5} is
 * the older {@code Content-MD5}.
 */
public enum ChecksumAlgorithm {
    CRC32("x-amz-checksum-crc32", 4),
    CRC32C("x-amz-checksum-crc32c", 4),
    CRC64NVME("x-amz-checksum-crc64nvme", 8),
    SHA1("x-amz-checksum-sha1", 20),
    SHA256("x-amz-checksum-sha256", 32),
    MD5("content-md5", 16);

    private final String header;
    private final int length;

    ChecksumAlgorithm(String header, int length) {
        this.header = header;
        this.length = length;
    }

    /** The header's name, in lower case. */
    public String header() {
        return header;
    }

    /** The digest's length in bytes. */
    public int length() {
        return length;
    }

    static Optional<ChecksumAlgorithm> ofHeader(String name) {
        String lower = name.toLowerCase(Locale.ROOT);
        for (ChecksumAlgorithm algorithm : values()) {
            if (algorithm.header.equals(lower)) {
                return Optional.of(algorithm);
            }
        }
        return Optional.empty();
    }

    Digester digester() {
        return switch (this) {
            case CRC32 -> new Digester.Crc(new java.util.zip.CRC32(), 4);
            case CRC32C -> new Digester.Crc(new java.util.zip.CRC32C(), 4);
            case CRC64NVME -> new Digester.Crc(new Crc64Nvme(), 8);
            case SHA1 -> Digester.of("SHA-1");
            case SHA256 -> Digester.of("SHA-256");
            case MD5 -> Digester.of("MD5");
        };
    }

    /** A running digest of bytes that yields the big-endian bytes S3 puts in base64. */
    sealed interface Digester {

        void update(byte[] bytes, int offset, int length);

        byte[] value();

        static Digester of(String algorithm) {
            try {
                return new Message(MessageDigest.getInstance(algorithm));
            } catch (NoSuchAlgorithmException e) {
                throw new IllegalStateException("every JDK has " + algorithm, e);
            }
        }

        record Crc(Checksum checksum, int length) implements Digester {
            @Override
            public void update(byte[] bytes, int offset, int count) {
                checksum.update(bytes, offset, count);
            }

            @Override
            public byte[] value() {
                long value = checksum.getValue();
                byte[] out = new byte[length];
                for (int i = length - 1; i >= 0; i--) {
                    out[i] = (byte) value;
                    value >>>= 8;
                }
                return out;
            }
        }

        record Message(MessageDigest digest) implements Digester {
            @Override
            public void update(byte[] bytes, int offset, int count) {
                digest.update(bytes, offset, count);
            }

            @Override
            public byte[] value() {
                return digest.digest();
            }
        }
    }
}
