package dev.arrow.services.objects;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.Locale;
import java.util.Optional;
import javax.crypto.Mac;

/**
 * Decodes an {@code aws-chunked} body as it streams, in constant memory:
 * {@code hex-size[;chunk-signature=sig]\r\n data \r\n}, up to a chunk of size 0, then for the
 * trailer variants the trailing headers ({@code name:value\r\n} each, a
 * {@code x-amz-trailer-signature} last when signed) and an empty line. Each signed chunk's
 * signature chains from the one before, starting at the request's; the decoded length must be
 * the declared one, and a trailing checksum must be the one of the decoded bytes.
 */
final class AwsChunkedInputStream extends InputStream {

    private static final String CHUNK_ALGORITHM = "AWS4-HMAC-SHA256-PAYLOAD";
    private static final String TRAILER_ALGORITHM = "AWS4-HMAC-SHA256-TRAILER";
    private static final String SIGNATURE_EXTENSION = "chunk-signature=";
    private static final String TRAILER_SIGNATURE = "x-amz-trailer-signature";
    /** Longer than any chunk header or trailing header a client writes (the longest is ~100 bytes). */
    private static final int MAX_LINE = 1024;
    private static final String MALFORMED = "The chunked encoding of the request body is malformed.";
    private static final String MALFORMED_TRAILER = "The request contained trailing data that was not well-formed"
            + " or did not conform to our published schema.";

    /** A trailing checksum that matched the bytes. */
    record TrailingChecksum(ChecksumAlgorithm algorithm, String base64) {
    }

    private enum State { HEADER, DATA, DONE }

    private final InputStream in;
    private final long decodedLength;
    private final boolean signedChunks;
    private final boolean trailerSection;
    private final boolean signedTrailer;
    private final Optional<ChecksumAlgorithm> trailer;
    private final ChecksumAlgorithm.Digester trailerDigester;
    // Signed variants only.
    private final Mac mac;
    private final String timestamp;
    private final String scope;
    private final MessageDigest chunkDigest;
    private String previousSignature;

    private final byte[] buffer = new byte[16 * 1024];
    private int position;
    private int limit;
    private final byte[] line = new byte[MAX_LINE];

    private State state = State.HEADER;
    private long chunkRemaining;
    private String chunkSignature;
    private long decoded;
    private TrailingChecksum trailingChecksum;

    private AwsChunkedInputStream(InputStream in, long decodedLength, boolean trailerSection, boolean signedTrailer,
                                  Optional<ChecksumAlgorithm> trailer, Verdict.Accepted signer) {
        this.in = in;
        this.decodedLength = decodedLength;
        this.signedChunks = signer != null;
        this.trailerSection = trailerSection;
        this.signedTrailer = signedTrailer;
        this.trailer = trailer;
        this.trailerDigester = trailer.map(ChecksumAlgorithm::digester).orElse(null);
        this.mac = signer == null ? null : signer.signingKey().mac();
        this.timestamp = signer == null ? null : signer.timestamp();
        this.scope = signer == null ? null : signer.scope();
        this.chunkDigest = signer == null ? null : Crypto.sha256();
        this.previousSignature = signer == null ? null : signer.seedSignature();
    }

    static AwsChunkedInputStream signed(InputStream in, Payload.SignedChunks payload, Verdict.Accepted accepted) {
        return new AwsChunkedInputStream(in, payload.decodedLength(), payload.signedTrailer(), payload.signedTrailer(),
                payload.trailer(), accepted);
    }

    static AwsChunkedInputStream unsigned(InputStream in, Payload.UnsignedChunks payload) {
        return new AwsChunkedInputStream(in, payload.decodedLength(), true, false, payload.trailer(), null);
    }

    /** The trailing checksum, once the body was read to its end and it matched. */
    Optional<TrailingChecksum> trailingChecksum() {
        return Optional.ofNullable(trailingChecksum);
    }

    @Override
    public int read() throws IOException {
        byte[] one = new byte[1];
        int n;
        do {
            n = read(one, 0, 1);
        } while (n == 0);
        return n < 0 ? -1 : one[0] & 0xff;
    }

