package dev.arrow.server.s3;

import dev.arrow.platform.InvalidInputException;
import dev.arrow.platform.NotFoundException;
import dev.arrow.services.ObjectException;
import dev.arrow.services.objects.ByteRange;
import dev.arrow.services.objects.ObjectService;
import dev.arrow.services.objects.ObjectStore;
import dev.arrow.services.objects.Payload;
import dev.arrow.services.objects.PayloadException;
import dev.arrow.services.objects.RequestView;
import dev.arrow.services.objects.SignatureV4;
import dev.arrow.services.objects.Verdict;
import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.AbstractMap;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.Executor;
import java.util.concurrent.Executors;
import java.util.logging.Level;
import java.util.logging.Logger;
import org.eclipse.jetty.http.HttpField;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.io.Content;
import org.eclipse.jetty.io.EofException;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Callback;
import org.w3c.dom.Element;

/**
 * Serves S3's REST API, path-style: checks each request's signature, reads its bucket, key and
 * sub-resource, runs the operation on a virtual thread, and answers as S3 does (XML documents,
 * S3's headers and error codes). Bodies stream both ways.
 */
final class S3Handler extends Handler.Abstract {

    private static final Logger LOG = Logger.getLogger(S3Handler.class.getName());
    private static final DateTimeFormatter HTTP_DATE = DateTimeFormatter.RFC_1123_DATE_TIME.withZone(ZoneOffset.UTC);
    private static final String META = "x-amz-meta-";
    private static final int MAX_XML_BYTES = 1 << 20;
    /** S3's largest single PUT. */
    static final long MAX_PUT_BYTES = 5L << 30;
    private static final int MAX_DELETE_KEYS = 1000;

    private final ObjectService objects;
    private final SignatureV4 signatures;
    private final Executor blocking = Executors.newThreadPerTaskExecutor(Thread.ofVirtual().name("arrow-s3-", 0).factory());

    S3Handler(ObjectService objects, SignatureV4 signatures) {
        super(InvocationType.NON_BLOCKING);
        this.objects = objects;
        this.signatures = signatures;
    }

    @Override
    public boolean handle(Request request, Response response, Callback callback) {
        blocking.execute(() -> serve(new Exchange(request, response, callback)));
        return true;
    }

    /** One request: where it points, its query, its verdict, and its response. */
    private static final class Exchange {
        final Request request;
        final Response response;
        final Callback callback;
        final String requestId = UUID.randomUUID().toString().replace("-", "").substring(0, 16).toUpperCase(Locale.ROOT);
        final Map<String, String> query = new LinkedHashMap<>();
        String bucket = "";
        String key = "";
        Verdict.Accepted verdict;
        boolean responded;

        Exchange(Request request, Response response, Callback callback) {
            this.request = request;
            this.response = response;
            this.callback = callback;
        }

        String method() {
            return request.getMethod();
        }

        Optional<String> header(String name) {
            return Optional.ofNullable(request.getHeaders().get(name));
        }

        boolean has(String parameter) {
            return query.containsKey(parameter);
        }

        Optional<String> param(String name) {
            return Optional.ofNullable(query.get(name));
        }

        String resource() {
            return "/" + bucket + (key.isEmpty() ? "" : "/" + key);
        }

        /** The body as the object's bytes, checked as it streams (signature, length, checksums). */
        InputStream body() {
            return verdict.body(Content.Source.asInputStream(request));
        }

        byte[] smallBody() throws IOException {
            try (InputStream in = body()) {
                byte[] bytes = in.readNBytes(MAX_XML_BYTES + 1);
                if (bytes.length > MAX_XML_BYTES) {
                    throw S3Error.malformedXml();
                }
                return bytes;
            }
        }

        void setHeader(String name, String value) {
            response.getHeaders().put(name, value);
        }

        void xml(int status, byte[] body) {
            responded = true;
            response.setStatus(status);
            response.getHeaders().put(HttpHeader.CONTENT_TYPE, "application/xml");
            response.getHeaders().put(HttpHeader.CONTENT_LENGTH, body.length);
            response.write(true, ByteBuffer.wrap(body), callback);
        }

        void empty(int status) {
            responded = true;
            response.setStatus(status);
            response.getHeaders().put(HttpHeader.CONTENT_LENGTH, 0);
            response.write(true, null, callback);
        }
    }

