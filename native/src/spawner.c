/*
 * The spawner: one long-lived helper per JVM (`--serve SOCKET`) that forks a supervisor for each
 * sandbox asked for on its Unix socket. It saves every sandbox the JVM's process launch (a
 * posix_spawn of jspawnhelper, an exec of this helper, its dynamic linking) and replaces the
 * result file with the connection itself.
 *
 * Protocol, one connection per sandbox:
 *   client:  u32 length (little endian), then that many bytes: NUL-terminated strings, first the
 *            stdio mode ("null", or "fifo" then a path prefix), then the helper's argv as on the
 *            command line (argv[0] included).
 *   spawner: "ready PID\n" once the FIFOs PREFIX.in, .out and .err exist and the sandbox side has
 *            them open (PID: the supervisor), or a result line at once when the request is bad.
 *   client:  opens the FIFOs (none of those opens blocks), then writes "G".
 *   spawner: builds and runs the sandbox; writes "init PID\n" as soon as the sandbox's pid 1 is
 *            cloned (PID: its host pid, whose namespaces are the sandbox's; no such line when the
 *            sandbox failed before), then the result line when it has ended.
 *   client:  any further byte, or closing the connection, kills the sandbox.
 * A request whose only word is "stats" gets one JSON line about the prewarm pool instead:
 *   {"target":N,"ready":R,"starting":S,"processes":P,"memoryBytes":M}
 * (processes: the pool's supervisors and their sandboxes' pid 1; memoryBytes: the supervisors'
 * resident memory plus the sandboxes' cgroups' usage), then the connection closes.
 * The spawner exits when its stdin reaches EOF: the JVM that started it is gone (or done with it).
 * A line "prewarm N" on its stdin sets the size of the prewarm pool (0 to 64).
 * Supervisors do not depend on the spawner: each watches its own connection, which closes when the
 * JVM dies, and then kills its sandbox; a sandbox already running when its spawner is replaced
 * finishes normally.
 *
 * The prewarm pool (--prewarm N): N supervisors forked ahead of any request, each with a sandbox
 * built as far as it can be without a spec (main.c, prewarm) and waiting at a barrier. Each has a
 * SOCK_SEQPACKET socket to the spawner, on which it reports (struct warm_msg) and the spawner
 * passes it a connection (SCM_RIGHTS). It then serves the connection as a cold supervisor would,
 * with the sandbox it has, and leaves the pool; the spawner forks a replacement. Connections
 * that find no ready one get a cold supervisor. A pool supervisor whose sandbox dies while
 * waiting ends (shutting its socket first, so that no connection can be lost to it) and is
 * replaced; after WARM_FAILURES_MAX failed builds in a row the spawner stops prewarming. When the
 * spawner ends, so does the pool: closing their sockets makes them remove their sandboxes.
 */
#include "helper.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <net/if.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/*
 * Network namespaces are the dearest part of a sandbox to make and, above all, to destroy (the
 * kernel tears them down on a single work queue). The spawner keeps up to NETNS_POOL of them,
 * each with only its loopback up, and lends one to each sandbox with private networking; it is
 * back in the pool when the sandbox's supervisor has ended, which is after every process of the
 * sandbox has died and so every socket in it has closed. Nothing a sandbox can change in it
 * outlives it: the namespace belongs to the host's user namespace, and sandboxes have no
 * capabilities.
 */
#define NETNS_POOL 64

#define MAX_REQUEST (1 << 20)
#define MAX_ARGS 4096
#define GO_TIMEOUT_MS 30000

/* A request that cannot be served ends with a result line of its own, as the helper would write. */
static int refuse(int conn, const char *detail) {
    char line[ERR_LEN + 256];
    snprintf(line, sizeof line,
             "{\"outcome\":\"failed-to-start\",\"exitCode\":125,\"signal\":0,\"wallNanos\":0,\"setupNanos\":0,"
             "\"cpuUserNanos\":0,\"cpuSystemNanos\":0,\"peakMemoryBytes\":0,\"reason\":\"setup-failed\","
             "\"detail\":\"spawner: %s\"}\n",
             detail);
    write_all(conn, line);
    return EXIT_HELPER_ERROR;
}

