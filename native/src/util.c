#include "helper.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

int write_file(const char *path, const char *text) {
    int fd = open(path, O_WRONLY | O_CLOEXEC);
    if (fd < 0) return -1;
    size_t len = strlen(text);
    ssize_t n = write(fd, text, len);
    int saved = errno;
    close(fd);
    if (n != (ssize_t) len) {
        errno = n < 0 ? saved : EIO;
        return -1;
    }
    return 0;
}

void write_all(int fd, const char *text) {
    size_t len = strlen(text), done = 0;
    while (done < len) {
        ssize_t n = write(fd, text + done, len - done);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) return;
        done += (size_t) n;
    }
}

/* -1 on EOF too, with errno 0 */
int read_full(int fd, void *buf, size_t len) {
    size_t got = 0;
    while (got < len) {
        ssize_t n = read(fd, (char *) buf + got, len - got);
        if (n < 0 && errno == EINTR) continue;
        if (n == 0) errno = 0;
        if (n <= 0) return -1;
        got += (size_t) n;
    }
    return 0;
}

/* Closes every descriptor from 3 up but those in keep (-1 entries ignored). */
void close_fds_except(const int *keep, int n) {
    int sorted[MAX_BINDS + 8], m = 0;
    for (int i = 0; i < n && m < MAX_BINDS + 8; i++)
        if (keep[i] > 2) sorted[m++] = keep[i];
    for (int i = 1; i < m; i++)
        for (int j = i; j > 0 && sorted[j - 1] > sorted[j]; j--) {
            int t = sorted[j];
            sorted[j] = sorted[j - 1];
            sorted[j - 1] = t;
        }
    unsigned from = 3;
    for (int i = 0; i < m; i++) {
        if ((unsigned) sorted[i] > from) syscall(SYS_close_range, from, (unsigned) sorted[i] - 1, 0);
        from = (unsigned) sorted[i] + 1;
    }
    syscall(SYS_close_range, from, ~0U, 0);
}

int read_file(const char *path, char *buf, size_t len) {
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return -1;
    ssize_t n = read(fd, buf, len - 1);
    close(fd);
    if (n < 0) return -1;
    buf[n] = '\0';
    return (int) n;
}

int mkdirs(const char *path, mode_t mode) {
    char tmp[PATH_MAX];
    if (snprintf(tmp, sizeof tmp, "%s", path) >= (int) sizeof tmp) {
        errno = ENAMETOOLONG;
        return -1;
    }
    for (char *p = tmp + 1; *p; p++) {
        if (*p != '/') continue;
        *p = '\0';
        if (mkdir(tmp, mode) < 0 && errno != EEXIST) return -1;
        *p = '/';
    }
    if (mkdir(tmp, mode) < 0 && errno != EEXIST) return -1;
    return 0;
}

/* One fixed-size record, so the supervisor never sees half a message. */
void send_error(int fd, const char *reason, const char *fmt, ...) {
    struct setup_error e;
    memset(&e, 0, sizeof e);
    snprintf(e.reason, sizeof e.reason, "%s", reason);
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(e.detail, sizeof e.detail, fmt, ap);
    va_end(ap);
    ssize_t ignored = write(fd, &e, sizeof e);
    (void) ignored;
}

/* ARROW_HELPER_TRACE=1 prints when each phase ends, in microseconds since the helper started. */
void trace(const char *phase) {
    static int enabled = -1;
    static long long origin;
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    long long now = ts.tv_sec * 1000000LL + ts.tv_nsec / 1000;
    if (enabled < 0) {
        const char *v = getenv("ARROW_HELPER_TRACE");
        enabled = v && *v == '1';
        origin = now;
    }
    if (enabled) dprintf(2, "[trace %6lld us] %s\n", now - origin, phase);
}