    @Override
    public int read(byte[] bytes, int offset, int length) throws IOException {
        if (length == 0) {
            return 0;
        }
        while (true) {
            switch (state) {
                case DONE -> {
                    return -1;
                }
                case HEADER -> chunkHeader();
                case DATA -> {
                    if (chunkRemaining == 0) {
                        expectCrlf();
                        endOfChunk();
                        state = State.HEADER;
                        continue;
                    }
                    int n = data(bytes, offset, (int) Math.min(length, chunkRemaining));
                    if (signedChunks) {
                        chunkDigest.update(bytes, offset, n);
                    }
                    if (trailerDigester != null) {
                        trailerDigester.update(bytes, offset, n);
                    }
                    chunkRemaining -= n;
                    return n;
                }
            }
        }
    }

    private void chunkHeader() throws IOException {
        int length = readLine(MALFORMED, S3ErrorCode.INVALID_REQUEST);
        String header = new String(line, 0, length, StandardCharsets.US_ASCII);
        int semicolon = header.indexOf(';');
        String size = semicolon < 0 ? header : header.substring(0, semicolon);
        if (size.isEmpty() || size.length() > 16) {
            throw malformed();
        }
        long chunkSize = 0;
        for (int i = 0; i < size.length(); i++) {
            int digit = Canonical.hexDigit(size.charAt(i));
            if (digit < 0) {
                throw malformed();
            }
            chunkSize = chunkSize << 4 | digit;
        }
        if (chunkSize < 0) {
            throw malformed();
        }
        if (signedChunks) {
            if (semicolon < 0 || !header.startsWith(SIGNATURE_EXTENSION, semicolon + 1)) {
                throw malformed();
            }
            chunkSignature = header.substring(semicolon + 1 + SIGNATURE_EXTENSION.length());
        } else if (semicolon >= 0) {
            throw malformed();
        }
        if (chunkSize > decodedLength - decoded) {
            throw new PayloadException(S3ErrorCode.INVALID_REQUEST,
                    "The body is longer than its x-amz-decoded-content-length, " + decodedLength + " bytes.");
        }
        decoded += chunkSize;
        if (chunkSize > 0) {
            chunkRemaining = chunkSize;
            state = State.DATA;
            return;
        }
        // The final chunk: its signature covers no bytes, then come the trailer or an empty line.
        if (decoded != decodedLength) {
            throw incomplete();
        }
        endOfChunk();
        if (trailerSection) {
            trailers();
        } else {
            expectCrlf();
        }
        state = State.DONE;
    }

    /** Checks the signature of the chunk just read, and moves the chain on. */
    private void endOfChunk() throws PayloadException {
        if (!signedChunks) {
            return;
        }
        String stringToSign = CHUNK_ALGORITHM + "\n" + timestamp + "\n" + scope + "\n" + previousSignature + "\n"
                + Crypto.EMPTY_SHA256 + "\n" + Crypto.hex(chunkDigest.digest());
        checkSignature(stringToSign, chunkSignature);
    }

    private void checkSignature(String stringToSign, String provided) throws PayloadException {
        String expected = Crypto.hex(mac.doFinal(stringToSign.getBytes(StandardCharsets.UTF_8)));
        if (!Crypto.sameSignature(expected, provided)) {
            throw new PayloadException(S3ErrorCode.SIGNATURE_DOES_NOT_MATCH,
                    "The request signature we calculated does not match the signature you provided.");
        }
        previousSignature = expected;
    }

