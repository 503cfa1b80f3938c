/*
 * arrow-guest-init: pid 1 of a VM-tier sandbox (see native/README.md, "Guest init").
 *
 * Boots the guest far enough to run one program: /proc, /sys, /dev, the kernel modules the
 * initramfs carries, the host's /usr over virtio-fs (read-only), a tmpfs /tmp; reads the program
 * from the host over the virtio-console port arrow.ctl, runs it as an unprivileged user with its
 * stdio relayed to the ports arrow.stdin, arrow.stdout and arrow.stderr, reports how it ended on
 * arrow.ctl and powers off. Static, libc only.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <arpa/inet.h>
#include <net/if.h>
#include <net/route.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/reboot.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define MAX_ARGS 4096
#define MAX_SHARES 32
#define REQUEST_MAX (4 << 20)
#define MODULE_DIR "/arrow/modules"
#define MODULE_LIST "/arrow/modules.list"

enum { CTL, IN, OUT, ERR, NPORTS };
static const char *const port_names[NPORTS] = {"arrow.ctl", "arrow.stdin", "arrow.stdout", "arrow.stderr"};
static int ports[NPORTS] = {-1, -1, -1, -1};

extern char **environ;

static void say(const char *fmt, ...) {
    char line[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    dprintf(2, "arrow-guest-init: %s\n", line);
}

static void power_off(void) {
    sync();
    reboot(RB_POWER_OFF);
    for (;;) pause();
}

static void write_all(int fd, const char *buf, size_t len) {
    while (len > 0) {
        ssize_t n = write(fd, buf, len);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) return;
        buf += n;
        len -= (size_t) n;
    }
}

/* The result line the host reads; detail must not hold a newline. */
static void report(const char *outcome, int code, int sig, const struct rusage *ru, const char *reason,
        const char *detail) {
    char line[1024];
    long long user = ru ? (long long) ru->ru_utime.tv_sec * 1000000000LL + ru->ru_utime.tv_usec * 1000LL : 0;
    long long sys = ru ? (long long) ru->ru_stime.tv_sec * 1000000000LL + ru->ru_stime.tv_usec * 1000LL : 0;
    long long peak = ru ? (long long) ru->ru_maxrss * 1024LL : 0;
    int n = snprintf(line, sizeof line, "result %s %d %d %lld %lld %lld %s %s\n", outcome, code, sig, user, sys,
            peak, reason[0] ? reason : "-", detail);
    if (n >= (int) sizeof line) {
        line[sizeof line - 2] = '\n';
        n = sizeof line - 1;
    }
    for (char *p = line; p < line + n - 1; p++)
        if (*p == '\n' || *p == '\r') *p = ' ';
    if (ports[CTL] >= 0) write_all(ports[CTL], line, (size_t) n);
    else say("%s", line);
}

