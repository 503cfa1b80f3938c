/*
 * arrow-shell-runtime: the `shell` runtime of Arrow. Serves HTTP/1.1 on 127.0.0.1:$PORT and runs
 * the script $ARROW_HANDLER once per request: the request body on its stdin, its stdout the
 * response body, its stderr copied to ours (the instance's log). One forked process per
 * connection (keep-alive, requests in order), one forked script per request. libc only.
 *
 * Protocol: arrow-runtime/src/main/resources/dev/arrow/runtime/bootstrap/README.md.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define MAX_HEAD (64 * 1024)          /* request line and headers */
#define MAX_BODY (64LL * 1024 * 1024) /* request body */
#define MAX_OUTPUT (64LL * 1024 * 1024)
#define MAX_CHUNK_LINE 4096
#define TAIL_BYTES 1024               /* of stderr, in an error message */
#define IN_CAP (MAX_HEAD + 16 * 1024)
#define EXIT_POLL_MS 100              /* without a pidfd: how often a running script is checked for exit */
#define DRAIN_IDLE_MS 50              /* after exit: how long pipes held by stragglers are read */

static const char *handler;           /* as given in ARROW_HANDLER */
static char script[PATH_MAX];         /* the path exec'd: "./" + handler when relative */
static int script_executable;

/* ---- growable buffer ---------------------------------------------------------------------- */

struct buf {
    char *data;
    size_t len, cap;
};

static int buf_reserve(struct buf *b, size_t more) {
    if (b->cap - b->len >= more) {
        return 0;
    }
    size_t cap = b->cap ? b->cap : 256;
    while (cap - b->len < more) {
        if (cap > SIZE_MAX / 2) {
            return -1;
        }
        cap *= 2;
    }
    char *data = realloc(b->data, cap);
    if (!data) {
        return -1;
    }
    b->data = data;
    b->cap = cap;
    return 0;
}

static int buf_append(struct buf *b, const void *p, size_t n) {
    if (buf_reserve(b, n) < 0) {
        return -1;
    }
    memcpy(b->data + b->len, p, n);
    b->len += n;
    return 0;
}

static int buf_printf(struct buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int buf_printf(struct buf *b, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0 || buf_reserve(b, (size_t)n + 1) < 0) {
        return -1;
    }
    va_start(ap, fmt);
    vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    b->len += (size_t)n;
    return 0;
}

static void buf_free(struct buf *b) {
    free(b->data);
    b->data = NULL;
    b->len = b->cap = 0;
}

/* JSON string content of s: escapes, and every byte that is not part of valid UTF-8 as U+FFFD. */
static int json_escape(struct buf *b, const unsigned char *s, size_t n) {
    for (size_t i = 0; i < n;) {
        unsigned char c = s[i];
        int rc = 0;
        if (c < 0x80) {
            switch (c) {
            case '"': rc = buf_append(b, "\\\"", 2); break;
            case '\\': rc = buf_append(b, "\\\\", 2); break;
            case '\n': rc = buf_append(b, "\\n", 2); break;
            case '\r': rc = buf_append(b, "\\r", 2); break;
            case '\t': rc = buf_append(b, "\\t", 2); break;
            default:
                rc = c < 0x20 ? buf_printf(b, "\\u%04x", c) : buf_append(b, &c, 1);
            }
            i++;
        } else {
            size_t len = c >= 0xc2 && c <= 0xdf ? 2 : c >= 0xe0 && c <= 0xef ? 3 : c >= 0xf0 && c <= 0xf4 ? 4 : 0;
            int ok = len > 0 && i + len <= n;
            for (size_t k = 1; ok && k < len; k++) {
                ok = (s[i + k] & 0xc0) == 0x80;
            }
            if (ok && len >= 3) { /* no overlong forms, surrogates or code points past U+10FFFF */
                unsigned char d = s[i + 1];
                ok = !((c == 0xe0 && d < 0xa0) || (c == 0xed && d > 0x9f) || (c == 0xf0 && d < 0x90)
                       || (c == 0xf4 && d > 0x8f));
            }
            if (ok) {
                rc = buf_append(b, s + i, len);
                i += len;
            } else {
                rc = buf_append(b, "\\ufffd", 6);
                i++;
            }
        }
        if (rc < 0) {
            return -1;
        }
    }
    return 0;
}

