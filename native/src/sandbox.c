/*
 * Inside the sandbox. This code runs as pid 1 of fresh pid, mount, ipc, uts (and net) namespaces.
 * It joins the cgroup, builds the root filesystem (bubblewrap's two-step pivot_root: the host's
 * root stays reachable at /oldroot while the new one is filled, then is detached), starts the
 * program with every privilege dropped, and stays as the namespace's init: it reaps orphans,
 * forwards signals, and reports the program's wait status. When it exits the kernel kills
 * whatever is left in the namespace.
 *
 * The root is built, pivoted into and the host's root detached before anything depends on more
 * than the spec's network and /etc; then come the spec's names, sizes and mounts (the mounts as
 * trees the supervisor cloned in the host's view, open_tree). A prewarmed sandbox is built with a
 * generic spec and waits between the two for its assignment, then changes what differs.
 */
#include "helper.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <linux/capability.h>
#include <net/if.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <time.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#ifndef MOUNT_ATTR_RDONLY
struct mount_attr {
    uint64_t attr_set;
    uint64_t attr_clr;
    uint64_t propagation;
    uint64_t userns_fd;
};
#define MOUNT_ATTR_RDONLY 0x00000001
#define MOUNT_ATTR_NOSUID 0x00000002
#define MOUNT_ATTR_NODEV 0x00000004
#endif
#ifndef AT_RECURSIVE
#define AT_RECURSIVE 0x8000
#endif
#ifndef MOVE_MOUNT_F_EMPTY_PATH
#define MOVE_MOUNT_F_EMPTY_PATH 0x00000004
#endif
#define SECBIT_NOROOT (1 << 0)
#define SECBIT_NOROOT_LOCKED (1 << 1)
#define SECBIT_NO_SETUID_FIXUP_LOCKED (1 << 3)
#define SECBIT_KEEP_CAPS_LOCKED (1 << 5)
#define SECBIT_NO_CAP_AMBIENT_RAISE (1 << 6)
#define SECBIT_NO_CAP_AMBIENT_RAISE_LOCKED (1 << 7)

#define NEWROOT "/newroot"
#define OLDROOT "/oldroot"

static int error_fd = -1;
static volatile pid_t program_pid = 0;

#define FAIL(...)                                                                                  \
    do {                                                                                           \
        send_error(error_fd, "setup-failed", __VA_ARGS__);                                         \
        _exit(EXIT_HELPER_ERROR);                                                                  \
    } while (0)

static void do_mount(const char *src, const char *dst, const char *type, unsigned long flags,
                     const char *data) {
    if (mount(src, dst, type, flags, data) < 0)
        FAIL("mount %s on %s: %s", src ? src : type, dst, strerror(errno));
}

/* Applies read-only/nosuid/nodev and private propagation to a bind and every mount below it. */
static void restrict_bind(const char *dst, int writable) {
    struct mount_attr attr = {0};
    attr.attr_set = MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | (writable ? 0 : MOUNT_ATTR_RDONLY);
    attr.propagation = MS_PRIVATE;
    if (syscall(SYS_mount_setattr, -1, dst, AT_RECURSIVE, &attr, sizeof attr) == 0) return;
    /* kernels before 5.12: only the top mount can be changed */
    do_mount(NULL, dst, NULL, MS_REC | MS_PRIVATE, NULL);
    do_mount(NULL, dst, NULL, MS_BIND | MS_REMOUNT | MS_NOSUID | MS_NODEV | (writable ? 0 : MS_RDONLY), NULL);
}

static void bind_host(const char *host_path, const char *dst, int writable) {
    char src[PATH_MAX];
    snprintf(src, sizeof src, OLDROOT "%s", host_path);
    do_mount(src, dst, NULL, MS_BIND | MS_REC, NULL);
    restrict_bind(dst, writable);
}

static void touch(const char *path) {
    int fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0 && errno != EEXIST) FAIL("create %s: %s", path, strerror(errno));
    if (fd >= 0) close(fd);
}

static void write_new(const char *path, const char *text) {
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) FAIL("create %s: %s", path, strerror(errno));
    size_t len = strlen(text);
    if (write(fd, text, len) != (ssize_t) len) FAIL("write %s: %s", path, strerror(errno));
    close(fd);
}