static void fail(const char *reason, const char *fmt, ...) {
    char detail[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(detail, sizeof detail, fmt, ap);
    va_end(ap);
    say("%s: %s", reason, detail);
    report("failed-to-start", 0, 0, NULL, reason, detail);
    power_off();
}

static int finit_module(int fd, const char *params, int flags) {
    return (int) syscall(SYS_finit_module, fd, params, flags);
}

static void load_modules(void) {
    FILE *list = fopen(MODULE_LIST, "re");
    if (!list) return; /* a kernel with everything built in */
    char name[256];
    while (fgets(name, sizeof name, list)) {
        name[strcspn(name, "\n")] = 0;
        if (!name[0]) continue;
        char path[512];
        snprintf(path, sizeof path, "%s/%s", MODULE_DIR, name);
        int fd = open(path, O_RDONLY | O_CLOEXEC);
        if (fd < 0) {
            say("cannot open module %s: %s", path, strerror(errno));
            continue;
        }
        if (finit_module(fd, "", 0) < 0 && errno != EEXIST) say("cannot load %s: %s", name, strerror(errno));
        close(fd);
    }
    fclose(list);
}

/* virtio-console ports have no /dev/virtio-ports/NAME without udev: match /sys's names. */
static int find_ports(void) {
    int found = 0;
    DIR *dir = opendir("/sys/class/virtio-ports");
    if (!dir) return 0;
    struct dirent *e;
    while ((e = readdir(dir))) {
        if (e->d_name[0] == '.') continue;
        char path[300], name[64] = "";
        snprintf(path, sizeof path, "/sys/class/virtio-ports/%s/name", e->d_name);
        int fd = open(path, O_RDONLY | O_CLOEXEC);
        if (fd < 0) continue;
        ssize_t n = read(fd, name, sizeof name - 1);
        close(fd);
        if (n <= 0) continue;
        name[n] = 0;
        name[strcspn(name, "\n")] = 0;
        for (int i = 0; i < NPORTS; i++) {
            if (ports[i] >= 0 || strcmp(name, port_names[i]) != 0) continue;
            snprintf(path, sizeof path, "/dev/%s", e->d_name);
            ports[i] = open(path, (i == IN ? O_RDONLY : i == CTL ? O_RDWR : O_WRONLY) | O_CLOEXEC);
        }
    }
    closedir(dir);
    for (int i = 0; i < NPORTS; i++)
        if (ports[i] >= 0) found++;
    return found;
}

static void wait_for_ports(void) {
    /* Ports appear as the host's control messages arrive, a little after the driver loads. */
    for (int tries = 0; find_ports() < NPORTS; tries++) {
        if (tries == 2000) fail("setup-failed", "the host's virtio-console ports never appeared");
        usleep(5000);
    }
}

struct share {
    const char *tag, *target;
    int writable;
};

struct request {
    uid_t uid;
    gid_t gid;
    const char *workdir, *hostname;
    unsigned long long tmpfs_bytes;
    unsigned long nofile;
    char *argv[MAX_ARGS + 1];
    char *envp[MAX_ARGS + 1];
    struct share shares[MAX_SHARES];
    int nshares;
    int ready_port;  /* 0: none */
    int host_network;
};

static int read_full(int fd, void *buf, size_t len) {
    size_t got = 0;
    while (got < len) {
        ssize_t n = read(fd, (char *) buf + got, len - got);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) return -1;
        got += (size_t) n;
    }
    return 0;
}

/* u32 little-endian length, then NUL-terminated fields (see VmRequest.java). */
static void read_message(char **buf_out, size_t *len_out) {
    unsigned char head[4];
    if (read_full(ports[CTL], head, 4) < 0) fail("setup-failed", "no request from the host");
    uint32_t len = head[0] | head[1] << 8 | head[2] << 16 | (uint32_t) head[3] << 24;
    if (len == 0 || len > REQUEST_MAX) fail("bad-argument", "request of %u bytes", len);
    char *buf = malloc(len + 1);
    if (!buf || read_full(ports[CTL], buf, len) < 0) fail("setup-failed", "short request");
    buf[len] = 0;
    *buf_out = buf;
    *len_out = len;
}

static int usr_mounted;
static int mount_virtiofs(const char *tag, const char *target, unsigned long flags);

static void mount_usr(void) {
    if (usr_mounted) return;
    if (mount_virtiofs("usr", "/usr", MS_RDONLY | MS_NODEV | MS_NOSUID) < 0)
        fail("setup-failed", "cannot mount the host's /usr: %s", strerror(errno));
    usr_mounted = 1;
}

/* Reads messages until the request: "arrow-vm-prepare" (a pooled guest: mount /usr ahead of its
 * request, answer "prepared") may come first. */
static void read_request(struct request *r) {
    char *buf;
    size_t len;
    for (;;) {
        read_message(&buf, &len);
        if (strcmp(buf, "arrow-vm-prepare") != 0) break;
        free(buf);
        mount_usr();
        write_all(ports[CTL], "prepared\n", 9);
    }
    char *p = buf, *end = buf + len;
#define NEXT() ({ if (p >= end) fail("bad-argument", "truncated request"); char *f_ = p; p += strlen(p) + 1; f_; })
    if (strcmp(NEXT(), "arrow-vm-1") != 0) fail("bad-argument", "unknown request version");
    r->uid = (uid_t) strtoul(NEXT(), NULL, 10);
    r->gid = (gid_t) strtoul(NEXT(), NULL, 10);
    r->workdir = NEXT();
    r->hostname = NEXT();
    r->tmpfs_bytes = strtoull(NEXT(), NULL, 10);
    r->nofile = strtoul(NEXT(), NULL, 10);
    long argc = strtol(NEXT(), NULL, 10);
    if (argc < 1 || argc > MAX_ARGS) fail("bad-argument", "%ld arguments", argc);
    for (long i = 0; i < argc; i++) r->argv[i] = NEXT();
    r->argv[argc] = NULL;
    long envc = strtol(NEXT(), NULL, 10);
    if (envc < 0 || envc > MAX_ARGS) fail("bad-argument", "%ld environment variables", envc);
    for (long i = 0; i < envc; i++) r->envp[i] = NEXT();
    r->envp[envc] = NULL;
    long nshares = strtol(NEXT(), NULL, 10);
    if (nshares < 0 || nshares > MAX_SHARES) fail("bad-argument", "%ld shares", nshares);
    for (long i = 0; i < nshares; i++) {
        r->shares[i].tag = NEXT();
        r->shares[i].target = NEXT();
        r->shares[i].writable = strcmp(NEXT(), "1") == 0;
    }
    r->nshares = (int) nshares;
    /* Newer fields: absent from an older host's request. */
    r->ready_port = p < end ? atoi(NEXT()) : 0;
    r->host_network = p < end ? strcmp(NEXT(), "host") == 0 : 0;
#undef NEXT
}