static int open_fifos(const char *prefix, int fds[3], char paths[3][PATH_MAX]) {
    static const char *suffix[3] = {".in", ".out", ".err"};
    for (int i = 0; i < 3; i++) {
        if ((size_t) snprintf(paths[i], PATH_MAX, "%s%s", prefix, suffix[i]) >= PATH_MAX) return -1;
        if (mkfifo(paths[i], 0600) < 0) return -1;
    }
    /* Read end of stdin without waiting for a writer; write ends of stdout and stderr opened
     * read-write, which never waits either, so the client's opens find their peers in place. */
    fds[0] = open(paths[0], O_RDONLY | O_NONBLOCK | O_CLOEXEC);
    fds[1] = open(paths[1], O_RDWR | O_CLOEXEC);
    fds[2] = open(paths[2], O_RDWR | O_CLOEXEC);
    return fds[0] < 0 || fds[1] < 0 || fds[2] < 0 ? -1 : 0;
}

struct netns_slot {
    int fd;     /* -1: not made yet */
    pid_t user; /* the supervisor it is lent to, 0 when free */
};

static struct netns_slot pool[NETNS_POOL];
static int host_netns = -1;

static int lo_up(void) {
    int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return -1;
    struct ifreq ifr;
    memset(&ifr, 0, sizeof ifr);
    strcpy(ifr.ifr_name, "lo");
    int ok = ioctl(fd, SIOCGIFFLAGS, &ifr) == 0;
    ifr.ifr_flags |= IFF_UP | IFF_RUNNING;
    ok = ok && ioctl(fd, SIOCSIFFLAGS, &ifr) == 0;
    close(fd);
    return ok ? 0 : -1;
}

/* A new namespace with its loopback up, or -1; the spawner itself stays in the host's. */
static int make_netns(void) {
    if (host_netns < 0 || unshare(CLONE_NEWNET) < 0) return -1;
    int fd = lo_up() == 0 ? open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC) : -1;
    if (setns(host_netns, CLONE_NEWNET) < 0) {
        fprintf(stderr, "arrow-sandbox-helper: cannot return to the host network namespace: %s\n", strerror(errno));
        exit(EXIT_HELPER_ERROR);
    }
    return fd;
}

/* The slot to lend to the next sandbox, or -1 when all NETNS_POOL are lent (it makes its own). */
static int lend_netns(void) {
    for (int i = 0; i < NETNS_POOL; i++) {
        if (pool[i].user == 0 && pool[i].fd >= 0) return i;
    }
    for (int i = 0; i < NETNS_POOL; i++) {
        if (pool[i].fd < 0) {
            pool[i].fd = make_netns();
            return pool[i].fd >= 0 ? i : -1;
        }
    }
    return -1;
}

static void warm_reaped(pid_t pid);

static void reap(pid_t pid) {
    for (int i = 0; i < NETNS_POOL; i++) {
        if (pool[i].user == pid) pool[i].user = 0;
    }
    warm_reaped(pid);
}

/*
 * Forks a child that holds nothing of the spawner's but `keep` and the namespace lent to it: no
 * other sandbox's connection, namespace or pool socket. Returns as fork does.
 */
static pid_t fork_child(int keep_fd, int netns_slot) {
    pid_t pid = fork();
    if (pid != 0) {
        if (pid > 0 && netns_slot >= 0) pool[netns_slot].user = pid;
        return pid;
    }
    int keep[] = {keep_fd, netns_slot >= 0 ? pool[netns_slot].fd : -1};
    close_fds_except(keep, 2);
    supervise_netns_fd = keep[1];
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
    int null = open("/dev/null", O_RDWR);
    if (null >= 0) {
        dup2(null, 0);
        dup2(null, 1); /* the spawner's stdout is the JVM's pipe */
        if (null > 2) close(null);
    }
    signal(SIGPIPE, SIG_DFL);
    return 0;
}

/*
 * One request: u32 length, then NUL-terminated words. Returns the number of words (in a buffer
 * that stays allocated: the words point into it), 0 at EOF before it, or -1 after a refusal.
 */