/* Host directories shared read-only: a symlink on the host (merged /usr) stays a symlink. */
static void share_system_dir(const char *name) {
    char host[PATH_MAX], dst[PATH_MAX], target[PATH_MAX];
    snprintf(host, sizeof host, OLDROOT "/%s", name);
    snprintf(dst, sizeof dst, NEWROOT "/%s", name);
    struct stat st;
    if (lstat(host, &st) < 0) return;
    if (S_ISLNK(st.st_mode)) {
        ssize_t n = readlink(host, target, sizeof target - 1);
        if (n < 0) return;
        target[n] = '\0';
        if (symlink(target, dst) < 0) FAIL("symlink %s: %s", dst, strerror(errno));
    } else if (S_ISDIR(st.st_mode)) {
        if (mkdir(dst, 0755) < 0) FAIL("mkdir %s: %s", dst, strerror(errno));
        snprintf(host, sizeof host, "/%s", name);
        bind_host(host, dst, 0);
    }
}

/*
 * /etc is an allow-list: what programs need to run (loader, name service, TLS roots, time zone,
 * interpreters' config), never shadow, gshadow, ssh keys, sudoers or private TLS keys. It is
 * copied once per state of the host's /etc into a cache directory (etc_cache.c) and bound with a
 * single mount. Users, groups, hosts and the host name differ per sandbox: the cache has symlinks
 * for them into /run/sandbox, written by write_identity, so the host's accounts stay private.
 */
static void build_etc(const struct spec *s) {
    mkdir(NEWROOT "/etc", 0755);
    bind_host(s->etc_dir, NEWROOT "/etc", 0);
    if (mkdirs(NEWROOT "/run/sandbox", 0755) < 0) FAIL("mkdir /run/sandbox: %s", strerror(errno));
}

/* Users, groups and names of this sandbox: /etc links here. */
static void write_identity(const struct spec *s) {
    char buf[1024];
    snprintf(buf, sizeof buf,
             "root:x:0:0:root:/root:/usr/sbin/nologin\n"
             "nobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n");
    if (s->uid != 0 && s->uid != 65534)
        snprintf(buf + strlen(buf), sizeof buf - strlen(buf), "arrow:x:%u:%u:arrow:/tmp:/usr/sbin/nologin\n",
                 (unsigned) s->uid, (unsigned) s->gid);
    write_new("/run/sandbox/passwd", buf);
    snprintf(buf, sizeof buf, "root:x:0:\nnogroup:x:65534:\n");
    if (s->gid != 0 && s->gid != 65534)
        snprintf(buf + strlen(buf), sizeof buf - strlen(buf), "arrow:x:%u:\n", (unsigned) s->gid);
    write_new("/run/sandbox/group", buf);
    snprintf(buf, sizeof buf, "127.0.0.1\tlocalhost %s\n::1\tlocalhost ip6-localhost ip6-loopback\n", s->hostname);
    write_new("/run/sandbox/hosts", buf);
    snprintf(buf, sizeof buf, "%s\n", s->hostname);
    write_new("/run/sandbox/hostname", buf);
}

/* /tmp and /dev/shm, with the spec's size; again: only the size changes. */
static void mount_scratch(const struct spec *s, int again) {
    static const char *dirs[] = {"/tmp", "/dev/shm"};
    char opts[64];
    snprintf(opts, sizeof opts, again ? "size=%lld" : "mode=1777,size=%lld", s->tmpfs_bytes);
    for (int i = 0; i < 2; i++)
        do_mount(again ? NULL : "tmpfs", dirs[i], again ? NULL : "tmpfs", MS_NOSUID | MS_NODEV | (again ? MS_REMOUNT : 0),
                 opts);
}

/* /dev/shm is mounted by mount_scratch. */
static void build_dev(void) {
    static const char *nodes[] = {"null", "zero", "full", "random", "urandom", "tty"};
    char path[PATH_MAX], host[PATH_MAX];
    mkdir(NEWROOT "/dev", 0755);
    do_mount("tmpfs", NEWROOT "/dev", "tmpfs", MS_NOSUID | MS_NOEXEC, "mode=0755,size=64k");
    for (size_t i = 0; i < sizeof nodes / sizeof nodes[0]; i++) {
        snprintf(path, sizeof path, NEWROOT "/dev/%s", nodes[i]);
        snprintf(host, sizeof host, "/dev/%s", nodes[i]);
        touch(path);
        char src[PATH_MAX];
        snprintf(src, sizeof src, OLDROOT "%s", host);
        do_mount(src, path, NULL, MS_BIND, NULL);
    }
    static const char *links[][2] = {{"/proc/self/fd", "fd"}, {"/proc/self/fd/0", "stdin"},
                                     {"/proc/self/fd/1", "stdout"}, {"/proc/self/fd/2", "stderr"},
                                     {"pts/ptmx", "ptmx"}};
    for (size_t i = 0; i < sizeof links / sizeof links[0]; i++) {
        snprintf(path, sizeof path, NEWROOT "/dev/%s", links[i][1]);
        if (symlink(links[i][0], path) < 0) FAIL("symlink %s: %s", path, strerror(errno));
    }
    mkdir(NEWROOT "/dev/pts", 0755);
    do_mount("devpts", NEWROOT "/dev/pts", "devpts", MS_NOSUID | MS_NOEXEC, "newinstance,ptmxmode=0666,mode=0620");
    mkdir(NEWROOT "/dev/shm", 01777);
    do_mount(NULL, NEWROOT "/dev", NULL, MS_REMOUNT | MS_RDONLY | MS_NOSUID | MS_NOEXEC, "mode=0755,size=64k");
}