static void mkdirs(const char *path) {
    char tmp[4096];
    snprintf(tmp, sizeof tmp, "%s", path);
    for (char *p = tmp + 1; *p; p++) {
        if (*p != '/') continue;
        *p = 0;
        mkdir(tmp, 0755);
        *p = '/';
    }
    mkdir(tmp, 0755);
}

static int mount_virtiofs(const char *tag, const char *target, unsigned long flags) {
    /* The device binds a moment after its driver loads, or after its hot-plug into a restored guest. */
    for (int tries = 0; tries < 2000; tries++) {
        if (mount(tag, target, "virtiofs", flags, NULL) == 0) return 0;
        if (errno != ENOENT && errno != ENODEV && errno != EINVAL) return -1;
        usleep(5000);
    }
    return -1;
}

/* The user-mode NIC (qemu's slirp): the guest is 10.0.2.15/24; the gateway 10.0.2.2 and the DNS
 * 10.0.2.3 are routed only when the spec allows the network (qemu refuses them otherwise too). */
#define GUEST_ADDRESS "10.0.2.15"
#define RELAY_PORT 1

static void set_address(int s, unsigned long request, const char *address) {
    struct ifreq ifr = {0};
    strcpy(ifr.ifr_name, "eth0");
    struct sockaddr_in *in = (struct sockaddr_in *) &ifr.ifr_addr;
    in->sin_family = AF_INET;
    inet_pton(AF_INET, address, &in->sin_addr);
    if (ioctl(s, request, &ifr) < 0) say("eth0 %s: %s", address, strerror(errno));
}