/* ---- I/O ---------------------------------------------------------------------------------- */

static int write_all(int fd, const void *p, size_t n) {
    const char *c = p;
    while (n > 0) {
        ssize_t w = write(fd, c, n);
        if (w < 0) {
            if (errno == EINTR) {
                continue;
            }
            return -1;
        }
        c += w;
        n -= (size_t)w;
    }
    return 0;
}

static int writev_all(int fd, struct iovec *iov, int n) {
    while (n > 0) {
        ssize_t w = writev(fd, iov, n);
        if (w < 0) {
            if (errno == EINTR) {
                continue;
            }
            return -1;
        }
        while (n > 0 && (size_t)w >= iov->iov_len) {
            w -= (ssize_t)iov->iov_len;
            iov++;
            n--;
        }
        if (n > 0) {
            iov->iov_base = (char *)iov->iov_base + w;
            iov->iov_len -= (size_t)w;
        }
    }
    return 0;
}

static long long now_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* One client connection: bytes read but not yet consumed are in[start..end). */
struct conn {
    int fd;
    size_t start, end;
    char in[IN_CAP];
};

/* Reads more into the buffer. Returns bytes read, 0 at EOF, -1 on error or a full buffer. */
static ssize_t fill(struct conn *c) {
    if (c->start > 0) {
        memmove(c->in, c->in + c->start, c->end - c->start);
        c->end -= c->start;
        c->start = 0;
    }
    if (c->end == IN_CAP) {
        return -1;
    }
    for (;;) {
        ssize_t n = read(c->fd, c->in + c->end, IN_CAP - c->end);
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n > 0) {
            c->end += (size_t)n;
        }
        return n;
    }
}

/*
 * Waits for a complete request head. Returns 1 with its length in *len, 0 at a clean EOF before
 * any byte of it, -1 when the connection failed or ended inside it, -2 when it is too large.
 */
static int read_head(struct conn *c, size_t *len) {
    size_t scanned = 0;
    for (;;) {
        size_t skipped = 0; /* empty lines before a request line are allowed (RFC 9112 2.2) */
        while (c->start < c->end && (c->in[c->start] == '\r' || c->in[c->start] == '\n')) {
            c->start++;
            skipped++;
        }
        if (skipped) {
            scanned = 0;
        }
        const char *p = c->in + c->start;
        size_t avail = c->end - c->start;
        if (avail > MAX_HEAD) {
            avail = MAX_HEAD; /* a head ends within MAX_HEAD bytes or is refused */
        }
        for (size_t i = scanned; i < avail; i++) {
            if (p[i] != '\n') {
                continue;
            }
            if (i + 1 < avail && p[i + 1] == '\n') {
                *len = i + 2;
                return 1;
            }
            if (i + 2 < avail && p[i + 1] == '\r' && p[i + 2] == '\n') {
                *len = i + 3;
                return 1;
            }
        }
        scanned = avail > 2 ? avail - 2 : 0;
        if (avail >= MAX_HEAD) {
            return -2;
        }
        ssize_t n = fill(c);
        if (n <= 0) {
            return n == 0 && c->start == c->end ? 0 : -1;
        }
    }
}

/* A line (without its LF or CRLF) of at most max bytes: NUL-terminated in place and consumed. */
static char *read_line(struct conn *c, size_t max) {
    for (;;) {
        char *p = c->in + c->start;
        size_t avail = c->end - c->start;
        char *nl = memchr(p, '\n', avail < max + 2 ? avail : max + 2);
        if (nl) {
            c->start += (size_t)(nl - p) + 1;
            if (nl > p && nl[-1] == '\r') {
                nl--;
            }
            *nl = '\0';
            return p;
        }
        if (avail >= max + 2 || fill(c) <= 0) {
            return NULL;
        }
    }
}

/* Exactly n bytes into dst: first what is buffered, then straight from the socket. */
static int read_exact(struct conn *c, char *dst, size_t n) {
    size_t have = c->end - c->start;
    size_t take = have < n ? have : n;
    memcpy(dst, c->in + c->start, take);
    c->start += take;
    for (size_t got = take; got < n;) {
        ssize_t r = read(c->fd, dst + got, n - got);
        if (r < 0 && errno == EINTR) {
            continue;
        }
        if (r <= 0) {
            return -1;
        }
        got += (size_t)r;
    }
    return 0;
}