/* A fresh /proc of the new pid namespace, with the kernel-wide knobs hidden or read-only. */
static void build_proc(void) {
    static const char *masked[] = {"kcore", "keys", "timer_list", "sched_debug", "sysrq-trigger", "kallsyms"};
    static const char *readonly[] = {"sys", "irq", "bus", "fs"};
    char path[PATH_MAX];
    struct stat st;
    mkdir(NEWROOT "/proc", 0555);
    do_mount("proc", NEWROOT "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL);
    for (size_t i = 0; i < sizeof masked / sizeof masked[0]; i++) {
        snprintf(path, sizeof path, NEWROOT "/proc/%s", masked[i]);
        if (stat(path, &st) == 0) do_mount(NEWROOT "/dev/null", path, NULL, MS_BIND, NULL);
    }
    for (size_t i = 0; i < sizeof readonly / sizeof readonly[0]; i++) {
        snprintf(path, sizeof path, NEWROOT "/proc/%s", readonly[i]);
        if (stat(path, &st) != 0) continue;
        do_mount(path, path, NULL, MS_BIND | MS_REC, NULL);
        restrict_bind(path, 0);
    }
}

static int depth(const char *p) {
    int d = 0;
    for (; *p; p++) d += *p == '/';
    return d;
}

static void build_user_mounts(const struct spec *s) {
    /* parents before children, so a mount at /code/data lands inside the one at /code */
    const struct bind *order[MAX_BINDS];
    for (int i = 0; i < s->nbinds; i++) order[i] = &s->binds[i];
    for (int i = 1; i < s->nbinds; i++)
        for (int j = i; j > 0 && depth(order[j - 1]->target) > depth(order[j]->target); j--) {
            const struct bind *t = order[j];
            order[j] = order[j - 1];
            order[j - 1] = t;
        }
    for (int i = 0; i < s->nbinds; i++) {
        const struct bind *b = order[i];
        const char *dst = b->target;
        if (b->is_dir) {
            if (mkdirs(dst, 0755) < 0) FAIL("cannot create mount target %s: %s", b->target, strerror(errno));
        } else {
            char parent[PATH_MAX];
            snprintf(parent, sizeof parent, "%s", dst);
            *strrchr(parent, '/') = '\0'; /* empty for a file right under the root, which exists */
            if (parent[0] && mkdirs(parent, 0755) < 0) FAIL("cannot create mount target %s: %s", b->target, strerror(errno));
            touch(dst);
        }
        if (syscall(SYS_move_mount, b->fd, "", AT_FDCWD, dst, MOVE_MOUNT_F_EMPTY_PATH) < 0)
            FAIL("mount %s on %s: %s", b->real, b->target, strerror(errno));
        close(b->fd);
        restrict_bind(dst, b->writable);
    }
}

static void loopback_up(void) {
    int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (fd < 0) FAIL("socket: %s", strerror(errno));
    struct ifreq ifr;
    memset(&ifr, 0, sizeof ifr);
    strcpy(ifr.ifr_name, "lo");
    if (ioctl(fd, SIOCGIFFLAGS, &ifr) < 0) FAIL("loopback flags: %s", strerror(errno));
    ifr.ifr_flags |= IFF_UP | IFF_RUNNING;
    if (ioctl(fd, SIOCSIFFLAGS, &ifr) < 0) FAIL("loopback up: %s", strerror(errno));
    close(fd);
}

/* The root as every sandbox has it (but for its /etc, network-dependent), and the host's gone. */
static void build_root(const struct spec *s) {
    /* nothing done here may propagate back to the host */
    do_mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL);
    do_mount("tmpfs", "/tmp", "tmpfs", MS_NOSUID | MS_NODEV, "mode=0755,size=64k");
    if (chdir("/tmp") < 0) FAIL("chdir: %s", strerror(errno));
    if (mkdir("newroot", 0755) < 0 || mkdir("oldroot", 0755) < 0) FAIL("mkdir: %s", strerror(errno));
    if (syscall(SYS_pivot_root, ".", "oldroot") < 0) FAIL("pivot_root: %s", strerror(errno));
    if (chdir("/") < 0) FAIL("chdir: %s", strerror(errno));

    do_mount("tmpfs", NEWROOT, "tmpfs", MS_NOSUID | MS_NODEV, "mode=0755,size=1m");
    trace("init: pivoted to staging");
    static const char *system_dirs[] = {"usr", "bin", "sbin", "lib", "lib32", "lib64", "libx32"};
    for (size_t i = 0; i < sizeof system_dirs / sizeof system_dirs[0]; i++) share_system_dir(system_dirs[i]);
    trace("init: system dirs");
    build_etc(s);
    trace("init: etc");
    build_dev();
    trace("init: dev");
    build_proc();
    trace("init: proc");
    mkdir(NEWROOT "/tmp", 01777);

    /* switch to the new root and drop every reference to the host's */
    if (chdir(NEWROOT) < 0) FAIL("chdir: %s", strerror(errno));
    if (syscall(SYS_pivot_root, ".", ".") < 0) FAIL("pivot_root: %s", strerror(errno));
    if (umount2(".", MNT_DETACH) < 0) FAIL("detach old root: %s", strerror(errno));
    if (chdir("/") < 0) FAIL("chdir: %s", strerror(errno));
}