static int nic_up(int host_network) {
    int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (s < 0) return -1;
    struct ifreq ifr = {0};
    strcpy(ifr.ifr_name, "eth0");
    if (ioctl(s, SIOCGIFFLAGS, &ifr) < 0) {
        close(s);
        return -1; /* no NIC */
    }
    set_address(s, SIOCSIFADDR, GUEST_ADDRESS);
    set_address(s, SIOCSIFNETMASK, "255.255.255.0");
    ifr.ifr_flags |= IFF_UP | IFF_RUNNING;
    if (ioctl(s, SIOCSIFFLAGS, &ifr) < 0) say("eth0 up: %s", strerror(errno));
    if (host_network) {
        struct rtentry route = {0};
        struct sockaddr_in *gw = (struct sockaddr_in *) &route.rt_gateway;
        gw->sin_family = AF_INET;
        inet_pton(AF_INET, "10.0.2.2", &gw->sin_addr);
        ((struct sockaddr_in *) &route.rt_dst)->sin_family = AF_INET;
        ((struct sockaddr_in *) &route.rt_genmask)->sin_family = AF_INET;
        route.rt_flags = RTF_UP | RTF_GATEWAY;
        if (ioctl(s, SIOCADDRT, &route) < 0) say("default route: %s", strerror(errno));
        int fd = open("/etc/resolv.conf", O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
        if (fd >= 0) {
            write_all(fd, "nameserver 10.0.2.3\n", 20);
            close(fd);
        }
    }
    close(s);
    return 0;
}

/* Copies both ways between two sockets until both directions end. */
static void splice_both(int a, int b) {
    struct pollfd fds[2] = {{a, POLLIN, 0}, {b, POLLIN, 0}};
    int open_ends = 2;
    char buf[65536];
    while (open_ends > 0) {
        if (poll(fds, 2, -1) < 0) {
            if (errno == EINTR) continue;
            break;
        }
        for (int i = 0; i < 2; i++) {
            if (fds[i].fd < 0 || !(fds[i].revents & (POLLIN | POLLHUP | POLLERR))) continue;
            ssize_t n = read(fds[i].fd, buf, sizeof buf);
            if (n <= 0) {
                shutdown(i == 0 ? b : a, SHUT_WR);
                fds[i].fd = -1;
                open_ends--;
                continue;
            }
            write_all(i == 0 ? b : a, buf, (size_t) n);
        }
    }
}

/* The program listens on its 127.0.0.1:PORT; the host's forwarded port reaches the guest's eth0.
 * A relay of its own joins them: it listens on RELAY_PORT, which an unprivileged program cannot
 * take, and opens one connection to the program per connection from the host. */
static void start_relay(int port) {
    pid_t pid = fork();
    if (pid != 0) return;
    signal(SIGCHLD, SIG_IGN); /* its connections' processes are reaped by the kernel */
    int listener = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    int one = 1;
    setsockopt(listener, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    struct sockaddr_in at = {.sin_family = AF_INET, .sin_port = htons(RELAY_PORT)};
    inet_pton(AF_INET, GUEST_ADDRESS, &at.sin_addr);
    if (listener < 0 || bind(listener, (struct sockaddr *) &at, sizeof at) < 0 || listen(listener, 128) < 0) {
        say("relay: %s", strerror(errno));
        _exit(1);
    }
    for (;;) {
        int client = accept4(listener, NULL, NULL, SOCK_CLOEXEC);
        if (client < 0) {
            if (errno == EINTR || errno == ECONNABORTED) continue;
            _exit(1);
        }
        if (fork() == 0) {
            close(listener);
            int app = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
            struct sockaddr_in to = {.sin_family = AF_INET, .sin_port = htons((uint16_t) port)};
            inet_pton(AF_INET, "127.0.0.1", &to.sin_addr);
            int nodelay = 1;
            if (app >= 0 && connect(app, (struct sockaddr *) &to, sizeof to) == 0) {
                setsockopt(app, IPPROTO_TCP, TCP_NODELAY, &nodelay, sizeof nodelay);
                setsockopt(client, IPPROTO_TCP, TCP_NODELAY, &nodelay, sizeof nodelay);
                splice_both(client, app);
            }
            _exit(0);
        }
        close(client);
    }
}

/* Whether something listens on the port (any address) in /proc/net/tcp or tcp6: state 0A. */
static int port_listening(int port) {
    static const char *const tables[] = {"/proc/net/tcp", "/proc/net/tcp6"};
    char want[16];
    snprintf(want, sizeof want, ":%04X", port);
    for (int t = 0; t < 2; t++) {
        FILE *f = fopen(tables[t], "re");
        if (!f) continue;
        char line[512];
        while (fgets(line, sizeof line, f)) {
            char local[128], remote[128], state[8];
            if (sscanf(line, " %*s %127s %127s %7s", local, remote, state) != 3) continue;
            char *colon = strrchr(local, ':');
            if (colon && strcmp(colon, want) == 0 && strcmp(state, "0A") == 0) {
                fclose(f);
                return 1;
            }
        }
        fclose(f);
    }
    return 0;
}

static long elapsed_ms(const struct timespec *since) {
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (now.tv_sec - since->tv_sec) * 1000 + (now.tv_nsec - since->tv_nsec) / 1000000;
}

static void loopback_up(void) {
    int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (s < 0) return;
    struct ifreq ifr = {0};
    strcpy(ifr.ifr_name, "lo");
    if (ioctl(s, SIOCGIFFLAGS, &ifr) == 0) {
        ifr.ifr_flags |= IFF_UP | IFF_RUNNING;
        ioctl(s, SIOCSIFFLAGS, &ifr);
    }
    close(s);
}

static void setup(const struct request *r) {
    mount_usr();
    char opts[64];
    snprintf(opts, sizeof opts, "size=%llu,mode=1777", r->tmpfs_bytes);
    if (mount("tmpfs", "/tmp", "tmpfs", MS_NOSUID | MS_NODEV, opts) < 0)
        fail("setup-failed", "cannot mount /tmp: %s", strerror(errno));
    mkdir("/dev/shm", 01777);
    mount("tmpfs", "/dev/shm", "tmpfs", MS_NOSUID | MS_NODEV, opts);
    for (int i = 0; i < r->nshares; i++) {
        const struct share *s = &r->shares[i];
        mkdirs(s->target);
        if (mount_virtiofs(s->tag, s->target, (s->writable ? 0 : MS_RDONLY) | MS_NODEV | MS_NOSUID) < 0)
            fail("bad-mount-source", "cannot mount share %s at %s: %s", s->tag, s->target, strerror(errno));
    }
    if (sethostname(r->hostname, strlen(r->hostname)) < 0) say("sethostname: %s", strerror(errno));
    loopback_up();
    if (nic_up(r->host_network) == 0 && r->ready_port > 0) start_relay(r->ready_port);
    /* Nothing the program may change is left on the root: it holds only this init and the modules. */
    if (mount(NULL, "/", NULL, MS_REMOUNT | MS_RDONLY, NULL) < 0) say("cannot remount / read-only: %s", strerror(errno));
}

static long oom_kills(void) {
    FILE *f = fopen("/proc/vmstat", "re");
    if (!f) return -1;
    char key[64];
    long long value;
    long result = -1;
    while (fscanf(f, "%63s %lld", key, &value) == 2)
        if (strcmp(key, "oom_kill") == 0) {
            result = (long) value;
            break;
        }
    fclose(f);
    return result;
}

/* The child side: never returns. Writes errno to status_fd when exec fails. */
static void exec_program(const struct request *r, int in, int out, int err, int status_fd) {
    if (dup2(in, 0) < 0 || dup2(out, 1) < 0 || dup2(err, 2) < 0) _exit(125);
    setsid();
    int fd = open("/proc/self/oom_score_adj", O_WRONLY | O_CLOEXEC);
    if (fd >= 0) {
        write_all(fd, "1000", 4); /* the program, never this init, is what the OOM killer takes */
        close(fd);
    }
    struct rlimit nofile = {r->nofile, r->nofile};
    setrlimit(RLIMIT_NOFILE, &nofile);
    struct rlimit core = {0, 0};
    setrlimit(RLIMIT_CORE, &core);
    int e = 0;
    if (setgroups(0, NULL) < 0 || setresgid(r->gid, r->gid, r->gid) < 0 || setresuid(r->uid, r->uid, r->uid) < 0)
        e = errno;
    else if (chdir(r->workdir) < 0)
        e = errno;
    else {
        environ = (char **) r->envp; /* execvp searches the PATH of the program's environment */
        execvp(r->argv[0], r->argv);
        e = errno;
    }
    write_all(status_fd, (const char *) &e, sizeof e);
    _exit(127);
}

/* Copies the host's stdin port to the program's stdin in a process of its own, so that a program
 * that never reads cannot stall the output relay. */
static pid_t start_stdin_pump(int pipe_w) {
    pid_t pid = fork();
    if (pid != 0) return pid;
    char buf[65536];
    for (;;) {
        ssize_t n = read(ports[IN], buf, sizeof buf);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) break;
        write_all(pipe_w, buf, (size_t) n);
    }
    _exit(0);
}

static int relay_chunk(int from, int to) {
    char buf[65536];
    ssize_t n = read(from, buf, sizeof buf);
    if (n < 0 && (errno == EINTR || errno == EAGAIN)) return 0;
    if (n <= 0) return -1;
    write_all(to, buf, (size_t) n);
    return 0;
}

static void run(const struct request *r) {
    int in[2], out[2], err[2], status[2];
    if (pipe2(in, O_CLOEXEC) < 0 || pipe2(out, O_CLOEXEC) < 0 || pipe2(err, O_CLOEXEC) < 0
            || pipe2(status, O_CLOEXEC) < 0)
        fail("setup-failed", "pipe: %s", strerror(errno));
    sigset_t chld;
    sigemptyset(&chld);
    sigaddset(&chld, SIGCHLD);
    sigprocmask(SIG_BLOCK, &chld, NULL);
    long ooms_before = oom_kills();

    pid_t program = fork();
    if (program < 0) fail("setup-failed", "fork: %s", strerror(errno));
    if (program == 0) {
        sigprocmask(SIG_UNBLOCK, &chld, NULL);
        exec_program(r, in[0], out[1], err[1], status[1]);
    }
    close(in[0]);
    close(out[1]);
    close(err[1]);
    close(status[1]);
    int e = 0;
    if (read_full(status[0], &e, sizeof e) == 0) {
        close(in[1]);
        struct rusage ru;
        wait4(program, NULL, 0, &ru);
        const char *reason = e == ENOENT || e == ENOTDIR ? "command-not-found"
                : e == EACCES || e == EPERM ? "permission-denied" : "setup-failed";
        char detail[512];
        snprintf(detail, sizeof detail, "%s: %s", r->argv[0], strerror(e));
        report("failed-to-start", 0, 0, NULL, reason, detail);
        power_off();
    }
    close(status[0]);
    write_all(ports[CTL], "started\n", 8);
    struct timespec exec_time;
    clock_gettime(CLOCK_MONOTONIC, &exec_time);
    int listening = 0;
    pid_t pump = start_stdin_pump(in[1]);
    close(in[1]);

    int sfd = signalfd(-1, &chld, SFD_CLOEXEC | SFD_NONBLOCK);
    struct pollfd fds[4] = {{out[0], POLLIN, 0}, {err[0], POLLIN, 0}, {sfd, POLLIN, 0}, {ports[CTL], POLLIN, 0}};
    int wstatus = 0, ended = 0;
    struct rusage ru = {0};
    char lines[256];
    size_t pending = 0;
    while (fds[0].fd >= 0 || fds[1].fd >= 0 || !ended) {
        int timeout = -1;
        if (r->ready_port > 0 && !listening) {
            /* Checked at growing intervals: 1% of the time since the start, 1 to 20 ms. */
            long waited = elapsed_ms(&exec_time);
            timeout = waited / 100 < 1 ? 1 : waited / 100 > 20 ? 20 : (int) (waited / 100);
        }
        if (poll(fds, 4, timeout) < 0 && errno != EINTR) break;
        if (r->ready_port > 0 && !listening && port_listening(r->ready_port)) {
            listening = 1;
            write_all(ports[CTL], "listening\n", 10);
        }
        if (fds[3].fd >= 0 && (fds[3].revents & (POLLIN | POLLHUP | POLLERR))) {
            /* "signal N" lines from the host (Ctrl-C on its terminal) go to the program's process group. */
            ssize_t n = read(ports[CTL], lines + pending, sizeof lines - 1 - pending);
            if (n <= 0) {
                if (n == 0 || (errno != EINTR && errno != EAGAIN)) fds[3].fd = -1;
            } else {
                pending += (size_t) n;
                lines[pending] = 0;
                char *newline;
                while ((newline = strchr(lines, '\n'))) {
                    *newline = 0;
                    int sig;
                    if (sscanf(lines, "signal %d", &sig) == 1 && sig > 0 && sig < 65 && !ended) kill(-program, sig);
                    pending -= (size_t) (newline + 1 - lines);
                    memmove(lines, newline + 1, pending + 1);
                }
                if (pending == sizeof lines - 1) pending = 0; /* a line too long to be ours */
            }
        }
        for (int i = 0; i < 2; i++) {
            if (fds[i].fd < 0 || !(fds[i].revents & (POLLIN | POLLHUP | POLLERR))) continue;
            if (relay_chunk(fds[i].fd, ports[i == 0 ? OUT : ERR]) < 0) {
                close(fds[i].fd);
                fds[i].fd = -1;
            }
        }
        if (fds[2].revents & POLLIN) {
            struct signalfd_siginfo si;
            while (read(sfd, &si, sizeof si) > 0) {
            }
            pid_t pid;
            int st;
            struct rusage r1;
            while ((pid = wait4(-1, &st, WNOHANG, &r1)) > 0) {
                if (pid != program) continue;
                ended = 1;
                wstatus = st;
                ru = r1;
                /* The program is the sandbox: whatever it left running goes with it, so that the
                 * output pipes reach their end. */
                kill(-1, SIGKILL);
            }
        }
    }
    (void) pump;
    if (WIFEXITED(wstatus)) {
        report("exited", WEXITSTATUS(wstatus), 0, &ru, "", "");
    } else {
        int sig = WTERMSIG(wstatus);
        long ooms_after = oom_kills();
        if (sig == SIGKILL && ooms_before >= 0 && ooms_after > ooms_before)
            report("out-of-memory", 0, sig, &ru, "", "");
        else
            report("signaled", 0, sig, &ru, "", "");
    }
    power_off();
}

int main(void) {
    if (getpid() != 1) {
        say("must run as pid 1 of a VM");
        return 125;
    }
    mount("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL);
    mount("sysfs", "/sys", "sysfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL);
    mount("devtmpfs", "/dev", "devtmpfs", MS_NOSUID, "mode=0755");
    load_modules();
    wait_for_ports();
    /* The host snapshots a guest here, before any share is attached, and restores it at this read. */
    write_all(ports[CTL], "ready\n", 6);
    static struct request request;
    read_request(&request);
    setup(&request);
    run(&request);
    return 0;
}