/* ---- requests ----------------------------------------------------------------------------- */

struct request {
    char *method, *target;
    char *invocation_id, *deadline, *content_type; /* NULL when absent */
    int http10, keep_alive, expect_continue, chunked, head;
    long long content_length;                   /* -1: none */
    struct buf body;
};

static void request_free(struct request *r) {
    free(r->method);
    free(r->target);
    free(r->invocation_id);
    free(r->deadline);
    free(r->content_type);
    buf_free(&r->body);
    memset(r, 0, sizeof *r);
}

static int is_tchar(unsigned char c) {
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')
           || (c && strchr("!#$%&'*+-.^_`|~", c));
}

static char *trim(char *s) {
    while (*s == ' ' || *s == '\t') {
        s++;
    }
    size_t n = strlen(s);
    while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t')) {
        s[--n] = '\0';
    }
    return s;
}

/* Does the comma-separated list value hold token (case-insensitive)? */
static int has_token(const char *value, const char *token) {
    size_t n = strlen(token);
    for (const char *p = value; *p;) {
        while (*p == ' ' || *p == '\t' || *p == ',') {
            p++;
        }
        const char *e = p;
        while (*e && *e != ',') {
            e++;
        }
        const char *t = e;
        while (t > p && (t[-1] == ' ' || t[-1] == '\t')) {
            t--;
        }
        if ((size_t)(t - p) == n && strncasecmp(p, token, n) == 0) {
            return 1;
        }
        p = e;
    }
    return 0;
}

static int set_copy(char **field, const char *value) {
    free(*field);
    *field = strdup(value);
    return *field ? 0 : -1;
}

/*
 * Parses the head (len bytes at p, modified in place). Returns 0, or an HTTP status with a
 * reason in *why.
 */
static int parse_head(char *p, size_t len, struct request *r, const char **why) {
    if (memchr(p, '\0', len)) {
        *why = "NUL in the request head";
        return 400;
    }
    p[len - 1] = '\0';
    char *line = p;
    char *next = strchr(line, '\n');
    *next++ = '\0';
    if (next - line >= 2 && next[-2] == '\r') {
        next[-2] = '\0';
    }
    char *sp1 = strchr(line, ' ');
    char *sp2 = sp1 ? strchr(sp1 + 1, ' ') : NULL;
    if (!sp1 || !sp2 || strchr(sp2 + 1, ' ')) {
        *why = "bad request line";
        return 400;
    }
    *sp1 = *sp2 = '\0';
    const char *method = line, *target = sp1 + 1, *version = sp2 + 1;
    if (!*method || strlen(method) > 32) {
        *why = "bad method";
        return 400;
    }
    for (const char *m = method; *m; m++) {
        if (!is_tchar((unsigned char)*m)) {
            *why = "bad method";
            return 400;
        }
    }
    if (!*target) {
        *why = "bad request target";
        return 400;
    }
    for (const unsigned char *t = (const unsigned char *)target; *t; t++) {
        if (*t <= 0x20 || *t >= 0x7f) {
            *why = "bad request target";
            return 400;
        }
    }
    if (strcmp(version, "HTTP/1.1") == 0) {
        r->keep_alive = 1;
    } else if (strcmp(version, "HTTP/1.0") == 0) {
        r->http10 = 1;
    } else {
        *why = "not HTTP/1.0 or HTTP/1.1";
        return 400;
    }
    if (set_copy(&r->method, method) < 0 || set_copy(&r->target, target) < 0) {
        *why = "out of memory";
        return 503;
    }
    r->head = strcmp(method, "HEAD") == 0;
    r->content_length = -1;
    int transfer_encoding = 0;
    for (line = next; *line; line = next) {
        next = strchr(line, '\n');
        if (next) {
            *next++ = '\0';
        } else {
            next = line + strlen(line);
        }
        size_t n = strlen(line);
        if (n > 0 && line[n - 1] == '\r') {
            line[--n] = '\0';
        }
        if (n == 0) {
            break;
        }
        char *colon = strchr(line, ':');
        if (!colon || colon == line) {
            *why = "bad header line";
            return 400;
        }
        *colon = '\0';
        for (const char *h = line; *h; h++) {
            if (!is_tchar((unsigned char)*h)) {
                *why = "bad header name";
                return 400;
            }
        }
        for (const unsigned char *v = (const unsigned char *)colon + 1; *v; v++) {
            if ((*v < 0x20 && *v != '\t') || *v == 0x7f) {
                *why = "bad header value";
                return 400;
            }
        }
        char *value = trim(colon + 1);
        int rc = 0;
        if (strcasecmp(line, "Content-Length") == 0) {
            size_t digits = strspn(value, "0123456789");
            if (digits == 0 || value[digits] || digits > 18) {
                *why = "bad Content-Length";
                return 400;
            }
            long long v = strtoll(value, NULL, 10);
            if (r->content_length >= 0 && r->content_length != v) {
                *why = "conflicting Content-Length";
                return 400;
            }
            r->content_length = v;
        } else if (strcasecmp(line, "Transfer-Encoding") == 0) {
            if (transfer_encoding || strcasecmp(value, "chunked") != 0) {
                *why = "unsupported Transfer-Encoding";
                return 400;
            }
            transfer_encoding = r->chunked = 1;
        } else if (strcasecmp(line, "Connection") == 0) {
            if (has_token(value, "close")) {
                r->keep_alive = 0;
            } else if (has_token(value, "keep-alive")) {
                r->keep_alive = 1;
            }
        } else if (strcasecmp(line, "Expect") == 0) {
            if (strcasecmp(value, "100-continue") != 0) {
                *why = "unsupported Expect";
                return 417;
            }
            r->expect_continue = !r->http10;
        } else if (strcasecmp(line, "Arrow-Invocation-Id") == 0) {
            rc = set_copy(&r->invocation_id, value);
        } else if (strcasecmp(line, "Arrow-Deadline-Ms") == 0) {
            rc = set_copy(&r->deadline, value);
        } else if (strcasecmp(line, "Content-Type") == 0) {
            rc = set_copy(&r->content_type, value);
        }
        if (rc < 0) {
            *why = "out of memory";
            return 503;
        }
    }
    if (r->chunked && r->content_length >= 0) {
        *why = "both Content-Length and Transfer-Encoding";
        return 400;
    }
    return 0;
}