static int read_request(int conn, char *words[MAX_ARGS + 1]) {
    uint32_t len;
    if (read_full(conn, &len, sizeof len) < 0) return 0;
    if (len == 0 || len > MAX_REQUEST) return refuse(conn, "request size out of range"), -1;
    char *request = malloc(len);
    if (!request || read_full(conn, request, len) < 0) return 0;
    if (request[len - 1] != '\0') return refuse(conn, "request does not end with NUL"), -1;
    int n = 0;
    for (char *p = request; p < request + len; p += strlen(p) + 1) {
        if (n == MAX_ARGS) return refuse(conn, "too many arguments"), -1;
        words[n++] = p;
    }
    words[n] = NULL;
    return n;
}

/*
 * One connection, in a forked child of the spawner: becomes the sandbox's supervisor. A request
 * of only "fifo PREFIX" prepares the stdio ahead of any sandbox: after the 'G', a second request
 * brings the helper arguments whenever the client wants the sandbox.
 */
static int serve_connection(int conn) {
    struct ucred peer;
    socklen_t peer_len = sizeof peer;
    if (getsockopt(conn, SOL_SOCKET, SO_PEERCRED, &peer, &peer_len) < 0 || peer.uid != geteuid())
        return refuse(conn, "the caller is not this helper's user");

    char *words[MAX_ARGS + 1];
    int n = read_request(conn, words);
    if (n <= 0) return EXIT_HELPER_ERROR;

    int fds[3] = {-1, -1, -1};
    char paths[3][PATH_MAX];
    int first;
    if (n >= 1 && strcmp(words[0], "null") == 0) {
        for (int i = 0; i < 3; i++) fds[i] = open("/dev/null", O_RDWR | O_CLOEXEC);
        if (fds[0] < 0 || fds[1] < 0 || fds[2] < 0) return refuse(conn, "cannot open /dev/null");
        first = 1;
    } else if (n >= 2 && strcmp(words[0], "fifo") == 0) {
        if (open_fifos(words[1], fds, paths) < 0) {
            char detail[ERR_LEN];
            snprintf(detail, sizeof detail, "cannot make the stdio FIFOs: %s", strerror(errno));
            return refuse(conn, detail);
        }
        first = 2;
    } else {
        return refuse(conn, "unknown stdio mode");
    }
    int prepared = first == 2 && n == 2;
    if (n - first < 1 && !prepared) return refuse(conn, "no helper arguments");

    /* Prepared ahead without a prewarmed sandbox (none was ready): the client may not keep it. */
    char ready[64];
    snprintf(ready, sizeof ready, "ready %d%s\n", (int) getpid(), prepared && !prewarm_held() ? " cold" : "");
    write_all(conn, ready);
    struct pollfd go = {conn, POLLIN, 0};
    char answer = 0;
    int ok = poll(&go, 1, GO_TIMEOUT_MS) == 1 && read(conn, &answer, 1) == 1 && answer == 'G';
    if (first == 2) {
        for (int i = 0; i < 3; i++) unlink(paths[i]);
    }
    if (!ok) return EXIT_HELPER_ERROR; /* the client went away before the start */

    int flags = fcntl(fds[0], F_GETFL);
    if (flags >= 0) fcntl(fds[0], F_SETFL, flags & ~O_NONBLOCK);
    for (int i = 0; i < 3; i++) {
        if (dup2(fds[i], i) < 0) return refuse(conn, "dup2 failed");
        close(fds[i]);
    }
    if (prepared) { /* the client's ends are open: now wait, as long as it likes, for the sandbox */
        n = read_request(conn, words);
        if (n <= 0) return EXIT_HELPER_ERROR; /* EOF: not wanted after all */
        first = 0;
    }
    return supervise(n - first, words + first, conn);
}

#define WARM_MAX 64
#define WARM_FAILURES_MAX 3
#define PENDING_MAX 256
/*
 * A replacement is forked when the sandbox that left the pool has ended, or this long after it
 * left: on cgroup v1 joining a cgroup holds the cgroup lock for an RCU grace period (ms), which
 * would stall a short sandbox's own cgroup rename and removal if its replacement started at once.
 */
#define REFILL_DELAY_MS 20

/* From a pool supervisor to the spawner. */
struct warm_msg {
    char kind;                /* 'C': pid 1 cloned; 'R': it waits at the barrier; 'F': failed */
    pid_t init;
    char detail[ERR_LEN];
};

static void warm_report(int ctl, char kind, pid_t init, const char *detail) {
    struct warm_msg m = {.kind = kind, .init = init};
    if (detail) snprintf(m.detail, sizeof m.detail, "%s", detail);
    ssize_t ignored = send(ctl, &m, sizeof m, MSG_NOSIGNAL);
    (void) ignored;
}

