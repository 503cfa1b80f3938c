"""Escape attempts, run from inside a sandbox (and, as a control, on the host as nobody).

Prints one JSON object: attempt name -> "blocked" or "ESCAPED: <what happened>".
Arguments: host_pid host_port host_file_path readonly_dir setuid_binary
"""
import ctypes
import errno
import json
import os
import socket
import stat
import subprocess
import sys

libc = ctypes.CDLL(None, use_errno=True)
libc.syscall.restype = ctypes.c_long
results = {}


def attempt(name):
    def wrap(fn):
        try:
            outcome = fn()
            results[name] = "blocked" if outcome is None else "ESCAPED: " + str(outcome)
        except OSError as e:
            results[name] = "blocked"
        return fn
    return wrap


host_pid, host_port, host_file, readonly_dir, setuid_binary = sys.argv[1:6]
host_pid, host_port = int(host_pid), int(host_port)


def raw(nr, *args):
    """A raw syscall: returns (result, errno)."""
    ctypes.set_errno(0)
    res = libc.syscall(ctypes.c_long(nr), *[ctypes.c_long(a) if isinstance(a, int) else a for a in args])
    return res, ctypes.get_errno()


# --- files -------------------------------------------------------------------------------------
@attempt("read /etc/shadow")
def _():
    with open("/etc/shadow") as f:
        return "read %d bytes" % len(f.read())


@attempt("read a host file outside the view")
def _():
    with open(host_file) as f:
        return "read " + f.read()[:20]


@attempt("write to /usr")
def _():
    with open("/usr/arrow-escape-probe", "w") as f:
        f.write("x")
    return "created /usr/arrow-escape-probe"


@attempt("write to a read-only mount")
def _():
    with open(os.path.join(readonly_dir, "written"), "w") as f:
        f.write("x")
    return "wrote into " + readonly_dir


@attempt("mknod a device")
def _():
    os.mknod("/tmp/null-copy", stat.S_IFCHR | 0o666, os.makedev(1, 3))
    return "created a character device"


@attempt("remount / read-write")
def _():
    r = subprocess.run(["mount", "-o", "remount,rw", "/"], capture_output=True)
    if r.returncode == 0:
        return "mount succeeded"
    with open("/arrow-escape-probe", "w") as f:
        return "root is writable"


@attempt("escalate via a setuid binary")
def _():
    out = subprocess.run([setuid_binary, "-u"], capture_output=True, text=True).stdout.strip()
    return None if out != "0" else "effective uid 0"


@attempt("escape the cgroup through cgroup.procs")
def _():
    for path in ("/sys/fs/cgroup/cgroup.procs", "/sys/fs/cgroup/memory/cgroup.procs",
                 "/sys/fs/cgroup/pids/cgroup.procs", "/sys/fs/cgroup/unified/cgroup.procs"):
        try:
            with open(path, "w") as f:
                f.write(str(os.getpid()))
            return "wrote " + path
        except OSError:
            pass
    return None


# --- processes ---------------------------------------------------------------------------------
@attempt("see a host process")
def _():
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            with open("/proc/%s/cmdline" % pid, "rb") as f:
                if b"arrow-escape-marker" in f.read():
                    return "saw it as pid " + pid
        except OSError:
            pass
    return None


@attempt("signal a host process")
def _():
    os.kill(host_pid, 0)
    return "kill(%d, 0) succeeded" % host_pid


# --- network -----------------------------------------------------------------------------------
@attempt("reach a listener on the host's 127.0.0.1")
def _():
    with socket.create_connection(("127.0.0.1", host_port), timeout=2):
        return "connected"


# --- syscalls the seccomp filter denies ---------------------------------------------------------
CLONE_NEWUSER = 0x10000000
SIGCHLD = 17
buf = ctypes.create_string_buffer(256)
iov_local = (ctypes.c_void_p * 2)(ctypes.cast(buf, ctypes.c_void_p), 8)
iov_remote = (ctypes.c_void_p * 2)(ctypes.cast(buf, ctypes.c_void_p), 8)
perf_attr = ctypes.create_string_buffer(128)
ctypes.memmove(perf_attr, (ctypes.c_uint32 * 2)(1, 128), 8)  # type=PERF_TYPE_SOFTWARE, size
ctypes.memmove(ctypes.addressof(perf_attr) + 40, (ctypes.c_uint64 * 1)(1 << 5), 8)  # exclude_kernel

