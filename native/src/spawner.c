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
 * The spawner exits when its stdin reaches EOF: the JVM that started it is gone (or done with it).
 * Supervisors do not depend on the spawner: each watches its own connection, which closes when the
 * JVM dies, and then kills its sandbox; a sandbox already running when its spawner is replaced
 * finishes normally.
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
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
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

static void reap(pid_t pid) {
    for (int i = 0; i < NETNS_POOL; i++) {
        if (pool[i].user == pid) pool[i].user = 0;
    }
}

/* One connection, in a forked child of the spawner: becomes the sandbox's supervisor. */
static int serve_connection(int conn, int netns_slot) {
    /* Only the namespace lent to this sandbox stays open here. */
    for (int i = 0; i < NETNS_POOL; i++) {
        if (i != netns_slot && pool[i].fd >= 0) close(pool[i].fd);
    }
    if (host_netns >= 0) close(host_netns);
    supervise_netns_fd = netns_slot >= 0 ? pool[netns_slot].fd : -1;
    signal(SIGCHLD, SIG_DFL);
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);

    struct ucred peer;
    socklen_t peer_len = sizeof peer;
    if (getsockopt(conn, SOL_SOCKET, SO_PEERCRED, &peer, &peer_len) < 0 || peer.uid != geteuid())
        return refuse(conn, "the caller is not this helper's user");

    uint32_t len;
    if (read_full(conn, &len, sizeof len) < 0) return EXIT_HELPER_ERROR;
    if (len == 0 || len > MAX_REQUEST) return refuse(conn, "request size out of range");
    char *request = malloc(len);
    if (!request || read_full(conn, request, len) < 0) return EXIT_HELPER_ERROR;
    if (request[len - 1] != '\0') return refuse(conn, "request does not end with NUL");

    char *words[MAX_ARGS + 1];
    int n = 0;
    for (char *p = request; p < request + len; p += strlen(p) + 1) {
        if (n == MAX_ARGS) return refuse(conn, "too many arguments");
        words[n++] = p;
    }
    words[n] = NULL;

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
    if (n - first < 1) return refuse(conn, "no helper arguments");

    char ready[64];
    snprintf(ready, sizeof ready, "ready %d\n", (int) getpid());
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
    return supervise(n - first, words + first, conn);
}

int spawner_serve(const char *socket_path) {
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
    host_netns = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
    write_all(1, "listening\n");

    /* Supervisors are reaped as they end; none of them must linger as a zombie. */
    signal(SIGCHLD, SIG_DFL);
    signal(SIGPIPE, SIG_IGN);
    for (;;) {
        struct pollfd p[2] = {{listener, POLLIN, 0}, {0, POLLIN, 0}};
        int ready = poll(p, 2, 1000);
        pid_t ended;
        while ((ended = waitpid(-1, NULL, WNOHANG)) > 0) reap(ended);
        if (ready < 0 && errno != EINTR) break;
        if (p[1].revents) {
            char buf[64];
            ssize_t got = read(0, buf, sizeof buf);
            if (got <= 0) break; /* the JVM is gone */
        }
        if (p[0].revents & POLLIN) {
            int conn = accept4(listener, NULL, NULL, SOCK_CLOEXEC);
            if (conn < 0) continue;
            int slot = lend_netns();
            pid_t pid = fork();
            if (pid == 0) {
                close(listener);
                int null = open("/dev/null", O_RDONLY);
                if (null >= 0 && null != 0) {
                    dup2(null, 0);
                    close(null);
                }
                signal(SIGPIPE, SIG_DFL);
                _exit(serve_connection(conn, slot));
            }
            if (pid > 0 && slot >= 0) pool[slot].user = pid;
            if (pid < 0) refuse(conn, "fork failed");
            close(conn);
        }
    }
    unlink(socket_path);
    return 0;
}