/* Reads the body. Returns 0, -1 when the connection failed, or an HTTP status with *why. */
static int read_body(struct conn *c, struct request *r, const char **why) {
    if (r->content_length > MAX_BODY) {
        *why = "body too large";
        return 413;
    }
    if (r->expect_continue && (r->chunked || r->content_length > 0)) {
        static const char cont[] = "HTTP/1.1 100 Continue\r\n\r\n";
        if (write_all(c->fd, cont, sizeof cont - 1) < 0) {
            return -1;
        }
    }
    if (!r->chunked) {
        if (r->content_length <= 0) {
            return 0;
        }
        size_t n = (size_t)r->content_length;
        if (buf_reserve(&r->body, n) < 0) {
            *why = "out of memory";
            return 503;
        }
        if (read_exact(c, r->body.data, n) < 0) {
            return -1;
        }
        r->body.len = n;
        return 0;
    }
    for (;;) {
        char *line = read_line(c, MAX_CHUNK_LINE);
        if (!line) {
            *why = "bad chunk size line";
            return c->end == c->start ? -1 : 400;
        }
        size_t digits = strspn(line, "0123456789abcdefABCDEF");
        char after = line[digits];
        if (digits == 0 || digits > 15 || (after && after != ';' && after != ' ' && after != '\t')) {
            *why = "bad chunk size";
            return 400;
        }
        unsigned long long size = strtoull(line, NULL, 16);
        if (size == 0) {
            break;
        }
        if (size > (unsigned long long)MAX_BODY - r->body.len) {
            *why = "body too large";
            return 413;
        }
        if (buf_reserve(&r->body, (size_t)size) < 0) {
            *why = "out of memory";
            return 503;
        }
        if (read_exact(c, r->body.data + r->body.len, (size_t)size) < 0) {
            return -1;
        }
        r->body.len += (size_t)size;
        line = read_line(c, 0);
        if (!line || *line) {
            *why = "bad chunk end";
            return 400;
        }
    }
    for (size_t trailers = 0;;) { /* trailers: read and ignored */
        char *line = read_line(c, MAX_CHUNK_LINE);
        if (!line) {
            *why = "bad trailer";
            return 400;
        }
        if (!*line) {
            return 0;
        }
        trailers += strlen(line);
        if (trailers > MAX_HEAD) {
            *why = "trailers too large";
            return 400;
        }
    }
}