    private void serve(Exchange ex) {
        ex.setHeader("x-amz-request-id", ex.requestId);
        try {
            String rawPath = ex.request.getHttpURI().getPath();
            String rawQuery = ex.request.getHttpURI().getQuery();
            var headers = new LinkedHashMap<String, List<String>>();
            for (HttpField field : ex.request.getHeaders()) {
                headers.computeIfAbsent(field.getName(), name -> new ArrayList<>()).add(field.getValue());
            }
            if (headers.keySet().stream().noneMatch(name -> name.equalsIgnoreCase("host"))) {
                throw S3Error.invalidArgument("the request has no Host header");
            }
            parseQuery(ex, rawQuery);
            parsePath(ex, rawPath == null ? "/" : rawPath);
            Verdict verdict = signatures.verify(new RequestView(ex.method(), rawPath == null ? "/" : rawPath, rawQuery,
                    headers));
            switch (verdict) {
                case Verdict.Refused refused -> {
                    error(ex, refused.status(), refused.error().code(), refused.message(), refused.details());
                    return;
                }
                case Verdict.Anonymous _ -> {
                    error(ex, 403, "AccessDenied", "Access Denied: sign requests with an access key of this node"
                            + " (arrow keys create)", Map.of());
                    return;
                }
                case Verdict.Accepted accepted -> ex.verdict = accepted;
            }
            dispatch(ex);
        } catch (Exception e) {
            fail(ex, e);
        }
    }

    private void dispatch(Exchange ex) throws IOException {
        String method = ex.method();
        if (ex.bucket.isEmpty()) {
            if (method.equals("GET")) {
                listBuckets(ex);
                return;
            }
            throw methodNotAllowed(ex);
        }
        if (ex.key.isEmpty()) {
            switch (method) {
                case "GET" -> {
                    if (ex.has("location")) {
                        objects.bucket(ex.bucket);
                        ex.xml(200, S3Xml.document("LocationConstraint").end("LocationConstraint"));
                    } else if (ex.has("uploads")) {
                        listUploads(ex);
                    } else if (ex.has("versioning")) {
                        objects.bucket(ex.bucket);
                        ex.xml(200, S3Xml.document("VersioningConfiguration").end("VersioningConfiguration"));
                    } else {
                        refuseSubresources(ex, "list-type", "prefix", "delimiter", "continuation-token", "max-keys",
                                "start-after", "encoding-type", "fetch-owner", "marker");
                        listObjects(ex);
                    }
                }
                case "PUT" -> {
                    refuseSubresources(ex);
                    createBucket(ex);
                }
                case "HEAD" -> {
                    objects.bucket(ex.bucket);
                    ex.setHeader("x-amz-bucket-region", ex.verdict.region());
                    ex.empty(200);
                }
                case "DELETE" -> {
                    refuseSubresources(ex);
                    objects.deleteBucket(ex.bucket);
                    ex.empty(204);
                }
                case "POST" -> {
                    if (!ex.has("delete")) {
                        throw S3Error.notImplemented("POST on a bucket without ?delete");
                    }
                    deleteObjects(ex);
                }
                default -> throw methodNotAllowed(ex);
            }
            return;
        }
        switch (method) {
            case "PUT" -> {
                if (ex.has("uploadId") || ex.has("partNumber")) {
                    uploadPart(ex);
                } else if (ex.header("x-amz-copy-source").isPresent()) {
                    refuseSubresources(ex);
                    copyObject(ex);
                } else {
                    refuseSubresources(ex);
                    putObject(ex);
                }
            }
            case "GET", "HEAD" -> {
                if (ex.has("uploadId") && method.equals("GET")) {
                    listParts(ex);
                } else {
                    refuseSubresources(ex, "versionId", "response-content-type",
                            "response-content-disposition", "response-cache-control", "response-content-encoding",
                            "response-content-language", "response-expires");
                    getObject(ex, method.equals("HEAD"));
                }
            }
            case "DELETE" -> {
                if (ex.has("uploadId")) {
                    objects.abort(ex.bucket, ex.key, ex.query.get("uploadId"));
                } else {
                    refuseSubresources(ex, "versionId");
                    objects.delete(ex.bucket, ex.key);
                }
                ex.empty(204);
            }
            case "POST" -> {
                if (ex.has("uploads")) {
                    createUpload(ex);
                } else if (ex.has("uploadId")) {
                    completeUpload(ex);
                } else {
                    throw S3Error.notImplemented("POST on an object without ?uploads or ?uploadId");
                }
            }
            default -> throw methodNotAllowed(ex);
        }
    }

