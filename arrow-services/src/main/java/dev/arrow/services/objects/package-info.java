/**
 * The S3-compatible object store's rules that do not need an HTTP server: AWS Signature Version 4
 * verification ({@link dev.arrow.services.objects.SignatureV4}) of the Authorization header, of
 * presigned URLs and of {@code aws-chunked} uploads, over a plain view of a request.
 */
package dev.arrow.services.objects;