/* ---- responses ---------------------------------------------------------------------------- */

static const char *reason(int status) {
    switch (status) {
    case 200: return "OK";
    case 400: return "Bad Request";
    case 413: return "Content Too Large";
    case 417: return "Expectation Failed";
    case 431: return "Request Header Fields Too Large";
    case 500: return "Internal Server Error";
    case 503: return "Service Unavailable";
    default: return "Error";
    }
}

static int respond(int fd, const struct request *r, int status, const char *content_type, const char *extra,
                   const char *body, size_t len) {
    struct buf head = {0};
    int rc = buf_printf(&head, "HTTP/1.1 %d %s\r\nContent-Type: %s\r\nContent-Length: %zu\r\n%s%s\r\n", status,
                        reason(status), content_type, len, extra ? extra : "",
                        !r->keep_alive ? "Connection: close\r\n" : r->http10 ? "Connection: keep-alive\r\n" : "");
    if (rc == 0) {
        struct iovec iov[2] = {{head.data, head.len}, {(void *)body, r->head ? 0 : len}};
        rc = writev_all(fd, iov, 2);
    }
    buf_free(&head);
    return rc;
}

/* Answers a request that could not be read, then closes: sending done, the rest drained a while. */
static void refuse(int fd, int status, const char *why) {
    struct request r = {0};
    char body[256];
    int n = snprintf(body, sizeof body, "%s\n", why);
    respond(fd, &r, status, "text/plain", NULL, body, (size_t)n);
    shutdown(fd, SHUT_WR);
    char sink[16384];
    long long until = now_ms() + 1000;
    for (long long drained = 0; drained < MAX_BODY;) {
        struct pollfd p = {fd, POLLIN, 0};
        long long left = until - now_ms();
        if (left <= 0 || poll(&p, 1, (int)left) <= 0) {
            break;
        }
        ssize_t got = read(fd, sink, sizeof sink);
        if (got <= 0) {
            break;
        }
        drained += got;
    }
}

/* ---- running the script ------------------------------------------------------------------- */

struct run {
    struct buf out;
    char tail[TAIL_BYTES];
    size_t tail_len;
    int status;        /* from waitpid */
    int exec_errno;    /* the script could not be exec'd */
    int deadline_hit, too_large;
};

static void keep_tail(struct run *run, const char *p, size_t n) {
    if (n >= TAIL_BYTES) {
        memcpy(run->tail, p + n - TAIL_BYTES, TAIL_BYTES);
        run->tail_len = TAIL_BYTES;
        return;
    }
    size_t keep = run->tail_len + n > TAIL_BYTES ? TAIL_BYTES - n : run->tail_len;
    memmove(run->tail, run->tail + run->tail_len - keep, keep);
    memcpy(run->tail + keep, p, n);
    run->tail_len = keep + n;
}

static void set_env(const char *name, const char *value) {
    if (value) {
        setenv(name, value, 1);
    } else {
        unsetenv(name);
    }
}

static void close_fd(int *fd) {
    if (*fd >= 0) {
        close(*fd);
        *fd = -1;
    }
}