    /** A sub-resource this listener does not serve (?acl, ?tagging, ...) is NotImplemented, never silently ignored. */
    private static void refuseSubresources(Exchange ex, String... allowed) {
        outer:
        for (String name : ex.query.keySet()) {
            if (name.startsWith("X-Amz-") || name.startsWith("x-amz-") || name.startsWith("x-id")) {
                continue; // a presigned URL's own parameters; x-id is the SDK's operation hint
            }
            for (String ok : allowed) {
                if (ok.equals(name)) {
                    continue outer;
                }
            }
            throw S3Error.notImplemented("?" + name);
        }
    }

    private static S3Error methodNotAllowed(Exchange ex) {
        return new S3Error(405, "MethodNotAllowed", "The specified method is not allowed against this resource: "
                + ex.method());
    }

    // ---- buckets

    private void listBuckets(Exchange ex) {
        S3Xml xml = S3Xml.document("ListAllMyBucketsResult").open("Owner").element("ID", "arrow")
                .element("DisplayName", "arrow").close("Owner").open("Buckets");
        for (ObjectStore.BucketInfo bucket : objects.buckets()) {
            xml.open("Bucket").element("Name", bucket.name()).element("CreationDate", S3Xml.time(bucket.createdAt()))
                    .close("Bucket");
        }
        ex.xml(200, xml.close("Buckets").end("ListAllMyBucketsResult"));
    }

    private void createBucket(Exchange ex) throws IOException {
        ObjectService.requireBucketName(ex.bucket);
        byte[] configuration = ex.smallBody(); // a CreateBucketConfiguration: any region is this node
        if (configuration.length > 0) {
            S3Xml.parse(configuration);
        }
        if (!objects.createBucket(ex.bucket)) {
            throw new S3Error(409, "BucketAlreadyOwnedByYou", "Your previous request to create the named bucket"
                    + " succeeded and you already own it.");
        }
        ex.setHeader("Location", "/" + ex.bucket);
        ex.empty(200);
    }

    private void listObjects(Exchange ex) {
        boolean v2 = ex.param("list-type").filter("2"::equals).isPresent();
        if (ex.param("list-type").isPresent() && !v2) {
            throw S3Error.invalidArgument("list-type must be 2");
        }
        String prefix = ex.param("prefix").orElse("");
        String delimiter = ex.param("delimiter").orElse("");
        boolean urlEncoded = ex.param("encoding-type").map(type -> {
            if (!type.equals("url")) {
                throw S3Error.invalidArgument("Invalid Encoding Method specified in Request");
            }
            return true;
        }).orElse(false);
        int maxKeys = ex.param("max-keys").map(S3Handler::maxKeys).orElse(1000);
        Optional<String> token = v2 ? ex.param("continuation-token") : Optional.empty();
        Optional<String> startAfter = v2 ? ex.param("start-after").filter(s -> !s.isEmpty())
                : ex.param("marker").filter(s -> !s.isEmpty());
        Optional<String> after;
        if (token.isPresent()) {
            try {
                after = Optional.of(ObjectService.decodeCursor(token.get(), "continuation-token"));
            } catch (InvalidInputException e) {
                throw S3Error.invalidArgument("The continuation token provided is incorrect");
            }
        } else {
            after = startAfter;
        }
        ObjectService.Listing listing = objects.list(ex.bucket, prefix, delimiter, after, maxKeys);
        S3Xml xml = S3Xml.document("ListBucketResult").element("Name", ex.bucket)
                .element("Prefix", encode(prefix, urlEncoded));
        if (v2) {
            token.ifPresent(t -> xml.element("ContinuationToken", t));
            startAfter.ifPresent(s -> xml.element("StartAfter", encode(s, urlEncoded)));
            xml.element("KeyCount", listing.objects().size() + listing.commonPrefixes().size());
        } else {
            xml.element("Marker", encode(startAfter.orElse(""), urlEncoded));
        }
        xml.element("MaxKeys", maxKeys);
        if (!delimiter.isEmpty()) {
            xml.element("Delimiter", encode(delimiter, urlEncoded));
        }
        if (urlEncoded) {
            xml.element("EncodingType", "url");
        }
        xml.element("IsTruncated", listing.truncated());
        listing.next().ifPresent(next -> {
            if (v2) {
                xml.element("NextContinuationToken", ObjectService.encodeCursor(next));
            } else {
                xml.element("NextMarker", encode(next, urlEncoded));
            }
        });
        for (ObjectStore.ObjectInfo info : listing.objects()) {
            xml.open("Contents").element("Key", encode(info.key(), urlEncoded))
                    .element("LastModified", S3Xml.time(info.lastModified())).element("ETag", quoted(info.etag()))
                    .element("Size", info.size()).element("StorageClass", "STANDARD").close("Contents");
        }
        for (String common : listing.commonPrefixes()) {
            xml.open("CommonPrefixes").element("Prefix", encode(common, urlEncoded)).close("CommonPrefixes");
        }
        ex.xml(200, xml.end("ListBucketResult"));
    }

