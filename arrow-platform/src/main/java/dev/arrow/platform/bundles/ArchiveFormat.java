package dev.arrow.platform.bundles;

import java.util.Locale;
import java.util.Optional;

/** The archive formats a bundle may be uploaded in. */
public enum ArchiveFormat {
    TAR_GZ("application/gzip"),
    ZIP("application/zip");

    private final String mediaType;

    ArchiveFormat(String mediaType) {
        this.mediaType = mediaType;
    }

    public String mediaType() {
        return mediaType;
    }

    /** From a Content-Type header or file name: gzip/x-gzip/x-tar+gzip/.tar.gz/.tgz or zip/.zip. */
    public static Optional<ArchiveFormat> detect(String contentTypeOrFileName) {
        if (contentTypeOrFileName == null) {
            return Optional.empty();
        }
        String value = contentTypeOrFileName.toLowerCase(Locale.ROOT).trim();
        int semicolon = value.indexOf(';');
        if (semicolon >= 0) {
            value = value.substring(0, semicolon).trim();
        }
        return switch (value) {
            case "application/gzip", "application/x-gzip", "application/x-tar+gzip", "application/x-gtar" ->
                    Optional.of(TAR_GZ);
            case "application/zip", "application/x-zip-compressed" -> Optional.of(ZIP);
            default -> value.endsWith(".tar.gz") || value.endsWith(".tgz") ? Optional.of(TAR_GZ)
                    : value.endsWith(".zip") ? Optional.of(ZIP) : Optional.empty();
        };
    }
}