static void run_script(const struct request *r, struct run *run) {
    int in[2], out[2], err[2], st[2];
    if (pipe2(in, O_CLOEXEC) < 0 || pipe2(out, O_CLOEXEC) < 0 || pipe2(err, O_CLOEXEC) < 0
        || pipe2(st, O_CLOEXEC) < 0) {
        run->exec_errno = errno;
        return; /* descriptors made so far are closed with the connection's process */
    }
    pid_t pid = fork();
    if (pid < 0) {
        run->exec_errno = errno;
        close(in[0]), close(in[1]), close(out[0]), close(out[1]), close(err[0]), close(err[1]);
        close(st[0]), close(st[1]);
        return;
    }
    if (pid == 0) {
        setpgid(0, 0);
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        signal(SIGPIPE, SIG_DFL);
        signal(SIGCHLD, SIG_DFL);
        sigset_t none;
        sigemptyset(&none);
        sigprocmask(SIG_SETMASK, &none, NULL);
        if (dup2(in[0], 0) < 0 || dup2(out[1], 1) < 0 || dup2(err[1], 2) < 0) {
            int e = errno;
            (void)!write(st[1], &e, sizeof e);
            _exit(127);
        }
        set_env("ARROW_INVOCATION_ID", r->invocation_id);
        set_env("ARROW_DEADLINE_MS", r->deadline);
        set_env("ARROW_CONTENT_TYPE", r->content_type);
        set_env("ARROW_METHOD", r->method);
        set_env("ARROW_PATH", r->target);
        if (script_executable) {
            char *argv[] = {script, NULL};
            execv(script, argv);
        }
        if (!script_executable || errno == ENOEXEC) { /* no #! line: a shell script */
            char *argv[] = {"sh", script, NULL};
            execv("/bin/sh", argv);
        }
        int e = errno;
        (void)!write(st[1], &e, sizeof e);
        _exit(127);
    }
    close(in[0]), close(out[1]), close(err[1]), close(st[1]);
    int e = 0;
    ssize_t got;
    while ((got = read(st[0], &e, sizeof e)) < 0 && errno == EINTR) {
    }
    close(st[0]);
    if (got == (ssize_t)sizeof e) {
        run->exec_errno = e;
        close(in[1]), close(out[0]), close(err[0]);
        while (waitpid(pid, &run->status, 0) < 0 && errno == EINTR) {
        }
        return;
    }

    long long deadline = -1;
    if (r->deadline && *r->deadline) {
        char *end;
        errno = 0;
        long long v = strtoll(r->deadline, &end, 10);
        if (!*end && errno == 0 && v > 0) {
            deadline = v;
        }
    }
    /* A pidfd turns readable when the script exits, even while something it started holds its
     * pipes; where there is none (kernel before 5.3, a seccomp filter), poll now and then. */
#ifdef SYS_pidfd_open
    int pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
#else
    int pidfd = -1;
#endif
    int fds[4] = {in[1], out[0], err[0], pidfd};
    fcntl(fds[0], F_SETFL, O_NONBLOCK);
    size_t written = 0;
    if (r->body.len == 0) {
        close_fd(&fds[0]);
    }
    int exited = 0;
    for (;;) {
        if (!exited) {
            siginfo_t si;
            si.si_pid = 0;
            if (waitid(P_PID, (id_t)pid, &si, WEXITED | WNOHANG | WNOWAIT) == 0 && si.si_pid == pid) {
                exited = 1;
                kill(-pid, SIGKILL); /* what it left running: the group outlives no request */
                close_fd(&fds[0]);
                close_fd(&fds[3]);
            }
        }
        if (exited && fds[1] < 0 && fds[2] < 0) {
            break;
        }
        int timeout = DRAIN_IDLE_MS;
        if (!exited) {
            timeout = fds[3] >= 0 ? -1 : EXIT_POLL_MS;
            if (deadline >= 0 && !run->deadline_hit) {
                long long left = deadline - now_ms();
                if (left <= 0) {
                    run->deadline_hit = 1;
                    kill(-pid, SIGKILL);
                } else if (timeout < 0 || left < timeout) {
                    timeout = left > 3600000 ? 3600000 : (int)left;
                }
            }
        }
        struct pollfd p[4];
        for (int i = 0; i < 4; i++) {
            p[i].fd = fds[i];
            p[i].events = i == 0 ? POLLOUT : POLLIN;
            p[i].revents = 0;
        }
        int n = poll(p, 4, timeout);
        if (n < 0 && errno != EINTR) {
            break;
        }
        if (n == 0 && exited) {
            break; /* something that escaped the kill holds the pipes: stop waiting for it */
        }
        if (n <= 0) {
            continue;
        }
        if (fds[0] >= 0 && p[0].revents) {
            size_t chunk = r->body.len - written < 65536 ? r->body.len - written : 65536;
            ssize_t w = write(fds[0], r->body.data + written, chunk);
            if (w > 0) {
                written += (size_t)w;
            }
            if ((w < 0 && errno != EAGAIN && errno != EINTR) || written == r->body.len) {
                close_fd(&fds[0]); /* done, or the script does not read its input (EPIPE) */
            }
        }
        if (fds[1] >= 0 && p[1].revents) {
            if (buf_reserve(&run->out, 65536) < 0) {
                run->too_large = 1;
                kill(-pid, SIGKILL);
                close_fd(&fds[1]);
            } else {
                ssize_t got2 = read(fds[1], run->out.data + run->out.len, 65536);
                if (got2 > 0) {
                    run->out.len += (size_t)got2;
                    if (run->out.len > MAX_OUTPUT) {
                        run->too_large = 1;
                        kill(-pid, SIGKILL);
                        close_fd(&fds[1]);
                    }
                } else if (got2 == 0 || errno != EINTR) {
                    close_fd(&fds[1]);
                }
            }
        }
        if (fds[2] >= 0 && p[2].revents) {
            char chunk[16384];
            ssize_t got2 = read(fds[2], chunk, sizeof chunk);
            if (got2 > 0) {
                (void)write_all(2, chunk, (size_t)got2);
                keep_tail(run, chunk, (size_t)got2);
            } else if (got2 == 0 || errno != EINTR) {
                close_fd(&fds[2]);
            }
        }
    }
    close_fd(&fds[0]);
    close_fd(&fds[1]);
    close_fd(&fds[2]);
    close_fd(&fds[3]);
    if (!exited) {
        siginfo_t si;
        while (waitid(P_PID, (id_t)pid, &si, WEXITED | WNOWAIT) < 0 && errno == EINTR) {
        }
        kill(-pid, SIGKILL);
    }
    while (waitpid(pid, &run->status, 0) < 0 && errno == EINTR) {
    }
}