/* What the spec says of names and sizes, where it differs from `base` (NULL: all of it). */
static void apply_spec(const struct spec *s, const struct spec *base) {
    int renamed = !base || strcmp(s->hostname, base->hostname) != 0;
    if (renamed && sethostname(s->hostname, strlen(s->hostname)) < 0) FAIL("hostname: %s", strerror(errno));
    if (renamed || s->uid != base->uid || s->gid != base->gid) write_identity(s);
    if (!base || s->tmpfs_bytes != base->tmpfs_bytes) mount_scratch(s, base != NULL);
}

/*
 * Done by pid 1 before it starts the program (before the barrier, when prewarmed): the program
 * inherits the defaults and the empty bounding set. The bounding set only limits what an exec may
 * gain, so pid 1 keeps the capabilities it needs to finish the root.
 */
static void reset_inheritance(void) {
    for (int sig = 1; sig < NSIG; sig++) signal(sig, SIG_DFL);
    for (int cap = 0; cap <= 63; cap++)
        if (prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) < 0 && errno != EINVAL) FAIL("drop capability %d: %s", cap, strerror(errno));
}

/* Raw system calls: the program's process shares pid 1's memory until its exec (see sandbox_init). */
static void drop_privileges(const struct spec *s) {
    if (prctl(PR_SET_SECUREBITS, SECBIT_NOROOT | SECBIT_NOROOT_LOCKED | SECBIT_NO_SETUID_FIXUP_LOCKED |
                                     SECBIT_KEEP_CAPS_LOCKED | SECBIT_NO_CAP_AMBIENT_RAISE |
                                     SECBIT_NO_CAP_AMBIENT_RAISE_LOCKED) < 0)
        FAIL("securebits: %s", strerror(errno));
    if (syscall(SYS_setgroups, 0, NULL) < 0) FAIL("setgroups: %s", strerror(errno));
    if (syscall(SYS_setresgid, s->gid, s->gid, s->gid) < 0) FAIL("setresgid: %s", strerror(errno));
    if (syscall(SYS_setresuid, s->uid, s->uid, s->uid) < 0) FAIL("setresuid: %s", strerror(errno));
    /* uid 0 keeps its capabilities across setresuid: clear them all explicitly */
    struct __user_cap_header_struct hdr = {_LINUX_CAPABILITY_VERSION_3, 0};
    struct __user_cap_data_struct data[2];
    memset(data, 0, sizeof data);
    if (syscall(SYS_capset, &hdr, data) < 0) FAIL("capset: %s", strerror(errno));
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0) FAIL("no_new_privs: %s", strerror(errno));
}

