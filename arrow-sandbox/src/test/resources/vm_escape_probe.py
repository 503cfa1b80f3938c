"""Escape attempts only a VM-tier guest can make: through its virtio ports, its kernel's devices,
its shares (including from a user namespace of its own) and the host's side of a VM's network.

Prints one JSON object: attempt name -> "blocked" or "ESCAPED: <what happened>".
Arguments: host_port share_target share_tag...  (the tags of the guest's virtio-fs shares)
"""
import ctypes
import errno
import json
import os
import socket
import sys

libc = ctypes.CDLL(None, use_errno=True)
libc.mount.argtypes = [ctypes.c_char_p, ctypes.c_char_p, ctypes.c_char_p, ctypes.c_ulong, ctypes.c_char_p]
results = {}
host_port, share_target, tags = int(sys.argv[1]), sys.argv[2], sys.argv[3:]

MS_RDONLY, MS_REMOUNT, MS_BIND = 1, 32, 4096
CLONE_NEWNS, CLONE_NEWUSER = 0x00020000, 0x10000000


def attempt(name):
    def wrap(fn):
        try:
            outcome = fn()
            results[name] = "blocked" if outcome is None else "ESCAPED: " + str(outcome)
        except OSError:
            results[name] = "blocked"
        return fn
    return wrap


def check(ok, what):
    """None (blocked) unless ok, else what happened."""
    return what if ok else None


# --- the ports that carry the request, stdio and the result ------------------------------------
@attempt("open a virtio-console port (forge the result, read the request)")
def _():
    opened = []
    for dev in sorted(os.listdir("/sys/class/virtio-ports")):
        for mode in (os.O_WRONLY, os.O_RDONLY):
            try:
                os.close(os.open("/dev/" + dev, mode))
                opened.append(dev)
            except OSError:
                pass
    return check(opened, "opened " + ", ".join(opened))


@attempt("write to the serial console or the kernel log")
def _():
    for dev in ("/dev/console", "/dev/ttyS0", "/dev/kmsg", "/dev/hvc0"):
        try:
            fd = os.open(dev, os.O_WRONLY)
        except OSError:
            continue
        os.close(fd)
        return "opened " + dev
    return None


@attempt("read guest memory or I/O ports")
def _():
    for dev in ("/dev/mem", "/dev/kmem", "/dev/port", "/proc/kcore"):
        try:
            with open(dev, "rb") as f:
                f.read(1)
            return "read " + dev
        except OSError:
            pass
    return None


# --- the guest's own root and its init --------------------------------------------------------
@attempt("become root in the guest")
def _():
    os.setuid(0)
    return "setuid(0) succeeded"


@attempt("signal the guest init or its stdio pump")
def _():
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            if os.stat("/proc/" + pid).st_uid != 0 or not open("/proc/%s/cmdline" % pid, "rb").read():
                continue  # one of its own, or a kernel thread
        except OSError:
            continue
        try:
            os.kill(int(pid), 0)
            return "kill(%s, 0) succeeded" % pid
        except OSError:
            pass
    return None


@attempt("write a kernel setting or trigger sysrq")
def _():
    for path in ("/proc/sys/kernel/hostname", "/proc/sysrq-trigger", "/proc/sys/vm/drop_caches",
                 "/sys/kernel/uevent_helper", "/sys/power/state"):
        try:
            with open(path, "w"):
                return "opened " + path + " for writing"
        except OSError:
            pass
    return None


@attempt("shares and /usr without nosuid or writable")
def _():
    found = []
    for path in ["/usr", share_target]:
        flags = os.statvfs(path).f_flag
        if not flags & os.ST_NOSUID:
            found.append(path + " allows setuid")
        if not flags & os.ST_RDONLY:
            found.append(path + " is writable")
    return check(found, "; ".join(found))


@attempt("change a host file's mode, owner or attributes through /usr")
def _():
    target = "/usr/bin/env"
    for change in (lambda: os.chmod(target, 0o4777), lambda: os.chown(target, 65534, 65534),
                   lambda: os.setxattr(target, "user.arrow-probe", b"x"), lambda: os.utime(target, (0, 0))):
        try:
            change()
            return "changed " + target
        except OSError:
            pass
    return None