    private static int maxKeys(String value) {
        try {
            int n = Integer.parseInt(value);
            if (n >= 0) {
                return Math.min(n, ObjectService.MAX_LIMIT);
            }
        } catch (NumberFormatException e) {
            // below
        }
        throw S3Error.invalidArgument("Provided max-keys not an integer or within integer range");
    }

    private void deleteObjects(Exchange ex) throws IOException {
        objects.bucket(ex.bucket);
        Element root = S3Xml.parse(ex.smallBody());
        if (!S3Xml.localName(root).equals("Delete")) {
            throw S3Error.malformedXml();
        }
        boolean quiet = "true".equalsIgnoreCase(Optional.ofNullable(S3Xml.text(root, "Quiet")).orElse("").strip());
        List<Element> entries = S3Xml.children(root, "Object");
        if (entries.isEmpty() || entries.size() > MAX_DELETE_KEYS) {
            throw S3Error.malformedXml();
        }
        S3Xml xml = S3Xml.document("DeleteResult");
        for (Element entry : entries) {
            String key = S3Xml.text(entry, "Key");
            if (key == null) {
                throw S3Error.malformedXml();
            }
            try {
                objects.delete(ex.bucket, key);
                if (!quiet) {
                    xml.open("Deleted").element("Key", key).close("Deleted");
                }
            } catch (InvalidInputException e) {
                xml.open("Error").element("Key", key).element("Code", "InvalidArgument")
                        .element("Message", e.getMessage()).close("Error");
            }
        }
        ex.xml(200, xml.end("DeleteResult"));
    }

    private void listUploads(Exchange ex) {
        S3Xml xml = S3Xml.document("ListMultipartUploadsResult").element("Bucket", ex.bucket)
                .element("KeyMarker", "").element("UploadIdMarker", "").element("MaxUploads", 1000)
                .element("IsTruncated", false);
        for (ObjectStore.Upload upload : objects.uploads(ex.bucket)) {
            xml.open("Upload").element("Key", upload.key()).element("UploadId", upload.id())
                    .element("Initiated", S3Xml.time(upload.initiated())).element("StorageClass", "STANDARD")
                    .close("Upload");
        }
        ex.xml(200, xml.end("ListMultipartUploadsResult"));
    }

    // ---- objects

    private ObjectStore.Attributes attributes(Exchange ex) {
        var metadata = new TreeMap<String, String>();
        for (HttpField field : ex.request.getHeaders()) {
            String name = field.getName().toLowerCase(Locale.ROOT);
            if (name.startsWith(META) && name.length() > META.length()) {
                metadata.merge(name.substring(META.length()), field.getValue().strip(), (a, b) -> a + "," + b);
            }
        }
        String type = ex.header("Content-Type").map(String::strip).filter(t -> !t.isEmpty())
                .orElse(ObjectStore.Attributes.DEFAULT_CONTENT_TYPE);
        return new ObjectStore.Attributes(type, metadata);
    }