/* A connection passed by the spawner, or -1 (EOF: the spawner is gone or wants fewer). */
static int receive_connection(int ctl, int flags) {
    char byte;
    char control[CMSG_SPACE(sizeof(int))];
    struct iovec iov = {&byte, 1};
    struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = control, .msg_controllen = sizeof control};
    if (recvmsg(ctl, &msg, flags | MSG_CMSG_CLOEXEC) != 1) return -1;
    struct cmsghdr *c = CMSG_FIRSTHDR(&msg);
    if (!c || c->cmsg_type != SCM_RIGHTS) return -1;
    int fd;
    memcpy(&fd, CMSG_DATA(c), sizeof fd);
    return fd;
}

/* A pool supervisor: prewarms, waits for a connection, serves it. */
static int serve_prewarmed(int ctl, const char *id) {
    char err[ERR_LEN];
    pid_t init;
    int barrier = prewarm(id, &init, err, sizeof err);
    if (barrier < 0) {
        warm_report(ctl, 'F', 0, err);
        return EXIT_HELPER_ERROR;
    }
    warm_report(ctl, 'C', init, NULL);
    int sfd = supervisor_signals(), arrived = 0;
    for (;;) {
        struct pollfd p[3] = {{ctl, POLLIN, 0}, {barrier, POLLIN, 0}, {sfd, POLLIN, 0}};
        if (poll(p, 3, -1) < 0 && errno != EINTR) break;
        if (p[0].revents) {
            int conn = receive_connection(ctl, 0);
            if (conn < 0) break; /* the spawner is gone, or wants fewer */
            close(ctl);
            int rc = serve_connection(conn);
            prewarm_discard(); /* the request ended before a sandbox was made of this one */
            return rc;
        }
        if (p[1].revents && !arrived) {
            if (!prewarm_arrived(err, sizeof err)) {
                warm_report(ctl, 'F', 0, err);
                prewarm_discard();
                return EXIT_HELPER_ERROR;
            }
            arrived = 1;
            warm_report(ctl, 'R', init, NULL);
        } else if (p[1].revents) {
            break; /* EOF: pid 1 died at the barrier */
        }
        if (p[2].revents) {
            struct signalfd_siginfo si;
            int quit = 0;
            while (read(sfd, &si, sizeof si) == sizeof si) quit |= si.ssi_signo != SIGCHLD && si.ssi_signo != SIGPIPE;
            if (quit) break;
        }
    }
    /* Leaving the pool. After SHUT_RD the spawner's sends fail: only one sent before can be here. */
    shutdown(ctl, SHUT_RD);
    prewarm_discard();
    int conn = receive_connection(ctl, MSG_DONTWAIT);
    close(ctl);
    return conn >= 0 ? serve_connection(conn) : 0;
}

enum warm_state { WARM_FREE, WARM_STARTING, WARM_READY, WARM_TAKEN };

struct warm_slot {
    enum warm_state state;
    pid_t pid;                /* the pool supervisor */
    pid_t init;               /* its sandbox's pid 1, once cloned */
    int ctl;
    char id[32];              /* its cgroup */
    uint64_t taken_ms;        /* WARM_TAKEN: when it left the pool; the slot is free again at its end */
};

static struct warm_slot warm[WARM_MAX];
static int warm_target, warm_failures, warm_stopped;
static unsigned warm_serial;

static uint64_t now_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t) ts.tv_sec * 1000u + (uint64_t) ts.tv_nsec / 1000000u;
}

static void warm_close(struct warm_slot *w) {
    if (w->ctl >= 0) close(w->ctl);
    *w = (struct warm_slot){.state = WARM_FREE, .ctl = -1};
}

static void warm_start(void) {
    struct warm_slot *w = NULL;
    for (int i = 0; i < WARM_MAX && !w; i++)
        if (warm[i].state == WARM_FREE) w = &warm[i];
    int sv[2];
    if (!w || socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0) return;
    snprintf(w->id, sizeof w->id, "warm-%d-%u", (int) getpid(), ++warm_serial);
    pid_t pid = fork_child(sv[1], lend_netns());
    if (pid == 0) _exit(serve_prewarmed(sv[1], w->id));
    close(sv[1]);
    if (pid < 0) {
        close(sv[0]);
        return;
    }
    w->state = WARM_STARTING;
    w->pid = pid;
    w->init = 0;
    w->ctl = sv[0];
}