# name -> (nr, args); each is refused by the filter with EPERM (clone3 with ENOSYS).
SYSCALLS = {
    "mount": (165, b"none", b"/tmp", b"tmpfs", 0, 0),
    "umount2": (166, b"/proc", 2),
    "pivot_root": (155, b"/tmp", b"/tmp"),
    "chroot": (161, b"/tmp"),
    "unshare": (272, CLONE_NEWUSER),
    "setns": (308, -1, 0),
    "ptrace": (101, 16, 1, 0, 0),  # PTRACE_ATTACH to pid 1
    "process_vm_readv": (310, os.getpid(), iov_local, 1, iov_remote, 1, 0),
    "process_vm_writev": (311, os.getpid(), iov_local, 1, iov_remote, 1, 0),
    "kexec_load": (246, 0, 0, 0, 0),
    "kexec_file_load": (320, -1, -1, 0, b"", 0),
    "init_module": (175, 0, 0, b""),
    "finit_module": (313, -1, b"", 0),
    "delete_module": (176, b"arrow_nonexistent", 0),
    "bpf": (321, 0, 0, 0),
    "perf_event_open": (298, perf_attr, 0, -1, -1, 0),
    "keyctl": (250, 0, -3, 0),  # KEYCTL_GET_KEYRING_ID of the session keyring
    "add_key": (248, b"user", b"arrow-probe", b"x", 1, -3),
    "request_key": (249, b"user", b"arrow-probe", 0, 0),
    "userfaultfd": (323, 1),  # UFFD_USER_MODE_ONLY
    "io_uring_setup": (425, 1, ctypes.create_string_buffer(120)),
    "io_uring_enter": (426, -1, 0, 0, 0, 0, 0),
    "io_uring_register": (427, -1, 0, 0, 0),
    "open_by_handle_at": (304, -1, 0, 0),
    "reboot": (169, 0, 0, 0, 0),
    "swapon": (167, b"/tmp/none", 0),
    "swapoff": (168, b"/tmp/none"),
    "clock_settime": (227, 0, ctypes.create_string_buffer(16)),
    "clock_adjtime": (305, 0, ctypes.create_string_buffer(256)),
    "settimeofday": (164, 0, 0),
    "acct": (163, 0),
    "quotactl": (179, 0, 0, 0, 0),
    "syslog": (103, 10, 0, 0),  # SYSLOG_ACTION_SIZE_BUFFER
    "fsopen": (430, b"tmpfs", 0),
    "fsmount": (432, -1, 0, 0),
    "move_mount": (429, -1, b"", -1, b"", 0),
    "open_tree": (428, -100, b"/", 0),
    "clone with a namespace flag": (56, CLONE_NEWUSER | SIGCHLD, 0, 0, 0, 0),
    "clone3": (435, 0, 0),
}

for name, (nr, *args) in SYSCALLS.items():
    res, err = raw(nr, *args)
    if res == 0 and nr == 56:
        os._exit(0)  # the clone succeeded and this is the child: leave quietly
    wanted = errno.ENOSYS if name == "clone3" else errno.EPERM
    results["syscall " + name] = "blocked" if res == -1 and err == wanted else \
        "ESCAPED: returned %d, errno %s" % (res, errno.errorcode.get(err, err))

with open("/proc/self/status") as f:
    status = dict(line.rstrip("\n").split(":\t", 1) for line in f if ":\t" in line)
results["identity"] = "uid=%d gid=%d groups=%s" % (os.getuid(), os.getgid(), os.getgroups())
results["status"] = {k: status.get(k, "").strip() for k in ("CapEff", "CapPrm", "CapBnd", "CapAmb", "NoNewPrivs", "Seccomp")}
print(json.dumps(results))