    private void requireLength(Exchange ex) {
        long declared = switch (ex.verdict.payload()) {
            case Payload.SignedChunks chunks -> chunks.decodedLength();
            case Payload.UnsignedChunks chunks -> chunks.decodedLength();
            case Payload.Sha256 _, Payload.Unsigned _ -> ex.request.getHeaders().getLongField(HttpHeader.CONTENT_LENGTH);
        };
        if (declared > MAX_PUT_BYTES) {
            throw new S3Error(400, "EntityTooLarge", "Your proposed upload exceeds the maximum allowed size of "
                    + MAX_PUT_BYTES + " bytes");
        }
    }

    private void putObject(Exchange ex) throws IOException {
        ObjectService.requireBucketName(ex.bucket);
        ObjectService.requireKey(ex.key);
        requireLength(ex);
        ObjectStore.Attributes attributes = attributes(ex);
        ObjectStore.ObjectInfo info;
        try (InputStream body = ex.body()) {
            info = objects.put(ex.bucket, ex.key, body, attributes, false);
        }
        ex.setHeader("ETag", quoted(info.etag()));
        ex.empty(200);
    }

    private void copyObject(Exchange ex) throws IOException {
        String source = ex.header("x-amz-copy-source").orElseThrow().strip();
        int version = source.indexOf("?versionId=");
        if (version >= 0) {
            throw S3Error.notImplemented("x-amz-copy-source with a versionId");
        }
        String decoded = percentDecoded(source, false);
        if (decoded.startsWith("/")) {
            decoded = decoded.substring(1);
        }
        int slash = decoded.indexOf('/');
        if (slash <= 0 || slash == decoded.length() - 1) {
            throw S3Error.invalidArgument("Copy Source must mention the source bucket and key: sourcebucket/sourcekey");
        }
        String sourceBucket = decoded.substring(0, slash);
        String sourceKey = decoded.substring(slash + 1);
        String directive = ex.header("x-amz-metadata-directive").orElse("COPY").strip().toUpperCase(Locale.ROOT);
        if (!directive.equals("COPY") && !directive.equals("REPLACE")) {
            throw S3Error.invalidArgument("Unknown metadata directive.");
        }
        // The copy's body must be empty: drain it through the checks all the same.
        try (InputStream body = ex.body()) {
            body.transferTo(OutputStream.nullOutputStream());
        }
        Optional<ObjectStore.Attributes> replace = directive.equals("REPLACE") ? Optional.of(attributes(ex))
                : Optional.empty();
        if (replace.isEmpty() && sourceBucket.equals(ex.bucket) && sourceKey.equals(ex.key)) {
            throw new S3Error(400, "InvalidRequest", "This copy request is illegal because it is trying to copy an"
                    + " object to itself without changing the object's metadata, storage class, website redirect"
                    + " location or encryption attributes.");
        }
        ObjectStore.ObjectInfo info = objects.copy(sourceBucket, sourceKey, ex.bucket, ex.key, replace);
        ex.xml(200, S3Xml.document("CopyObjectResult").element("LastModified", S3Xml.time(info.lastModified()))
                .element("ETag", quoted(info.etag())).end("CopyObjectResult"));
    }

    private void getObject(Exchange ex, boolean headOnly) throws IOException {
        Optional<ByteRange> range = ex.header("Range").flatMap(ByteRange::parse);
        if (headOnly) {
            ObjectStore.ObjectInfo info = objects.head(ex.bucket, ex.key);
            describe(ex, info);
            if (range.isPresent()) {
                ByteRange.Resolved resolved = range.get().resolve(info.size());
                ex.setHeader("Content-Range", resolved.contentRange());
                ex.response.setStatus(206);
                ex.response.getHeaders().put(HttpHeader.CONTENT_LENGTH, resolved.length());
            } else {
                ex.response.setStatus(200);
                ex.response.getHeaders().put(HttpHeader.CONTENT_LENGTH, info.size());
            }
            if (notModified(ex, info)) {
                return;
            }
            ex.responded = true;
            ex.response.write(true, null, ex.callback);
            return;
        }
        try (ObjectService.Content content = objects.get(ex.bucket, ex.key, range)) {
            ObjectStore.ObjectInfo info = content.info();
            describe(ex, info);
            if (notModified(ex, info)) {
                return;
            }
            content.range().ifPresent(r -> ex.setHeader("Content-Range", r.contentRange()));
            ex.param("response-content-type").ifPresent(type -> ex.setHeader("Content-Type", type));
            ex.param("response-content-disposition").ifPresent(v -> ex.setHeader("Content-Disposition", v));
            ex.param("response-cache-control").ifPresent(v -> ex.setHeader("Cache-Control", v));
            ex.param("response-content-encoding").ifPresent(v -> ex.setHeader("Content-Encoding", v));
            ex.param("response-content-language").ifPresent(v -> ex.setHeader("Content-Language", v));
            ex.param("response-expires").ifPresent(v -> ex.setHeader("Expires", v));
            ex.response.setStatus(content.range().isPresent() ? 206 : 200);
            ex.response.getHeaders().put(HttpHeader.CONTENT_LENGTH, content.length());
            ex.responded = true;
            Bodies.send(content, ex.response);
            ex.callback.succeeded();
        }
    }

