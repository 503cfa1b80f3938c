/*
 * Watching for a sandbox's TCP port to accept connections on its 127.0.0.1 (--ready-port), so
 * that the client learns it from one line on its connection instead of trying the port itself.
 * A try costs the supervisor a socket made in the sandbox's network namespace (two setns calls,
 * some microseconds) and a non-blocking connect; tries are spaced like the node's own readiness
 * polling: 1% of the time since the start, between 50 us and 20 ms.
 *
 * Only the supervisor connects, and it ends after the sandbox has: a pooled network namespace
 * goes to another sandbox only after that, so a connection made here always reached this one.
 */
#include "helper.h"

#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sched.h>
#include <stdio.h>
#include <sys/socket.h>
#include <unistd.h>

#define MIN_PAUSE_NS 50000ULL
#define MAX_PAUSE_NS 20000000ULL

static void close_sock(struct port_watch *w) {
    if (w->sock >= 0) close(w->sock);
    w->sock = -1;
}

static void stop(struct port_watch *w) {
    close_sock(w);
    if (w->netns >= 0) close(w->netns);
    if (w->host_netns >= 0) close(w->host_netns);
    w->netns = w->host_netns = -1;
    w->port = 0;
}

int port_watch_start(struct port_watch *w, int port, pid_t init, int host_network, uint64_t now) {
    *w = (struct port_watch){.port = 0, .netns = -1, .host_netns = -1, .sock = -1};
    if (port <= 0 || init <= 0) return 0;
    if (!host_network) {
        char path[64];
        snprintf(path, sizeof path, "/proc/%d/ns/net", (int) init);
        w->netns = open(path, O_RDONLY | O_CLOEXEC);
        w->host_netns = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
        if (w->netns < 0 || w->host_netns < 0) {
            stop(w);
            return -1;
        }
    }
    w->port = port;
    w->started_ns = w->next_ns = now;
    return 0;
}

/* A non-blocking TCP socket in the sandbox's network namespace, or -1. */
static int sandbox_socket(struct port_watch *w) {
    if (w->netns >= 0 && setns(w->netns, CLONE_NEWNET) < 0) return -1;
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (w->netns >= 0 && setns(w->host_netns, CLONE_NEWNET) < 0) {
        /* Nothing else of the supervisor uses the network, but stay where it was started. */
        if (fd >= 0) close(fd);
        return -2;
    }
    return fd;
}

/* The next try, 1% of the time since the start from now. */
static void schedule(struct port_watch *w, uint64_t now) {
    uint64_t pause = (now - w->started_ns) / 100;
    w->next_ns = now + (pause < MIN_PAUSE_NS ? MIN_PAUSE_NS : pause > MAX_PAUSE_NS ? MAX_PAUSE_NS : pause);
}

static int attempt(struct port_watch *w, uint64_t now) {
    int fd = sandbox_socket(w);
    if (fd == -2) return -1;
    if (fd >= 0) {
        struct sockaddr_in to = {.sin_family = AF_INET, .sin_port = htons((uint16_t) w->port),
                                 .sin_addr = {htonl(INADDR_LOOPBACK)}};
        if (connect(fd, (struct sockaddr *) &to, sizeof to) == 0) {
            close(fd);
            return 1;
        }
        if (errno == EINPROGRESS) {
            w->sock = fd;
            return 0;
        }
        close(fd);
    }
    schedule(w, now);
    return 0;
}

int port_watch_fd(const struct port_watch *w) {
    return w->port > 0 ? w->sock : -1;
}

int64_t port_watch_wait_ns(const struct port_watch *w, uint64_t now) {
    if (w->port <= 0 || w->sock >= 0) return -1;
    return w->next_ns > now ? (int64_t) (w->next_ns - now) : 0;
}

int port_watch_step(struct port_watch *w, short revents, uint64_t now) {
    if (w->port <= 0) return 0;
    if (w->sock >= 0) {
        if (!revents) return 0;
        int error = 0;
        socklen_t len = sizeof error;
        int ok = getsockopt(w->sock, SOL_SOCKET, SO_ERROR, &error, &len) == 0 && error == 0;
        close_sock(w);
        if (ok) {
            stop(w);
            return 1;
        }
        schedule(w, now);
        return 0;
    }
    if (now < w->next_ns) return 0;
    int r = attempt(w, now);
    if (r != 0) stop(w);
    return r;
}

void port_watch_stop(struct port_watch *w) {
    stop(w);
}