/* A supervisor that left the pool has ended: its slot is free for a replacement. */
static void warm_reaped(pid_t pid) {
    for (int i = 0; i < WARM_MAX; i++)
        if (warm[i].state == WARM_TAKEN && warm[i].pid == pid) warm_close(&warm[i]);
}

/*
 * A pool supervisor that ended on its own removed its cgroup; one that was killed could not
 * (its pid 1 dies with it): whatever is left goes here.
 */
static void warm_gone(struct warm_slot *w) {
    struct cgroup cg;
    char err[ERR_LEN];
    if (cgroup_open(&cg, w->id, err, sizeof err) == 0) {
        cgroup_kill_all(&cg);
        cgroup_destroy(&cg);
    }
    warm_close(w);
}

/* Messages and EOF from a pool supervisor. */
static void warm_event(struct warm_slot *w) {
    struct warm_msg m;
    ssize_t n = recv(w->ctl, &m, sizeof m, MSG_DONTWAIT);
    if (n < 0 && (errno == EAGAIN || errno == EINTR)) return;
    if (n == (ssize_t) sizeof m && m.kind == 'C') {
        w->init = m.init;
    } else if (n == (ssize_t) sizeof m && m.kind == 'R') {
        w->state = WARM_READY;
        warm_failures = 0;
    } else if (n == (ssize_t) sizeof m && m.kind == 'F') {
        if (++warm_failures >= WARM_FAILURES_MAX && !warm_stopped) {
            warm_stopped = 1;
            fprintf(stderr, "arrow-sandbox-helper: stopped prewarming after %d failed sandboxes in a row: %s\n",
                    warm_failures, m.detail);
        }
        warm_gone(w);
    } else {
        warm_gone(w); /* ended: its sandbox died at the barrier, or it was killed */
    }
}

/* Passes the connection to a ready pool supervisor; -1 when none takes it. */
static int warm_take(int conn) {
    char control[CMSG_SPACE(sizeof(int))];
    for (int i = 0; i < WARM_MAX; i++) {
        struct warm_slot *w = &warm[i];
        if (w->state != WARM_READY) continue;
        char byte = 'A';
        struct iovec iov = {&byte, 1};
        struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = control, .msg_controllen = sizeof control};
        memset(control, 0, sizeof control);
        struct cmsghdr *c = CMSG_FIRSTHDR(&msg);
        c->cmsg_level = SOL_SOCKET;
        c->cmsg_type = SCM_RIGHTS;
        c->cmsg_len = CMSG_LEN(sizeof conn);
        memcpy(CMSG_DATA(c), &conn, sizeof conn);
        int sent = sendmsg(w->ctl, &msg, MSG_NOSIGNAL | MSG_DONTWAIT) == 1;
        pid_t pid = w->pid;
        warm_close(w); /* taken, or gone */
        if (sent) {
            *w = (struct warm_slot){.state = WARM_TAKEN, .pid = pid, .ctl = -1, .taken_ms = now_ms()};
            return 0;
        }
    }
    return -1;
}

/* Also a new try after the pool stopped for failures. */
static void warm_resize(int target) {
    warm_target = target;
    warm_stopped = warm_failures = 0;
    int kept = 0;
    for (int i = 0; i < WARM_MAX; i++) {
        if (warm[i].state == WARM_FREE || warm[i].state == WARM_TAKEN) continue;
        if (kept < target) kept++;
        else warm_close(&warm[i]); /* it removes its sandbox and ends */
    }
}

/* Starts what the pool lacks; returns how long until a taken slot frees by its delay (-1: none). */
static int warm_refill(void) {
    int have = 0, wait_ms = -1;
    uint64_t now = now_ms();
    for (int i = 0; i < WARM_MAX; i++) {
        struct warm_slot *w = &warm[i];
        if (w->state == WARM_TAKEN && now >= w->taken_ms + REFILL_DELAY_MS) warm_close(w);
        if (w->state == WARM_TAKEN) {
            int left = (int) (w->taken_ms + REFILL_DELAY_MS - now);
            if (wait_ms < 0 || left < wait_ms) wait_ms = left;
        }
        have += w->state != WARM_FREE;
    }
    for (; !warm_stopped && have < warm_target; have++) warm_start();
    return wait_ms;
}