    /** If-Match / If-None-Match on the ETag, as S3 checks them; true when the answer went out. */
    private static boolean notModified(Exchange ex, ObjectStore.ObjectInfo info) {
        String etag = quoted(info.etag());
        Optional<String> ifMatch = ex.header("If-Match");
        if (ifMatch.isPresent() && !matches(ifMatch.get(), etag)) {
            ex.response.getHeaders().remove(HttpHeader.CONTENT_RANGE);
            error(ex, 412, "PreconditionFailed", "At least one of the pre-conditions you specified did not hold",
                    Map.of());
            return true;
        }
        Optional<String> ifNoneMatch = ex.header("If-None-Match");
        if (ifNoneMatch.isPresent() && matches(ifNoneMatch.get(), etag)) {
            ex.response.getHeaders().remove(HttpHeader.CONTENT_RANGE);
            ex.empty(304);
            return true;
        }
        return false;
    }

    private static boolean matches(String header, String etag) {
        for (String tag : header.split(",")) {
            String candidate = tag.strip();
            if (candidate.startsWith("W/")) {
                candidate = candidate.substring(2);
            }
            if (candidate.equals("*") || candidate.equals(etag) || ("\"" + candidate + "\"").equals(etag)) {
                return true;
            }
        }
        return false;
    }

    private static void describe(Exchange ex, ObjectStore.ObjectInfo info) {
        ex.setHeader("ETag", quoted(info.etag()));
        ex.setHeader("Last-Modified", HTTP_DATE.format(info.lastModified()));
        ex.setHeader("Content-Type", info.contentType());
        ex.setHeader("Accept-Ranges", "bytes");
        info.metadata().forEach((name, value) -> ex.setHeader(META + name, value));
    }

    // ---- multipart

    private void createUpload(Exchange ex) throws IOException {
        refuseSubresources(ex, "uploads");
        ex.smallBody();
        ObjectStore.Upload upload = objects.createUpload(ex.bucket, ex.key, attributes(ex));
        ex.xml(200, S3Xml.document("InitiateMultipartUploadResult").element("Bucket", ex.bucket)
                .element("Key", ex.key).element("UploadId", upload.id()).end("InitiateMultipartUploadResult"));
    }

    private void uploadPart(Exchange ex) throws IOException {
        refuseSubresources(ex, "uploadId", "partNumber");
        if (ex.header("x-amz-copy-source").isPresent()) {
            throw S3Error.notImplemented("UploadPartCopy");
        }
        String uploadId = ex.param("uploadId").orElseThrow(() -> S3Error.invalidArgument("uploadId is missing"));
        int number = partNumber(ex.param("partNumber").orElseThrow(() -> S3Error.invalidArgument("partNumber is missing")));
        requireLength(ex);
        ObjectStore.Part part;
        try (InputStream body = ex.body()) {
            part = objects.putPart(ex.bucket, ex.key, uploadId, number, body);
        }
        ex.setHeader("ETag", quoted(part.etag()));
        ex.empty(200);
    }

    private static int partNumber(String value) {
        try {
            return ObjectService.requirePartNumber(Integer.parseInt(value));
        } catch (NumberFormatException e) {
            throw S3Error.invalidArgument("Part number must be an integer between 1 and 10000, inclusive");
        }
    }

