/*
 * A prewarmed sandbox's assignment: the supervisor sends its pid 1, which waits at the barrier,
 * the helper options of the sandbox it is to become, that sandbox's stdin, stdout and stderr, and
 * its mounts' trees as the supervisor cloned them in the host's view. Pid 1 parses the options
 * again (the supervisor already checked them).
 *
 * On a stream socket: a header (payload size, argc) carrying the descriptors (stdio, then one per
 * mount), then the payload: argc NUL-terminated words, then for each mount 'd' or 'f' (directory
 * or file) and its resolved source, NUL-terminated.
 */
#include "helper.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

struct header {
    uint32_t size;
    uint32_t argc;
};

int assignment_send(int fd, int argc, char **argv, const struct spec *s) {
    size_t size = 0;
    for (int i = 0; i < argc; i++) size += strlen(argv[i]) + 1;
    for (int i = 0; i < s->nbinds; i++) size += strlen(s->binds[i].real) + 2;
    char *payload = malloc(size), *p = payload;
    if (!payload) return -1;
    for (int i = 0; i < argc; i++) p = stpcpy(p, argv[i]) + 1;
    for (int i = 0; i < s->nbinds; i++) {
        *p++ = s->binds[i].is_dir ? 'd' : 'f';
        p = stpcpy(p, s->binds[i].real) + 1;
    }

    struct header h = {(uint32_t) size, (uint32_t) argc};
    int fds[3 + MAX_BINDS] = {0, 1, 2}, nfds = 3 + s->nbinds;
    for (int i = 0; i < s->nbinds; i++) fds[3 + i] = s->binds[i].fd;
    char control[CMSG_SPACE(sizeof fds)];
    memset(control, 0, sizeof control);
    struct iovec iov = {&h, sizeof h};
    struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = control,
                         .msg_controllen = CMSG_SPACE(nfds * sizeof(int))};
    struct cmsghdr *c = CMSG_FIRSTHDR(&msg);
    c->cmsg_level = SOL_SOCKET;
    c->cmsg_type = SCM_RIGHTS;
    c->cmsg_len = CMSG_LEN(nfds * sizeof(int));
    memcpy(CMSG_DATA(c), fds, nfds * sizeof(int));
    int rc = sendmsg(fd, &msg, MSG_NOSIGNAL) == (ssize_t) sizeof h ? 0 : -1;
    for (size_t done = 0; rc == 0 && done < size;) {
        ssize_t n = send(fd, payload + done, size - done, MSG_NOSIGNAL);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) rc = -1;
        else done += (size_t) n;
    }
    free(payload);
    return rc;
}

int assignment_receive(int fd, struct spec *s, int stdio[3]) {
    struct header h;
    int fds[3 + MAX_BINDS];
    char control[CMSG_SPACE(sizeof fds)];
    struct iovec iov = {&h, sizeof h};
    struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = control, .msg_controllen = sizeof control};
    ssize_t n;
    while ((n = recvmsg(fd, &msg, MSG_CMSG_CLOEXEC)) < 0 && errno == EINTR) {}
    if (n <= 0) {
        if (n == 0) errno = 0;
        return -1;
    }
    struct cmsghdr *c = CMSG_FIRSTHDR(&msg);
    if (!c || c->cmsg_type != SCM_RIGHTS || c->cmsg_len < CMSG_LEN(3 * sizeof(int)) || (msg.msg_flags & MSG_CTRUNC)) {
        errno = EPROTO;
        return -1;
    }
    int nfds = (int) ((c->cmsg_len - CMSG_LEN(0)) / sizeof(int));
    memcpy(fds, CMSG_DATA(c), nfds * sizeof(int));
    memcpy(stdio, fds, 3 * sizeof(int));
    if ((size_t) n < sizeof h && read_full(fd, (char *) &h + n, sizeof h - (size_t) n) < 0) return -1;

    char *payload = malloc(h.size + 1);
    char **words = calloc(h.argc + 1, sizeof *words);
    if (!payload || !words) return -1;
    if (read_full(fd, payload, h.size) < 0) return -1;
    payload[h.size] = '\0';
    char *p = payload, *end = payload + h.size;
    for (uint32_t i = 0; i < h.argc; i++, p += strlen(p) + 1) {
        if (p >= end) goto bad;
        words[i] = p;
    }
    const char *cleanup_id = NULL;
    parse_args(s, (int) h.argc, words, &cleanup_id);
    if (s->nbinds != nfds - 3) goto bad;
    for (int i = 0; i < s->nbinds; i++, p += strlen(p) + 1) {
        if (p >= end || (*p != 'd' && *p != 'f')) goto bad;
        s->binds[i].is_dir = *p == 'd';
        s->binds[i].real = p + 1;
        s->binds[i].fd = fds[3 + i];
    }
    return 0;
bad:
    errno = EPROTO;
    return -1;
}