/* Resident memory of a process, or -1 when it is gone. */
static long long rss_bytes(pid_t pid) {
    char path[64], buf[128];
    snprintf(path, sizeof path, "/proc/%d/statm", (int) pid);
    if (pid <= 0 || read_file(path, buf, sizeof buf) <= 0) return -1;
    long long size, resident;
    if (sscanf(buf, "%lld %lld", &size, &resident) != 2) return -1;
    return resident * sysconf(_SC_PAGESIZE);
}

static void answer_stats(int conn) {
    int ready = 0, starting = 0, processes = 0;
    long long memory = 0;
    for (int i = 0; i < WARM_MAX; i++) {
        const struct warm_slot *w = &warm[i];
        if (w->state == WARM_FREE || w->state == WARM_TAKEN) continue;
        ready += w->state == WARM_READY;
        starting += w->state == WARM_STARTING;
        /* The supervisor by its resident memory; the sandbox (pid 1 waiting at the barrier) by its
         * cgroup's usage, which already holds pid 1's pages: adding its RSS too would count them twice. */
        long long supervisor = rss_bytes(w->pid), init = rss_bytes(w->init);
        if (supervisor >= 0) {
            processes++;
            memory += supervisor;
        }
        if (init >= 0) processes++;
        struct cgroup cg;
        char err[ERR_LEN];
        if (cgroup_open(&cg, w->id, err, sizeof err) == 0) memory += (long long) cgroup_memory_usage(&cg);
        else if (init >= 0) memory += init;
    }
    char line[256];
    snprintf(line, sizeof line, "{\"target\":%d,\"ready\":%d,\"starting\":%d,\"processes\":%d,\"memoryBytes\":%lld}\n",
             warm_target, ready, starting, processes, memory);
    ssize_t ignored = send(conn, line, strlen(line), MSG_NOSIGNAL | MSG_DONTWAIT);
    (void) ignored;
}

static void serve_cold(int conn) {
    pid_t pid = fork_child(conn, lend_netns());
    if (pid == 0) _exit(serve_connection(conn));
    if (pid < 0) refuse(conn, "fork failed");
}

/*
 * Serves a connection once its first bytes are there (the spawner peeks, the request stays for
 * the supervisor to read); returns -1, leaving it open, while none are.
 */
static int dispatch(int conn) {
    static const char stats[10] = {6, 0, 0, 0, 's', 't', 'a', 't', 's', 0};
    char head[10];
    ssize_t n = recv(conn, head, sizeof head, MSG_PEEK | MSG_DONTWAIT);
    if (n < 0 && (errno == EAGAIN || errno == EINTR)) return -1;
    if (n == sizeof stats && memcmp(head, stats, sizeof stats) == 0) {
        /* taken off the socket: closing one with unread bytes resets it, and the answer with it */
        ssize_t ignored = recv(conn, head, sizeof head, MSG_DONTWAIT);
        (void) ignored;
        answer_stats(conn);
    } else if (n > 0 && warm_take(conn) < 0) {
        serve_cold(conn);
    }
    close(conn);
    return 0;
}

/* Lines on stdin: "prewarm N". */
static void read_commands(const char *buf, size_t len) {
    static char line[64];
    static size_t used;
    for (size_t i = 0; i < len; i++) {
        if (buf[i] != '\n') {
            if (used < sizeof line - 1) line[used++] = buf[i];
            continue;
        }
        line[used] = '\0';
        used = 0;
        int n;
        char end;
        if (sscanf(line, "prewarm %d%c", &n, &end) == 1 && n >= 0 && n <= WARM_MAX) warm_resize(n);
        else fprintf(stderr, "arrow-sandbox-helper: unknown command '%s'\n", line);
    }
}

/* Tells the pool to go and waits (a while) until it has: nothing of it outlives the spawner. */
static void warm_drain(void) {
    pid_t pids[WARM_MAX];
    int n = 0;
    for (int i = 0; i < WARM_MAX; i++) {
        if (warm[i].state == WARM_STARTING || warm[i].state == WARM_READY) pids[n++] = warm[i].pid;
        warm_close(&warm[i]);
    }
    for (int waited_ms = 0, left = n; left > 0 && waited_ms < 10000; waited_ms += 5) {
        left = 0;
        for (int i = 0; i < n; i++) {
            if (pids[i] > 0 && waitpid(pids[i], NULL, WNOHANG) == 0) left++;
            else pids[i] = 0;
        }
        if (left) usleep(5000);
    }
}