    private void listParts(Exchange ex) {
        refuseSubresources(ex, "uploadId", "max-parts", "part-number-marker");
        String uploadId = ex.query.get("uploadId");
        int marker = ex.param("part-number-marker").map(v -> {
            try {
                return Integer.parseInt(v);
            } catch (NumberFormatException e) {
                throw S3Error.invalidArgument("part-number-marker must be an integer");
            }
        }).orElse(0);
        int max = ex.param("max-parts").map(S3Handler::maxKeys).orElse(1000);
        List<ObjectStore.Part> parts = objects.parts(ex.bucket, ex.key, uploadId).stream()
                .filter(p -> p.number() > marker).toList();
        boolean truncated = parts.size() > max;
        List<ObjectStore.Part> page = truncated ? parts.subList(0, max) : parts;
        S3Xml xml = S3Xml.document("ListPartsResult").element("Bucket", ex.bucket).element("Key", ex.key)
                .element("UploadId", uploadId).element("PartNumberMarker", marker);
        if (!page.isEmpty()) {
            xml.element("NextPartNumberMarker", page.getLast().number());
        }
        xml.element("MaxParts", max).element("IsTruncated", truncated).element("StorageClass", "STANDARD");
        for (ObjectStore.Part part : page) {
            xml.open("Part").element("PartNumber", part.number()).element("LastModified", S3Xml.time(part.lastModified()))
                    .element("ETag", quoted(part.etag())).element("Size", part.size()).close("Part");
        }
        ex.xml(200, xml.end("ListPartsResult"));
    }

    private void completeUpload(Exchange ex) throws IOException {
        refuseSubresources(ex, "uploadId");
        String uploadId = ex.query.get("uploadId");
        objects.upload(ex.bucket, ex.key, uploadId); // NoSuchUpload before the body's faults
        Element root = S3Xml.parse(ex.smallBody());
        if (!S3Xml.localName(root).equals("CompleteMultipartUpload")) {
            throw S3Error.malformedXml();
        }
        var named = new ArrayList<Map.Entry<Integer, String>>();
        for (Element part : S3Xml.children(root, "Part")) {
            String number = S3Xml.text(part, "PartNumber");
            String etag = S3Xml.text(part, "ETag");
            if (number == null || etag == null) {
                throw S3Error.malformedXml();
            }
            try {
                named.add(new AbstractMap.SimpleImmutableEntry<>(Integer.parseInt(number.strip()), etag.strip()));
            } catch (NumberFormatException e) {
                throw S3Error.malformedXml();
            }
        }
        ObjectStore.ObjectInfo info = objects.complete(ex.bucket, ex.key, uploadId, named);
        ex.xml(200, S3Xml.document("CompleteMultipartUploadResult").element("Location", ex.resource())
                .element("Bucket", ex.bucket).element("Key", ex.key).element("ETag", quoted(info.etag()))
                .end("CompleteMultipartUploadResult"));
    }

    // ---- requests and errors

    private static void parsePath(Exchange ex, String rawPath) {
        String path = rawPath.startsWith("/") ? rawPath.substring(1) : rawPath;
        int slash = path.indexOf('/');
        String bucket = slash < 0 ? path : path.substring(0, slash);
        ex.bucket = percentDecoded(bucket, false);
        ex.key = slash < 0 ? "" : percentDecoded(path.substring(slash + 1), false);
    }

    private static void parseQuery(Exchange ex, String rawQuery) {
        if (rawQuery == null || rawQuery.isEmpty()) {
            return;
        }
        for (String pair : rawQuery.split("&")) {
            if (pair.isEmpty()) {
                continue;
            }
            int eq = pair.indexOf('=');
            String name = percentDecoded(eq < 0 ? pair : pair.substring(0, eq), true);
            String value = eq < 0 ? "" : percentDecoded(pair.substring(eq + 1), true);
            ex.query.putIfAbsent(name, value);
        }
    }