/* Runs the script for r and sends its response. Returns -1 when the connection failed. */
static int invoke(int fd, const struct request *r) {
    struct run run = {0};
    run_script(r, &run);
    int rc;
    if (!run.exec_errno && !run.deadline_hit && !run.too_large && WIFEXITED(run.status)
        && WEXITSTATUS(run.status) == 0) {
        rc = respond(fd, r, 200, "application/octet-stream", NULL, run.out.data ? run.out.data : "", run.out.len);
        buf_free(&run.out);
        return rc;
    }
    buf_free(&run.out);
    struct buf body = {0}, message = {0};
    const char *type;
    if (run.exec_errno) {
        type = "ExecFailed";
        buf_printf(&message, "cannot run %s: %s", script, strerror(run.exec_errno));
    } else if (run.deadline_hit) {
        type = "DeadlineExceeded";
        buf_printf(&message, "the script ran past its deadline and was killed");
    } else if (run.too_large) {
        type = "OutputTooLarge";
        buf_printf(&message, "the script wrote more than %lld bytes to stdout and was killed", MAX_OUTPUT);
    } else if (WIFEXITED(run.status)) {
        type = "ExitStatus";
        buf_printf(&message, "exit status %d", WEXITSTATUS(run.status));
    } else {
        type = "Signal";
        buf_printf(&message, "killed by signal %d", WTERMSIG(run.status));
    }
    const char *tail = run.tail;
    size_t tail_len = run.tail_len;
    if (tail_len == TAIL_BYTES) { /* cut at a character, not inside one */
        while (tail_len > 0 && (*tail & 0xc0) == 0x80) {
            tail++;
            tail_len--;
        }
    }
    while (tail_len > 0 && (tail[tail_len - 1] == '\n' || tail[tail_len - 1] == '\r')) {
        tail_len--;
    }
    if (tail_len > 0 && !run.exec_errno) {
        buf_printf(&message, ": ");
        buf_append(&message, tail, tail_len);
    }
    buf_printf(&body, "{\"errorType\":\"%s\",\"errorMessage\":\"", type);
    json_escape(&body, (const unsigned char *)(message.data ? message.data : ""), message.len);
    buf_printf(&body, "\",\"stackTrace\":[]}");
    rc = respond(fd, r, 500, "application/json", "Arrow-Error: unhandled\r\n", body.data ? body.data : "",
                 body.len);
    buf_free(&body);
    buf_free(&message);
    return rc;
}