# --- from a user namespace of its own: the powers its root has there, against the shares ------
def in_user_namespace():
    """Runs the attempts as root of a new user and mount namespace; what succeeded, or None."""
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(r)
        done, control = [], {"user namespace made": False, "tmpfs mounted in it": False}
        try:
            if libc.unshare(CLONE_NEWUSER | CLONE_NEWNS) != 0:
                raise OSError(ctypes.get_errno(), "unshare")  # no user namespaces: nothing to try from one
            control["user namespace made"] = True
            for name, text in (("setgroups", "deny"), ("uid_map", "0 %d 1" % os.getuid()),
                               ("gid_map", "0 %d 1" % os.getgid())):
                with open("/proc/self/" + name, "w") as f:
                    f.write(text)
            os.makedirs("/tmp/arrow-probe-mnt", exist_ok=True)
            # What its root may do there, to show the attempts below had those powers.
            control["tmpfs mounted in it"] = libc.mount(b"none", b"/tmp/arrow-probe-mnt", b"tmpfs", 0, None) == 0
            libc.umount2(b"/tmp/arrow-probe-mnt", 0)
            tries = [("remount /usr read-write", lambda: libc.mount(None, b"/usr", None, MS_REMOUNT | MS_BIND, None)),
                     ("remount /usr's file system read-write", lambda: libc.mount(None, b"/usr", None, MS_REMOUNT, None)),
                     ("remount the share read-write", lambda: libc.mount(None, share_target.encode(), None,
                                                                          MS_REMOUNT | MS_BIND, None))]
            for tag in ["usr"] + tags:
                tries.append(("mount virtio-fs tag %s read-write" % tag,
                              lambda tag=tag: libc.mount(tag.encode(), b"/tmp/arrow-probe-mnt", b"virtiofs", 0, None)))
            for what, call in tries:
                if call() == 0:
                    done.append(what)
            paths = ["/usr/arrow-escape-probe", os.path.join(share_target, "arrow-escape-probe")]
            if os.path.ismount("/tmp/arrow-probe-mnt"):
                paths.append("/tmp/arrow-probe-mnt/arrow-escape-probe")
            for path in paths:
                try:
                    with open(path, "w") as f:
                        f.write("x")
                    done.append("wrote " + path)
                except OSError:
                    pass
        except OSError:
            pass
        except Exception as e:  # noqa: the child must report, whatever happened
            done.append("probe error: %r" % e)
        os.write(w, json.dumps({"done": done, "control": control}).encode())
        os._exit(0)
    os.close(w)
    out = b""
    while True:
        chunk = os.read(r, 65536)
        if not chunk:
            break
        out += chunk
    os.close(r)
    os.waitpid(pid, 0)
    answer = json.loads(out or b'{"done": ["no answer"], "control": {}}')
    results["control"] = answer["control"]
    return check(answer["done"], ", ".join(answer["done"]))


attempt("make a share writable from a user namespace")(in_user_namespace)


# --- the host's side of a VM's network --------------------------------------------------------
@attempt("reach the host through a user-mode network's gateway")
def _():
    with socket.create_connection(("10.0.2.2", host_port), timeout=2):
        return "connected to 10.0.2.2:%d" % host_port


@attempt("reach the host over vsock")
def _():
    s = socket.socket(socket.AF_VSOCK, socket.SOCK_STREAM)
    s.settimeout(2)
    s.connect((2, host_port))  # CID 2: the host
    return "connected to the host's vsock port %d" % host_port


@attempt("a way out through the user-mode NIC (its gateway, DNS or any address)")
def _():
    reached = []
    for address, port in (("10.0.2.2", 80), ("10.0.2.3", 53), ("1.1.1.1", 443), ("192.168.0.1", 80)):
        try:
            with socket.create_connection((address, port), timeout=2):
                reached.append("%s:%d" % (address, port))
        except OSError:
            pass
    return check(reached, "connected to " + ", ".join(reached))


print(json.dumps(results))