int spawner_serve(const char *socket_path, int prewarm_target) {
    struct sockaddr_un addr = {.sun_family = AF_UNIX};
    if (strlen(socket_path) >= sizeof addr.sun_path) {
        fprintf(stderr, "arrow-sandbox-helper: socket path too long: %s\n", socket_path);
        return EXIT_HELPER_ERROR;
    }
    strcpy(addr.sun_path, socket_path);
    int listener = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    unlink(socket_path);
    mode_t old_mask = umask(0177); /* the socket is its owner's alone */
    int bound = listener >= 0 && bind(listener, (struct sockaddr *) &addr, sizeof addr) == 0;
    umask(old_mask);
    if (!bound || listen(listener, 512) < 0) {
        fprintf(stderr, "arrow-sandbox-helper: cannot listen on %s: %s\n", socket_path, strerror(errno));
        return EXIT_HELPER_ERROR;
    }
    for (int i = 0; i < NETNS_POOL; i++) pool[i] = (struct netns_slot){-1, 0};
    for (int i = 0; i < WARM_MAX; i++) warm[i] = (struct warm_slot){.state = WARM_FREE, .ctl = -1};
    host_netns = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
    warm_target = prewarm_target;
    write_all(1, "listening\n");

    /* Supervisors are reaped as they end; none of them must linger as a zombie. */
    signal(SIGPIPE, SIG_IGN);
    sigset_t chld;
    sigemptyset(&chld);
    sigaddset(&chld, SIGCHLD);
    sigprocmask(SIG_BLOCK, &chld, NULL);
    int sfd = signalfd(-1, &chld, SFD_CLOEXEC | SFD_NONBLOCK);
    int pending[PENDING_MAX], npending = 0; /* connections whose request has not come yet */
    for (;;) {
        int wait_ms = warm_refill();
        struct pollfd p[3 + WARM_MAX + PENDING_MAX];
        int np = 0;
        p[np++] = (struct pollfd){listener, POLLIN, 0};
        p[np++] = (struct pollfd){0, POLLIN, 0};
        p[np++] = (struct pollfd){sfd, POLLIN, 0};
        for (int i = 0; i < WARM_MAX; i++) p[np++] = (struct pollfd){warm[i].ctl, POLLIN, 0};
        for (int i = 0; i < npending; i++) p[np++] = (struct pollfd){pending[i], POLLIN, 0};
        int ready = poll(p, (nfds_t) np, wait_ms >= 0 && wait_ms < 1000 ? wait_ms : 1000);
        struct signalfd_siginfo si;
        while (read(sfd, &si, sizeof si) == sizeof si) {}
        pid_t ended;
        while ((ended = waitpid(-1, NULL, WNOHANG)) > 0) reap(ended);
        if (ready < 0 && errno != EINTR) break;
        if (ready <= 0) continue;
        if (p[1].revents) {
            char buf[256];
            ssize_t got = read(0, buf, sizeof buf);
            if (got <= 0) break; /* the JVM is gone */
            read_commands(buf, (size_t) got);
        }
        for (int i = 0; i < WARM_MAX; i++)
            if (p[3 + i].revents && warm[i].state != WARM_FREE) warm_event(&warm[i]);
        int still = 0;
        for (int i = 0; i < npending; i++)
            if (!p[3 + WARM_MAX + i].revents || dispatch(pending[i]) < 0) pending[still++] = pending[i];
        npending = still;
        if (p[0].revents & POLLIN) {
            int conn = accept4(listener, NULL, NULL, SOCK_CLOEXEC);
            if (conn >= 0 && dispatch(conn) < 0) {
                if (npending < PENDING_MAX) {
                    pending[npending++] = conn;
                } else {
                    serve_cold(conn); /* its supervisor reads and waits */
                    close(conn);
                }
            }
        }
    }
    close(listener);
    unlink(socket_path);
    for (int i = 0; i < npending; i++) close(pending[i]);
    warm_drain();
    return 0;
}