static void serve_connection(int fd) {
    static struct conn c;
    c.fd = fd;
    c.start = c.end = 0;
    for (;;) {
        size_t len;
        int got = read_head(&c, &len);
        if (got == 0 || got == -1) {
            return;
        }
        if (got == -2) {
            refuse(fd, 431, "request head over 64 KiB");
            return;
        }
        struct request r = {0};
        const char *why = "";
        int status = parse_head(c.in + c.start, len, &r, &why);
        c.start += len;
        if (status == 0) {
            status = read_body(&c, &r, &why);
        }
        if (status == 0) {
            if (invoke(fd, &r) < 0) {
                status = -1;
            } else if (!r.keep_alive) {
                shutdown(fd, SHUT_WR);
                status = -1;
            }
        } else if (status > 0) {
            refuse(fd, status, why);
        }
        request_free(&r);
        if (status != 0) {
            return;
        }
    }
}

/* ---- start -------------------------------------------------------------------------------- */

static void die(int code, const char *fmt, ...) __attribute__((format(printf, 2, 3), noreturn));
static void die(int code, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    fputs("arrow-shell-runtime: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    exit(code);
}

int main(int argc, char **argv) {
    (void)argv;
    if (argc != 1) {
        die(2, "takes no arguments: PORT and ARROW_HANDLER come from the environment");
    }
    for (int fd = 0; fd < 3; fd++) { /* pipes made later must never land on 0, 1 or 2 */
        if (fcntl(fd, F_GETFD) < 0 && open("/dev/null", O_RDWR) != fd) {
            die(1, "cannot open /dev/null: %s", strerror(errno));
        }
    }
    const char *port_text = getenv("PORT");
    char *end;
    long port = port_text ? strtol(port_text, &end, 10) : 0;
    if (!port_text || !*port_text || *end || port < 1 || port > 65535) {
        die(2, "PORT must be a TCP port, not '%s'", port_text ? port_text : "");
    }
    handler = getenv("ARROW_HANDLER");
    if (!handler || !*handler) {
        die(1, "ARROW_HANDLER must name the script to run, relative to %s", getcwd(script, sizeof script));
    }
    int n = snprintf(script, sizeof script, "%s%s", handler[0] == '/' ? "" : "./", handler);
    if (n < 0 || (size_t)n >= sizeof script) {
        die(1, "handler '%s': path too long", handler);
    }
    struct stat sb;
    if (stat(script, &sb) < 0) {
        die(1, "cannot load handler '%s': %s", handler, strerror(errno));
    }
    if (!S_ISREG(sb.st_mode)) {
        die(1, "cannot load handler '%s': not a regular file", handler);
    }
    script_executable = access(script, X_OK) == 0;
    if (access(script, R_OK) < 0 && !script_executable) {
        die(1, "cannot load handler '%s': %s", handler, strerror(errno));
    }

    signal(SIGPIPE, SIG_IGN);
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = SIG_DFL;
    sa.sa_flags = SA_NOCLDWAIT; /* connection processes are never waited for */
    sigaction(SIGCHLD, &sa, NULL);

    int lfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    int one = 1;
    struct sockaddr_in addr;
    memset(&addr, 0, sizeof addr);
    addr.sin_family = AF_INET;
    addr.sin_port = htons((uint16_t)port);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (lfd < 0 || setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) < 0
        || bind(lfd, (struct sockaddr *)&addr, sizeof addr) < 0 || listen(lfd, 128) < 0) {
        die(1, "cannot listen on 127.0.0.1:%ld: %s", port, strerror(errno));
    }
    pid_t self = getpid();
    for (;;) {
        int fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
        if (fd < 0) {
            if (errno != EINTR && errno != ECONNABORTED) {
                usleep(10000); /* out of descriptors or memory: let connections end */
            }
            continue;
        }
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        pid_t pid = fork();
        if (pid == 0) {
            close(lfd);
            memset(&sa, 0, sizeof sa);
            sa.sa_handler = SIG_DFL;
            sigaction(SIGCHLD, &sa, NULL); /* this process waits for its scripts */
            prctl(PR_SET_PDEATHSIG, SIGKILL);
            if (getppid() != self) {
                _exit(0);
            }
            serve_connection(fd);
            _exit(0);
        }
        if (pid < 0) {
            usleep(10000);
        }
        close(fd);
    }
}