static int start_program(void *spec) __attribute__((noreturn));
static int start_program(void *spec) {
    const struct spec *s = spec;
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
    setsid();
    struct rlimit nofile = {(rlim_t) s->nofile, (rlim_t) s->nofile};
    struct rlimit core = {0, 0};
    if (setrlimit(RLIMIT_NOFILE, &nofile) < 0) FAIL("open files limit %ld: %s", s->nofile, strerror(errno));
    setrlimit(RLIMIT_CORE, &core);
    drop_privileges(s);
    if (chdir(s->workdir) < 0) FAIL("working directory %s: %s", s->workdir, strerror(errno));
    syscall(SYS_close_range, 3, ~0U, 4 /* CLOSE_RANGE_CLOEXEC: the error pipe must live until exec */);
    if (seccomp_install() < 0) FAIL("seccomp: %s", strerror(errno));
    trace("program: privileges dropped");
    execvpe(s->argv[0], s->argv, s->env);
    int e = errno;
    if (e == ENOENT || e == ENOTDIR) {
        send_error(error_fd, "command-not-found", "%s: command not found", s->argv[0]);
        _exit(EXIT_NOT_FOUND);
    }
    send_error(error_fd, "permission-denied", "%s: %s", s->argv[0], strerror(e));
    _exit(EXIT_NOT_EXECUTABLE);
}

static void forward(int sig) {
    pid_t p = program_pid;
    if (p > 0 && kill(-p, sig) < 0) kill(p, sig);
}

/*
 * A prewarmed sandbox at the barrier: it says so, then waits for the spec of the sandbox it is to
 * become and that sandbox's stdio. EOF instead means it is not wanted any more.
 */
static const struct spec *await_assignment(int fd, struct spec *assigned) {
    char here = 'P';
    if (write(fd, &here, 1) != 1) _exit(0);
    int stdio[3];
    if (assignment_receive(fd, assigned, stdio) < 0) {
        if (errno == 0) _exit(0);
        FAIL("assignment: %s", strerror(errno));
    }
    close(fd);
    for (int i = 0; i < 3; i++) {
        if (dup2(stdio[i], i) < 0) FAIL("stdio: %s", strerror(errno));
        close(stdio[i]);
    }
    return assigned;
}

void sandbox_init(const struct spec *s, const struct cgroup *cg, const struct init_fds *fds) {
    error_fd = fds->error;
    prctl(PR_SET_NAME, "arrow-init");
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() == 0 && kill(1, 0) < 0) _exit(EXIT_HELPER_ERROR);
    char err[ERR_LEN];
    if (cgroup_join_self(cg, err, sizeof err) < 0) FAIL("%s", err);
    if (unshare(CLONE_NEWCGROUP) < 0) FAIL("cgroup namespace: %s", strerror(errno));
    trace("init: joined cgroup");
    if (!s->network_host) loopback_up();
    build_root(s);
    apply_spec(s, NULL);
    reset_inheritance();
    trace("init: root built");
    const struct spec *base = s;
    struct spec assigned;
    if (fds->assign >= 0) s = await_assignment(fds->assign, &assigned);
    trace("init: assigned");
    apply_spec(s, base);
    build_user_mounts(s);
    do_mount(NULL, "/", NULL, MS_REMOUNT | MS_BIND | MS_RDONLY | MS_NOSUID | MS_NODEV, NULL);
    trace("init: root finished");
    int status_fd = fds->status;

    /* The supervisor reports setup time (init time) from this stamp; CLOCK_MONOTONIC is shared across pid namespaces. */
    struct timespec ready;
    clock_gettime(CLOCK_MONOTONIC, &ready);
    uint64_t ready_ns = (uint64_t) ready.tv_sec * 1000000000u + (uint64_t) ready.tv_nsec;
    if (write(status_fd, &ready_ns, sizeof ready_ns) != (ssize_t) sizeof ready_ns) FAIL("status pipe: %s", strerror(errno));

    /*
     * Like posix_spawn: the program's process shares pid 1's memory (pid 1 waits) until its exec,
     * which saves copying pid 1's page tables, the dearest part of a fork here.
     */
    static char stack[256 * 1024] __attribute__((aligned(16)));
    pid_t pid = clone(start_program, stack + sizeof stack, CLONE_VM | CLONE_VFORK | SIGCHLD, (void *) s);
    if (pid < 0) FAIL("fork: %s", strerror(errno));
    program_pid = pid;
    close(error_fd);

    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = forward;
    sa.sa_flags = SA_RESTART;
    static const int forwarded[] = {SIGINT, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2, SIGWINCH, SIGTERM};
    for (size_t i = 0; i < sizeof forwarded / sizeof forwarded[0]; i++) sigaction(forwarded[i], &sa, NULL);
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);

    int status = 0;
    for (;;) {
        int st;
        pid_t done = waitpid(-1, &st, 0);
        if (done == pid) {
            status = st;
            break;
        }
        if (done < 0 && errno == ECHILD) break;
    }
    trace("init: program reaped");
    ssize_t ignored = write(status_fd, &status, sizeof status);
    (void) ignored;
    _exit(0);
}
