package dev.arrow.sandbox.vm;

import dev.arrow.sandbox.SandboxSpec;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * What the guest init reads on its control port: a u32 little-endian length, then NUL-terminated
 * fields: {@code arrow-vm-1}, uid, gid, workdir, host name, tmpfs bytes, open files, argc, argv...,
 * envc, NAME=VALUE..., share count, then (tag, target, "1" writable or "0") per share.
 */
final class VmRequest {

    static final String VERSION = "arrow-vm-1";

    /** A virtio-fs share of the spec: the tag the guest mounts at target. */
    record Share(String tag, java.nio.file.Path source, String target, boolean writable) {
    }

    private VmRequest() {
    }

    /** The spec's mounts as shares, tagged m0, m1, ... (the host's /usr is the tag {@code usr}). */
    static List<Share> shares(SandboxSpec spec) {
        var shares = new ArrayList<Share>();
        for (int i = 0; i < spec.mounts().size(); i++) {
            var mount = spec.mounts().get(i);
            shares.add(new Share("m" + i, mount.source(), mount.target(), mount.writable()));
        }
        return shares;
    }

    static final String PREPARE = "arrow-vm-prepare";

    static byte[] encode(SandboxSpec spec) {
        var fields = new ArrayList<String>();
        fields.add(VERSION);
        fields.add(Integer.toString(spec.uid()));
        fields.add(Integer.toString(spec.gid()));
        fields.add(spec.workdir());
        fields.add(spec.hostname());
        fields.add(Long.toString(spec.limits().tmpfsBytes()));
        fields.add(Integer.toString(spec.limits().openFiles()));
        fields.add(Integer.toString(spec.argv().size()));
        fields.addAll(spec.argv());
        fields.add(Integer.toString(spec.env().size()));
        spec.env().forEach((name, value) -> fields.add(name + "=" + value));
        var shares = shares(spec);
        fields.add(Integer.toString(shares.size()));
        for (Share share : shares) {
            fields.add(share.tag());
            fields.add(share.target());
            fields.add(share.writable() ? "1" : "0");
        }
        fields.add(Integer.toString(spec.readyPort().orElse(0)));
        fields.add(spec.network() == dev.arrow.sandbox.NetworkPolicy.HOST ? "host" : "none");
        return message(fields);
    }

    /** What a pooled guest gets before its request: mount the host's /usr now, answer "prepared". */
    static byte[] encodePrepare() {
        return message(List.of(PREPARE));
    }

    private static byte[] message(List<String> fields) {
        var body = new ByteArrayOutputStream();
        for (String field : fields) {
            body.writeBytes(field.getBytes(StandardCharsets.UTF_8));
            body.write(0);
        }
        int length = body.size();
        var out = new ByteArrayOutputStream(length + 4);
        out.write(length);
        out.write(length >>> 8);
        out.write(length >>> 16);
        out.write(length >>> 24);
        out.writeBytes(body.toByteArray());
        return out.toByteArray();
    }
}