    private void trailers() throws IOException {
        String name = null;
        String value = null;
        String signature = null;
        while (true) {
            int length = readLine(MALFORMED_TRAILER, S3ErrorCode.MALFORMED_TRAILER_ERROR);
            if (length < 0 || length == 0) {
                break;
            }
            String text = new String(line, 0, length, StandardCharsets.UTF_8);
            int colon = text.indexOf(':');
            if (colon <= 0) {
                throw malformedTrailer();
            }
            String key = text.substring(0, colon).strip().toLowerCase(Locale.ROOT);
            String content = text.substring(colon + 1).strip();
            if (signature != null) {
                throw malformedTrailer();
            }
            if (signedTrailer && key.equals(TRAILER_SIGNATURE)) {
                signature = content;
            } else if (name == null && trailer.isPresent() && key.equals(trailer.get().header())) {
                name = key;
                value = content;
            } else {
                throw malformedTrailer();
            }
        }
        if (trailer.isPresent() && name == null || signedTrailer && signature == null) {
            throw malformedTrailer();
        }
        if (signedTrailer) {
            String canonical = name == null ? "" : name + ":" + value + "\n";
            checkSignature(TRAILER_ALGORITHM + "\n" + timestamp + "\n" + scope + "\n" + previousSignature + "\n"
                    + Crypto.sha256Hex(canonical), signature);
        }
        if (trailer.isPresent()) {
            ChecksumAlgorithm algorithm = trailer.get();
            byte[] claimed = SignatureV4.decodeChecksum(value, algorithm).orElseThrow(() -> new PayloadException(
                    S3ErrorCode.INVALID_REQUEST, "Value for " + algorithm.header() + " trailing header is invalid."));
            byte[] computed = trailerDigester.value();
            if (!MessageDigest.isEqual(claimed, computed)) {
                throw new PayloadException(S3ErrorCode.BAD_DIGEST,
                        "The " + algorithm.name() + " you specified did not match the calculated checksum.");
            }
            trailingChecksum = new TrailingChecksum(algorithm, value);
        }
    }

    /**
     * Reads a line ended by CRLF into {@link #line}, returning its length without the CRLF; at the
     * end of the body before any byte of it, -1 in a trailer (where a last empty line some
     * clients leave out) and IncompleteBody elsewhere.
     */
    private int readLine(String tooLong, S3ErrorCode tooLongError) throws IOException {
        int length = 0;
        while (true) {
            int b = next();
            if (b < 0) {
                if (length == 0 && tooLongError == S3ErrorCode.MALFORMED_TRAILER_ERROR) {
                    return -1;
                }
                throw incomplete();
            }
            if (b == '\r') {
                int lf = next();
                if (lf < 0) {
                    throw incomplete();
                }
                if (lf != '\n') {
                    throw new PayloadException(tooLongError, tooLong);
                }
                return length;
            }
            if (length == MAX_LINE) {
                throw new PayloadException(tooLongError, tooLong);
            }
            line[length++] = (byte) b;
        }
    }

    private void expectCrlf() throws IOException {
        int cr = next();
        int lf = cr < 0 ? -1 : next();
        if (cr < 0 || lf < 0) {
            throw incomplete();
        }
        if (cr != '\r' || lf != '\n') {
            throw malformed();
        }
    }

    private int next() throws IOException {
        if (position == limit && !fill()) {
            return -1;
        }
        return buffer[position++] & 0xff;
    }

    private int data(byte[] bytes, int offset, int length) throws IOException {
        if (position == limit && !fill()) {
            throw incomplete();
        }
        int n = Math.min(length, limit - position);
        System.arraycopy(buffer, position, bytes, offset, n);
        position += n;
        return n;
    }

    private boolean fill() throws IOException {
        int n;
        do {
            n = in.read(buffer, 0, buffer.length);
        } while (n == 0);
        if (n < 0) {
            return false;
        }
        position = 0;
        limit = n;
        return true;
    }

    private static PayloadException malformed() {
        return new PayloadException(S3ErrorCode.INVALID_REQUEST, MALFORMED);
    }

    private static PayloadException malformedTrailer() {
        return new PayloadException(S3ErrorCode.MALFORMED_TRAILER_ERROR, MALFORMED_TRAILER);
    }

    private PayloadException incomplete() {
        return new PayloadException(S3ErrorCode.INCOMPLETE_BODY, "The request body terminated unexpectedly: "
                + decodedLength + " bytes declared in x-amz-decoded-content-length.");
    }

    @Override
    public void close() throws IOException {
        in.close();
    }
}