    /** Strict percent-decoding to UTF-8; in a query, '+' is a space. */
    static String percentDecoded(String raw, boolean query) {
        if (raw.indexOf('%') < 0 && !(query && raw.indexOf('+') >= 0)) {
            return raw;
        }
        var bytes = new ByteArrayOutputStream(raw.length());
        for (int i = 0; i < raw.length(); i++) {
            char c = raw.charAt(i);
            if (c == '%') {
                if (i + 2 >= raw.length() || Character.digit(raw.charAt(i + 1), 16) < 0
                        || Character.digit(raw.charAt(i + 2), 16) < 0) {
                    throw new S3Error(400, "InvalidURI", "Couldn't parse the specified URI.");
                }
                bytes.write(HexFormat.fromHexDigits(raw, i + 1, i + 3));
                i += 2;
            } else if (c == '+' && query) {
                bytes.write(' ');
            } else {
                bytes.writeBytes(String.valueOf(c).getBytes(StandardCharsets.UTF_8));
            }
        }
        try {
            return StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(bytes.toByteArray())).toString();
        } catch (CharacterCodingException e) {
            throw new S3Error(400, "InvalidURI", "Couldn't parse the specified URI: it is not UTF-8 once decoded.");
        }
    }

    /** As S3's encoding-type=url: every byte but unreserved characters and '/' percent-encoded. */
    static String encode(String text, boolean urlEncoded) {
        if (!urlEncoded) {
            return text;
        }
        var out = new StringBuilder(text.length());
        for (byte b : text.getBytes(StandardCharsets.UTF_8)) {
            int c = b & 0xff;
            if (c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_'
                    || c == '.' || c == '~' || c == '/') {
                out.append((char) c);
            } else {
                out.append('%').append(HexFormat.of().withUpperCase().toHexDigits((byte) c));
            }
        }
        return out.toString();
    }

    static String quoted(String etag) {
        return "\"" + etag + "\"";
    }

    private static void fail(Exchange ex, Exception failure) {
        if (ex.responded) {
            // Mid-body: nothing more can be said; the connection ends the answer.
            LOG.log(Level.FINE, "S3 " + ex.method() + " " + ex.resource() + " failed after its answer began", failure);
            ex.callback.failed(failure);
            return;
        }
        try {
            throw failure;
        } catch (S3Error e) {
            error(ex, e.status(), e.code(), e.getMessage(), Map.of());
        } catch (PayloadException e) {
            error(ex, e.error().status(), e.error().code(), e.getMessage(), Map.of());
        } catch (NotFoundException e) {
            switch (e.kind()) {
                case "bucket" -> error(ex, 404, "NoSuchBucket", "The specified bucket does not exist", Map.of());
                case "upload" -> error(ex, 404, "NoSuchUpload", "The specified multipart upload does not exist. The"
                        + " upload ID might be invalid, or the multipart upload might have been aborted or completed.",
                        Map.of());
                default -> error(ex, 404, "NoSuchKey", "The specified key does not exist.", Map.of());
            }
        } catch (InvalidInputException e) {
            String code = switch (e.field()) {
                case "bucket" -> "InvalidBucketName";
                case "key" -> e.getMessage().contains("at most") ? "KeyTooLongError" : "InvalidArgument";
                case "metadata" -> e.getMessage().contains("exceed") ? "MetadataTooLarge" : "InvalidArgument";
                default -> "InvalidArgument";
            };
            error(ex, 400, code, e.getMessage(), Map.of());
        } catch (ObjectException e) {
            error(ex, e.kind().status(), e.kind().s3Code(), e.getMessage(), Map.of());
        } catch (Exception e) {
            if (clientGone(e)) {
                error(ex, 400, "IncompleteBody", "You did not provide the number of bytes specified by the"
                        + " Content-Length HTTP header.", Map.of());
                return;
            }
            LOG.log(Level.SEVERE, "unexpected failure of S3 " + ex.method() + " " + ex.resource(), e);
            error(ex, 500, "InternalError", "We encountered an internal error. Please try again.", Map.of());
        }
    }

    private static boolean clientGone(Throwable failure) {
        for (Throwable cause = failure; cause != null; cause = cause.getCause()) {
            if (cause instanceof EofException || cause instanceof EOFException
                    || cause instanceof org.eclipse.jetty.http.BadMessageException) {
                return true;
            }
        }
        return false;
    }

    private static void error(Exchange ex, int status, String code, String message, Map<String, String> details) {
        ex.response.getHeaders().clear(); // nothing of the object an answer began to describe
        ex.setHeader("x-amz-request-id", ex.requestId);
        if (ex.method().equals("HEAD")) {
            ex.empty(status); // a HEAD answer has no body: the status says it
            return;
        }
        ex.xml(status, S3Xml.error(code, message, ex.resource(), ex.requestId, details));
    }
}
