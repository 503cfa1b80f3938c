/*
 * arrow-sandbox-helper: builds one sandbox and supervises it until it ends (see ../README.md).
 *
 * The supervisor stays in the host's namespaces. It creates the cgroup, clones pid 1 of the
 * sandbox into new namespaces, then waits on one poll loop for: the sandbox's setup errors, the
 * program's wait status, signals to forward, OOM and pids-limit events, its own parent's death
 * and the wall-time limit. Afterwards it reads the cgroup's accounting, removes the cgroup and
 * writes the result line.
 *
 * A supervisor of the spawner's pool does the first steps before any sandbox is asked for
 * (prewarm: a generic cgroup, pid 1 with the root built from the defaults, waiting at a barrier).
 * Given a sandbox to run, it renames the cgroup, sets the limits and hands pid 1 the spec
 * (assign.c) where a cold supervisor would clone; the rest is the same code.
 */
#include "helper.h"

#include <ctype.h>
#include <stdarg.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* how messages on stderr start: the run mode speaks as `arrow` */
const char *helper_prog = "arrow-sandbox-helper";

/* set when a SIGTERM ended the sandbox: the run mode then ends by it too */
int supervise_terminated;

/* a network namespace lent by the spawner for a sandbox with private networking, or -1 */
int supervise_netns_fd = -1;

/* where results go before the options are read: the spawner connection, if any */
static int control_result_fd = -1;

/* how often a pids limit is checked where the kernel does not notify (cgroup v1) */
#define PIDS_POLL_MS 50

static void usage_error(const struct spec *s, const char *fmt, ...) __attribute__((noreturn, format(printf, 2, 3)));

static uint64_t now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t) ts.tv_sec * 1000000000u + (uint64_t) ts.tv_nsec;
}

static void close_fd(int *fd) {
    if (*fd >= 0) close(*fd);
    *fd = -1;
}

/* JSON string body: the detail may hold user-supplied paths. */
static void json_escape(char *out, size_t outlen, const char *in) {
    size_t o = 0;
    for (; *in && o + 7 < outlen; in++) {
        unsigned char c = (unsigned char) *in;
        if (c == '"' || c == '\\') {
            out[o++] = '\\';
            out[o++] = (char) c;
        } else if (c < 0x20) {
            o += (size_t) snprintf(out + o, outlen - o, "\\u%04x", c);
        } else {
            out[o++] = (char) c;
        }
    }
    out[o] = '\0';
}

static void write_result(const struct spec *s, const struct result *r) {
    if (s->stats) run_stats_line(r);
    if (s->result_fd < 0 && !s->result_file) return;
    char detail[ERR_LEN * 6 + 1], line[ERR_LEN * 6 + 512];
    json_escape(detail, sizeof detail, r->detail);
    int n = snprintf(line, sizeof line,
                     "{\"outcome\":\"%s\",\"exitCode\":%d,\"signal\":%d,\"wallNanos\":%" PRIu64
                     ",\"setupNanos\":%" PRIu64 ",\"cpuUserNanos\":%" PRIu64 ",\"cpuSystemNanos\":%" PRIu64 ",\"peakMemoryBytes\":%" PRIu64
                     ",\"reason\":\"%s\",\"detail\":\"%s\",\"prewarmed\":%s}\n",
                     r->outcome, r->exit_code, r->signal, r->wall_ns, r->setup_ns, r->stats.cpu_user_ns,
                     r->stats.cpu_system_ns, r->stats.peak_memory_bytes, r->reason ? r->reason : "", detail,
                     r->prewarmed ? "true" : "false");
    int fd = s->result_fd;
    if (s->result_file) fd = open(s->result_file, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0) {
        fprintf(stderr, "%s: cannot write result: %s\n", helper_prog, strerror(errno));
        return;
    }
    ssize_t ignored = write(fd, line, (size_t) n);
    (void) ignored;
    if (s->result_file) close(fd);
}

static void usage_error(const struct spec *s, const char *fmt, ...) {
    struct result r = {.outcome = "failed-to-start", .exit_code = EXIT_HELPER_ERROR, .reason = "bad-argument"};
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(r.detail, sizeof r.detail, fmt, ap);
    va_end(ap);
    fprintf(stderr, "%s: %s\n", helper_prog, r.detail);
    if (s) write_result(s, &r);
    prewarm_discard();
    exit(EXIT_HELPER_ERROR);
}

static long long parse_number(const struct spec *s, const char *opt, const char *v, long long min, long long max) {
    char *end;
    errno = 0;
    long long n = strtoll(v, &end, 10);
    if (errno || end == v || *end || n < min || n > max)
        usage_error(s, "%s: expected a whole number from %lld to %lld, got '%s'", opt, min, max, v);
    return n;
}

static int valid_id(const char *id) {
    size_t n = strlen(id);
    if (n == 0 || n > 64) return 0;
    for (; *id; id++)
        if (!isalnum((unsigned char) *id) && *id != '-' && *id != '_') return 0;
    return 1;
}

/* Targets are plain absolute paths: no "..", no "." component, not the root itself. */
int valid_target(const char *t) {
    if (t[0] != '/' || t[1] == '\0' || strlen(t) >= PATH_MAX - 16) return 0;
    for (const char *p = t; *p;) {
        while (*p == '/') p++;
        const char *e = strchrnul(p, '/');
        size_t len = (size_t) (e - p);
        if ((len == 1 && p[0] == '.') || (len == 2 && p[0] == '.' && p[1] == '.')) return 0;
        p = e;
    }
    return 1;
}

/* Places that the sandbox owns or shares read-only from the host. */
int reserved_target(const char *t) {
    static const char *reserved[] = {"/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32", "/proc", "/dev"};
    for (size_t i = 0; i < sizeof reserved / sizeof reserved[0]; i++) {
        size_t n = strlen(reserved[i]);
        if (strncmp(t, reserved[i], n) == 0 && (t[n] == '\0' || t[n] == '/')) return 1;
    }
    return 0;
}

static const char *need(const struct spec *s, int argc, char **argv, int *i) {
    if (*i + 1 >= argc) usage_error(s, "%s needs a value", argv[*i]);
    return argv[++*i];
}

void spec_defaults(struct spec *s) {
    memset(s, 0, sizeof *s);
    s->memory_bytes = -1;
    s->cpu_millis = -1;
    s->pids = -1;
    s->nofile = 1024;
    s->tmpfs_bytes = 64LL << 20;
    s->timeout_ms = -1;
    s->workdir = "/";
    s->uid = 65534;
    s->gid = 65534;
    s->hostname = "arrow";
    s->result_fd = -1;
    s->watch_parent = 1;
}

void spec_generate_id(struct spec *s) {
    static char generated_id[64];
    snprintf(generated_id, sizeof generated_id, "h%d-%" PRIx64, getpid(), now_ns());
    s->id = generated_id;
}

void parse_args(struct spec *s, int argc, char **argv, const char **cleanup_id) {
    spec_defaults(s);
    s->result_fd = control_result_fd;
    int have_path = 0, have_home = 0;
    int i = 1;
    for (; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "--") == 0) {
            i++;
            break;
        } else if (strcmp(a, "--id") == 0) {
            s->id = need(s, argc, argv, &i);
            if (!valid_id(s->id)) usage_error(s, "--id: use 1 to 64 letters, digits, '-' or '_'");
        } else if (strcmp(a, "--memory") == 0) {
            s->memory_bytes = parse_number(s, a, need(s, argc, argv, &i), 1 << 20, 1LL << 50);
        } else if (strcmp(a, "--cpu-millis") == 0) {
            s->cpu_millis = (long) parse_number(s, a, need(s, argc, argv, &i), 10, 1024 * 1000);
        } else if (strcmp(a, "--pids") == 0) {
            s->pids = (long) parse_number(s, a, need(s, argc, argv, &i), 1, 4194304);
        } else if (strcmp(a, "--nofile") == 0) {
            s->nofile = (long) parse_number(s, a, need(s, argc, argv, &i), 8, 1048576);
        } else if (strcmp(a, "--tmpfs-size") == 0) {
            s->tmpfs_bytes = parse_number(s, a, need(s, argc, argv, &i), 4096, 1LL << 40);
        } else if (strcmp(a, "--timeout-ms") == 0) {
            s->timeout_ms = parse_number(s, a, need(s, argc, argv, &i), 1, 1LL << 40);
        } else if (strcmp(a, "--ro-bind") == 0 || strcmp(a, "--bind") == 0) {
            if (s->nbinds == MAX_BINDS) usage_error(s, "at most %d mounts", MAX_BINDS);
            struct bind *b = &s->binds[s->nbinds++];
            b->source = need(s, argc, argv, &i);
            b->target = need(s, argc, argv, &i);
            b->writable = strcmp(a, "--bind") == 0;
            b->fd = -1;
        } else if (strcmp(a, "--env") == 0) {
            const char *e = need(s, argc, argv, &i);
            const char *eq = strchr(e, '=');
            if (!eq || eq == e) usage_error(s, "--env: expected NAME=VALUE, got '%s'", e);
            if (s->nenv == MAX_ENV) usage_error(s, "at most %d environment variables", MAX_ENV);
            have_path |= strncmp(e, "PATH=", 5) == 0;
            have_home |= strncmp(e, "HOME=", 5) == 0;
            s->env[s->nenv++] = (char *) e;
        } else if (strcmp(a, "--workdir") == 0) {
            s->workdir = need(s, argc, argv, &i);
            if (s->workdir[0] != '/') usage_error(s, "--workdir must be an absolute path, got '%s'", s->workdir);
        } else if (strcmp(a, "--network") == 0) {
            const char *n = need(s, argc, argv, &i);
            if (strcmp(n, "none") == 0) s->network_host = 0;
            else if (strcmp(n, "host") == 0) s->network_host = 1;
            else usage_error(s, "--network: expected none or host, got '%s'", n);
        } else if (strcmp(a, "--uid") == 0) {
            s->uid = (uid_t) parse_number(s, a, need(s, argc, argv, &i), 0, 4294967294LL);
        } else if (strcmp(a, "--gid") == 0) {
            s->gid = (gid_t) parse_number(s, a, need(s, argc, argv, &i), 0, 4294967294LL);
        } else if (strcmp(a, "--hostname") == 0) {
            s->hostname = need(s, argc, argv, &i);
            size_t n = strlen(s->hostname);
            if (n == 0 || n > 63 || strpbrk(s->hostname, "/ \t\n")) usage_error(s, "--hostname: not a host name");
        } else if (strcmp(a, "--result-fd") == 0) {
            s->result_fd = (int) parse_number(s, a, need(s, argc, argv, &i), 3, 65535);
        } else if (strcmp(a, "--ready-port") == 0) {
            s->ready_port = (int) parse_number(s, a, need(s, argc, argv, &i), 1, 65535);
        } else if (strcmp(a, "--result-file") == 0) {
            s->result_file = need(s, argc, argv, &i);
        } else if (strcmp(a, "--cleanup") == 0) {
            *cleanup_id = need(s, argc, argv, &i);
            if (!valid_id(*cleanup_id)) usage_error(s, "--cleanup: not a sandbox id");
            return;
        } else {
            usage_error(s, "unknown option '%s'", a);
        }
    }
    if (i >= argc) usage_error(s, "no command given (usage: %s [OPTIONS] -- COMMAND [ARGS...])", helper_prog);
    s->argv = argv + i;
    if (!have_path) s->env[s->nenv++] = "PATH=/usr/local/bin:/usr/bin:/bin:/usr/local/sbin:/usr/sbin:/sbin";
    if (!have_home) s->env[s->nenv++] = "HOME=/tmp";
    s->env[s->nenv] = NULL;
    if (!s->id) spec_generate_id(s);
}

/*
 * Mount sources are resolved in the host's view, before any namespace exists, and cloned as
 * detached mount trees that pid 1 moves into its root: it never needs the host's root for them.
 */
static int resolve_binds(struct spec *s, struct result *r) {
    for (int i = 0; i < s->nbinds; i++) {
        struct bind *b = &s->binds[i];
        struct stat st;
        if (!valid_target(b->target)) {
            r->reason = "bad-argument";
            snprintf(r->detail, sizeof r->detail, "mount target '%s' must be an absolute path without '.' or '..'", b->target);
            return -1;
        }
        if (reserved_target(b->target)) {
            r->reason = "bad-argument";
            snprintf(r->detail, sizeof r->detail, "mount target '%s' is inside a directory the sandbox reserves", b->target);
            return -1;
        }
        if (!(b->real = realpath(b->source, NULL)) || stat(b->real, &st) < 0) {
            r->reason = "bad-mount-source";
            snprintf(r->detail, sizeof r->detail, "mount source '%s': %s", b->source, strerror(errno));
            return -1;
        }
        if (!S_ISDIR(st.st_mode) && !S_ISREG(st.st_mode)) {
            r->reason = "bad-mount-source";
            snprintf(r->detail, sizeof r->detail, "mount source '%s' is neither a file nor a directory", b->source);
            return -1;
        }
        b->is_dir = S_ISDIR(st.st_mode);
        b->fd = (int) syscall(SYS_open_tree, AT_FDCWD, b->real, 1 /* OPEN_TREE_CLONE */ | O_CLOEXEC | AT_RECURSIVE);
        if (b->fd < 0) {
            r->reason = "setup-failed";
            snprintf(r->detail, sizeof r->detail, "mount %s: %s", b->real, strerror(errno));
            return -1;
        }
    }
    return 0;
}

/* Pid 1 has its own (inherited or sent): copies here would only keep the clones alive. */
static void close_binds(struct spec *s) {
    for (int i = 0; i < s->nbinds; i++) close_fd(&s->binds[i].fd);
}

static int cleanup(const char *id) {
    struct cgroup cg;
    char err[ERR_LEN];
    if (cgroup_open(&cg, id, err, sizeof err) < 0) {
        fprintf(stderr, "%s: %s\n", helper_prog, err);
        return EXIT_HELPER_ERROR;
    }
    cgroup_kill_all(&cg);
    cgroup_destroy(&cg);
    return 0;
}

static int exit_status_of(const struct result *r) {
    if (strcmp(r->outcome, "exited") == 0) return r->exit_code;
    if (strcmp(r->outcome, "signaled") == 0) return 128 + r->signal;
    if (strcmp(r->outcome, "timed-out") == 0) return EXIT_TIMED_OUT;
    if (strcmp(r->outcome, "out-of-memory") == 0) return EXIT_OUT_OF_MEMORY;
    if (strcmp(r->outcome, "pids-exhausted") == 0) return EXIT_PIDS_EXHAUSTED;
    return r->exit_code;
}

static void fail_to_start(const struct spec *s, struct result *r) {
    r->outcome = "failed-to-start";
    r->exit_code = EXIT_HELPER_ERROR;
    fprintf(stderr, "%s: %s\n", helper_prog, r->detail);
    write_result(s, r);
    prewarm_discard();
    exit(EXIT_HELPER_ERROR);
}


static void setup_failed(const struct spec *s, struct result *r, const char *detail) {
    r->reason = "setup-failed";
    snprintf(r->detail, sizeof r->detail, "%s", detail);
    fail_to_start(s, r);
}

int main(int argc, char **argv) {
    if (argc >= 2 && strcmp(argv[1], "run") == 0) return run_main(argc - 2, argv + 2, 0);
    if (argc >= 3 && strcmp(argv[1], "--die-with-parent") == 0 && strcmp(argv[2], "run") == 0)
        return run_main(argc - 3, argv + 3, 1);
    if (argc == 3 && strcmp(argv[1], "--parse") == 0) return run_parse_values(argv[2]);
    if (argc >= 3 && strcmp(argv[1], "--serve") == 0) {
        int target = 0;
        if (argc == 5 && strcmp(argv[3], "--prewarm") == 0)
            target = (int) parse_number(NULL, argv[3], argv[4], 0, 64);
        else if (argc != 3)
            usage_error(NULL, "usage: %s --serve SOCKET [--prewarm N]", helper_prog);
        return spawner_serve(argv[2], target);
    }
    return supervise(argc, argv, -1);
}

/* One sandbox as its supervisor sees it. */
struct box {
    struct cgroup cg;
    pid_t init;               /* pid 1; 0 before the clone */
    int err_fd;               /* read ends of pid 1's error and status pipes */
    int status_fd;
    int assign_fd;            /* prewarmed: pid 1's barrier; else -1 */
    int etc_watch;            /* prewarmed: quiet while its /etc is still the current one (or -1) */
    int oom_fd;               /* prewarmed: the cgroup's OOM notification, registered ahead (or -1) */
    int mnt_ns;               /* pid 1's mount namespace, held so that its teardown (unmounting
                                 every mount, an RCU grace period) comes after the result, not
                                 between the program's end and pid 1's */
    char etc_dir[PATH_MAX];   /* prewarmed: the /etc it has */
};

/* This process's prewarmed sandbox while no sandbox has been made of it (init 0: none). */
static struct box warm;

static sigset_t previous_mask;

/* Signals arrive through the poll loop; the sandbox unblocks them for itself. */
int supervisor_signals(void) {
    static int sfd = -1;
    if (sfd >= 0) return sfd;
    sigset_t handled;
    sigemptyset(&handled);
    static const int sigs[] = {SIGCHLD, SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2, SIGWINCH, SIGPIPE};
    for (size_t i = 0; i < sizeof sigs / sizeof sigs[0]; i++) sigaddset(&handled, sigs[i]);
    sigprocmask(SIG_BLOCK, &handled, &previous_mask);
    sfd = signalfd(-1, &handled, SFD_CLOEXEC | SFD_NONBLOCK);
    return sfd;
}

/* Clones pid 1 into new namespaces (the cgroup exists); a prewarmed one stops at the barrier. */
static int box_clone(struct box *b, const struct spec *s, int prewarmed, char *err, size_t errlen) {
    int errp[2], statusp[2], assignp[2] = {-1, -1};
    if (pipe2(errp, O_CLOEXEC) < 0 || pipe2(statusp, O_CLOEXEC) < 0 ||
        (prewarmed && socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, assignp) < 0)) {
        snprintf(err, errlen, "pipe: %s", strerror(errno));
        return -1;
    }
    /*
     * A lent namespace is entered for the clone, so that pid 1 is in it from its first instant (the
     * client may join it as soon as it learns the pid); the supervisor goes back to the host's,
     * where its next clone, if any, may need it. Without one, the sandbox gets a new namespace.
     */
    int new_netns = !s->network_host, host_netns = -1;
    if (new_netns && supervise_netns_fd >= 0) {
        host_netns = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
        if (host_netns >= 0 && setns(supervise_netns_fd, CLONE_NEWNET) == 0) new_netns = 0;
    }
    unsigned long flags = CLONE_NEWPID | CLONE_NEWNS | CLONE_NEWIPC | CLONE_NEWUTS | (new_netns ? CLONE_NEWNET : 0);
    pid_t init = (pid_t) syscall(SYS_clone, flags | SIGCHLD, NULL, NULL, NULL, 0);
    if (init == 0) {
        sigprocmask(SIG_SETMASK, &previous_mask, NULL);
        struct init_fds fds = {errp[1], statusp[1], assignp[1]};
        int keep[MAX_BINDS + 3] = {fds.error, fds.status, fds.assign};
        for (int i = 0; i < s->nbinds; i++) keep[3 + i] = s->binds[i].fd;
        close_fds_except(keep, 3 + s->nbinds); /* nothing of the supervisor's: connection, signalfd, watchers */
        sandbox_init(s, &b->cg, &fds);
    }
    int saved = errno;
    int returned = host_netns < 0 || setns(host_netns, CLONE_NEWNET) == 0;
    if (!returned) saved = errno;
    if (host_netns >= 0) close(host_netns);
    close(errp[1]);
    close(statusp[1]);
    close_fd(&assignp[1]);
    b->init = init > 0 ? init : 0;
    b->mnt_ns = -1;
    if (init > 0) {
        char path[64];
        snprintf(path, sizeof path, "/proc/%d/ns/mnt", (int) init);
        b->mnt_ns = open(path, O_RDONLY | O_CLOEXEC);
    }
    b->err_fd = errp[0];
    b->status_fd = statusp[0];
    b->assign_fd = assignp[0];
    if (init < 0 || !returned) {
        snprintf(err, errlen, "%s: %s", init < 0 ? "clone" : "back to the host network namespace", strerror(saved));
        return -1; /* the caller destroys the box, so the supervisor ends */
    }
    return 0;
}

/* Ends a sandbox that is not to run (any more) and removes its cgroup. */
static void box_destroy(struct box *b) {
    if (b->init > 0) {
        kill(b->init, SIGKILL);
        while (waitpid(b->init, NULL, 0) < 0 && errno == EINTR) {}
    }
    b->init = 0;
    cgroup_kill_all(&b->cg);
    cgroup_destroy(&b->cg);
    close_fd(&b->err_fd);
    close_fd(&b->status_fd);
    close_fd(&b->assign_fd);
    close_fd(&b->mnt_ns);
    close_fd(&b->etc_watch);
    close_fd(&b->oom_fd);
}

int prewarm(const char *id, pid_t *init, char *err, size_t errlen) {
    struct spec s;
    char *argv[] = {(char *) helper_prog, "--id", (char *) id, "--", "true", NULL};
    const char *cleanup_id = NULL;
    parse_args(&s, 5, argv, &cleanup_id); /* the defaults, private network */
    supervisor_signals();
    warm = (struct box){.err_fd = -1, .status_fd = -1, .assign_fd = -1, .mnt_ns = -1, .oom_fd = -1,
                        .etc_watch = etc_cache_watch()};
    if (etc_cache_path(0, s.etc_dir, sizeof s.etc_dir, err, errlen) < 0) return -1;
    /* every controller: a cgroup namespace made now must already hold all the sandbox will use */
    if (cgroup_create(&warm.cg, id, 1, 1, err, errlen) < 0) return -1;
    warm.oom_fd = cgroup_watch_oom(&warm.cg); /* holds through the rename */
    if (box_clone(&warm, &s, 1, err, errlen) < 0) {
        box_destroy(&warm);
        return -1;
    }
    snprintf(warm.etc_dir, sizeof warm.etc_dir, "%s", s.etc_dir);
    *init = warm.init;
    return warm.assign_fd;
}

int prewarm_arrived(char *err, size_t errlen) {
    char here;
    if (read(warm.assign_fd, &here, 1) == 1 && here == 'P') return 1;
    struct setup_error e;
    if (read_full(warm.err_fd, &e, sizeof e) == 0) snprintf(err, errlen, "%s", e.detail);
    else snprintf(err, errlen, "the prewarmed sandbox ended before it was ready");
    return 0;
}

int prewarm_held(void) {
    return warm.init > 0;
}

void prewarm_discard(void) {
    if (warm.init > 0) box_destroy(&warm);
}

/*
 * The prewarmed sandbox becomes this one if it still waits and nothing made before the request
 * differs: it has private networking and the /etc of its time. Its cgroup takes the sandbox's id
 * once the program is on its way (in supervise: a v1 rename costs 0.1-0.2 ms, off the start).
 */
static int take_prewarmed(struct box *b, const struct spec *s) {
    if (warm.init <= 0 || s->network_host || strcmp(s->etc_dir, warm.etc_dir) != 0) return 0;
    struct pollfd p = {warm.assign_fd, POLLIN, 0};
    if (poll(&p, 1, 0) != 0) return 0; /* EOF: pid 1 has died */
    char err[ERR_LEN];
    if (cgroup_reset_peak(&warm.cg, err, sizeof err) < 0) return 0;
    *b = warm;
    warm.init = 0;
    return 1;
}

/* What is checked and resolved in the host's view before any sandbox is made for the request. */
static void check_request(struct spec *s, struct result *r) {
    if (geteuid() != 0) setup_failed(s, r, "the process sandbox needs root (rootless mode is not supported yet)");
    if (resolve_binds(s, r) < 0) fail_to_start(s, r);
    struct pollfd etc = {warm.init > 0 && !s->network_host ? warm.etc_watch : -1, POLLIN, 0};
    if (etc.fd >= 0 && poll(&etc, 1, 0) == 0) {
        snprintf(s->etc_dir, sizeof s->etc_dir, "%s", warm.etc_dir); /* nothing changed since it was built */
        return;
    }
    char err[ERR_LEN];
    if (etc_cache_path(s->network_host, s->etc_dir, sizeof s->etc_dir, err, sizeof err) < 0) setup_failed(s, r, err);
}

/*
 * Builds and supervises one sandbox. control_fd is the spawner connection this sandbox was asked
 * for on (-1 when run from the command line): the result goes there, and a byte or EOF on it kills
 * the sandbox.
 */
int supervise(int argc, char **argv, int control_fd) {
    struct spec s;
    const char *cleanup_id = NULL;
    uint64_t helper_started = now_ns();
    trace("start");
    control_result_fd = control_fd;
    parse_args(&s, argc, argv, &cleanup_id);
    if (cleanup_id) {
        prewarm_discard();
        return cleanup(cleanup_id);
    }
    if (control_fd >= 0) s.result_fd = control_fd;
    return supervise_spec(&s, argc, argv, control_fd, helper_started);
}

/*
 * The rest of supervise, for a spec already read: from the helper's options, or from `arrow run`'s
 * (run_cli.c, which has no argv for a prewarmed sandbox and needs none: it never holds one).
 */
int supervise_spec(struct spec *spec, int argc, char **argv, int control_fd, uint64_t helper_started) {
    struct spec s = *spec;
    struct result r = {0};
    check_request(&s, &r);

    int sfd = supervisor_signals();
    /* Whoever asked for the sandbox: its death (or, through the spawner, its word) ends it. */
    int parent_fd = control_fd >= 0 ? control_fd
                    : s.watch_parent ? (int) syscall(SYS_pidfd_open, getppid(), 0)
                                     : -1;

    struct box b = {.err_fd = -1, .status_fd = -1, .assign_fd = -1, .mnt_ns = -1, .etc_watch = -1, .oom_fd = -1};
    char err[ERR_LEN];
    r.prewarmed = take_prewarmed(&b, &s);
    if (!r.prewarmed) {
        prewarm_discard();
        if (cgroup_create(&b.cg, s.id, s.cpu_millis > 0, s.pids > 0, err, sizeof err) < 0) setup_failed(&s, &r, err);
    }
    if (cgroup_limit(&b.cg, &s, err, sizeof err) < 0) {
        box_destroy(&b);
        setup_failed(&s, &r, err);
    }
    trace("cgroup created");
    int oom_fd = b.oom_fd >= 0 ? b.oom_fd : cgroup_watch_oom(&b.cg);
    int pids_fd = s.pids > 0 ? cgroup_watch_pids(&b.cg) : -1;
    int poll_pids = s.pids > 0 && pids_fd < 0;

    /* A prewarmed sandbox starts here, where a cold one is cloned: times count from this point. */
    uint64_t started = now_ns();
    if (r.prewarmed) {
        if (assignment_send(b.assign_fd, argc, argv, &s) < 0) {
            snprintf(err, sizeof err, "the prewarmed sandbox is gone: %s", strerror(errno));
            box_destroy(&b);
            setup_failed(&s, &r, err);
        }
        close_fd(&b.assign_fd);
    } else if (box_clone(&b, &s, 0, err, sizeof err) < 0) {
        box_destroy(&b);
        setup_failed(&s, &r, err);
    }
    close_binds(&s);
    pid_t init = b.init;
    trace(r.prewarmed ? "assigned" : "cloned");
    if (control_fd >= 0) { /* before the result line: the client may join the namespaces meanwhile */
        char line[32];
        snprintf(line, sizeof line, "init %d\n", (int) init);
        write_all(control_fd, line);
    }
    /* The name that --cleanup ID finds; nothing before the program's start depends on it. */
    if (r.prewarmed && cgroup_rename(&b.cg, s.id, err, sizeof err) < 0) {
        box_destroy(&b);
        setup_failed(&s, &r, err);
    }
    /* Only a client on a connection can be told; from the command line, there is nobody to tell. */
    struct port_watch watch;
    if (port_watch_start(&watch, control_fd >= 0 ? s.ready_port : 0, init, s.network_host, now_ns()) < 0)
        write_all(control_fd, "unwatched\n");
    struct rusage usage = {0};
    int timed_out = 0, oom = 0, pids_hit = 0, killed = 0, reaped = 0, init_status = 0;
    uint64_t deadline = s.timeout_ms > 0 ? started + (uint64_t) s.timeout_ms * 1000000u : 0;
    struct setup_error setup_err = {0};
    size_t setup_err_len = 0;
    int program_status = -1;
    int err_open = 1;

    while (!reaped) {
        struct pollfd p[6] = {
            {sfd, POLLIN, 0}, {err_open ? b.err_fd : -1, POLLIN, 0}, {oom_fd, POLLIN, 0},
            {pids_fd, POLLIN, 0}, {parent_fd, POLLIN, 0}, {port_watch_fd(&watch), POLLOUT, 0},
        };
        uint64_t now = now_ns();
        int64_t wait_ns = -1;
        if (deadline) wait_ns = now >= deadline ? 0 : (int64_t) (deadline - now);
        if (poll_pids && (wait_ns < 0 || wait_ns > PIDS_POLL_MS * 1000000LL)) wait_ns = PIDS_POLL_MS * 1000000LL;
        int64_t next_try = port_watch_wait_ns(&watch, now);
        if (next_try >= 0 && (wait_ns < 0 || next_try < wait_ns)) wait_ns = next_try;
        struct timespec wait = {(time_t) (wait_ns / 1000000000), (long) (wait_ns % 1000000000)};
        int n = ppoll(p, 6, wait_ns < 0 ? NULL : &wait, NULL);
        if (n < 0 && errno != EINTR) break;
        if (watch.port > 0) {
            int seen = port_watch_step(&watch, n > 0 ? p[5].revents : 0, now_ns());
            if (seen != 0) write_all(control_fd, seen > 0 ? "listening\n" : "unwatched\n");
        }
        int kill_now = 0;
        if (deadline && now_ns() >= deadline && !timed_out && !killed) {
            timed_out = 1;
            kill_now = 1;
        }
        if (p[1].revents) {
            ssize_t got = read(b.err_fd, (char *) &setup_err + setup_err_len, sizeof setup_err - setup_err_len);
            if (got > 0) setup_err_len += (size_t) got;
            else err_open = 0;
        }
        if (p[2].revents & POLLIN) {
            uint64_t ignored;
            if (read(oom_fd, &ignored, sizeof ignored) >= 0 || b.cg.v2) {
                struct cgroup_stats st;
                cgroup_read_stats(&b.cg, &st);
                if (st.oom_kills > 0 && !oom) oom = kill_now = 1;
            }
            if (b.cg.v2) { char buf[512]; while (read(oom_fd, buf, sizeof buf) > 0) {} }
        }
        if ((p[3].revents & POLLIN) || poll_pids) {
            char buf[512];
            while (pids_fd >= 0 && read(pids_fd, buf, sizeof buf) > 0) {}
            struct cgroup_stats st;
            cgroup_read_stats(&b.cg, &st);
            if (st.pids_max_events > 0 && !pids_hit) pids_hit = kill_now = 1;
        }
        if (p[4].revents) { /* whoever started us is gone or asks for the end */
            killed = kill_now = 1;
            if (parent_fd != control_fd) close(parent_fd); /* the control connection still takes the result */
            parent_fd = -1;
        }
        if (p[0].revents & POLLIN) {
            struct signalfd_siginfo si;
            while (read(sfd, &si, sizeof si) == sizeof si) {
                int sig = (int) si.ssi_signo;
                if (sig == SIGCHLD) {
                    int st;
                    if (wait4(init, &st, WNOHANG, &usage) == init) {
                        reaped = 1;
                        init_status = st;
                    }
                } else if (sig == SIGTERM) {
                    killed = kill_now = 1;
                    supervise_terminated = 1;
                } else if (sig != SIGPIPE) {
                    kill(init, sig);
                }
            }
        }
        if (kill_now) kill(init, SIGKILL); /* pid 1 dying takes the whole namespace with it */
    }
    port_watch_stop(&watch);
    trace("reaped");
    r.wall_ns = now_ns() - started;
    /* both pipes hold whatever was written before pid 1 died */
    if (err_open) {
        ssize_t got;
        while (setup_err_len < sizeof setup_err &&
               (got = read(b.err_fd, (char *) &setup_err + setup_err_len, sizeof setup_err - setup_err_len)) > 0)
            setup_err_len += (size_t) got;
    }
    uint64_t ready_ns;
    if (read(b.status_fd, &ready_ns, sizeof ready_ns) == sizeof ready_ns) {
        r.setup_ns = ready_ns > helper_started ? ready_ns - helper_started : 0;
        int st;
        if (read(b.status_fd, &st, sizeof st) == sizeof st) program_status = st;
    }

    cgroup_read_stats(&b.cg, &r.stats);
    r.stats.cpu_user_ns = (uint64_t) usage.ru_utime.tv_sec * 1000000000u + (uint64_t) usage.ru_utime.tv_usec * 1000u;
    r.stats.cpu_system_ns = (uint64_t) usage.ru_stime.tv_sec * 1000000000u + (uint64_t) usage.ru_stime.tv_usec * 1000u;
    if (r.stats.oom_kills > 0) oom = 1;
    if (s.pids > 0 && r.stats.pids_max_events > 0 && program_status != 0) pids_hit = 1;
    /* pid 1's end took every process of its namespace along; should any be left (moved in from
     * outside?), the removal finds the cgroup busy and kills them */
    cgroup_destroy(&b.cg);

    if (setup_err_len == sizeof setup_err) {
        r.outcome = "failed-to-start";
        r.reason = setup_err.reason;
        snprintf(r.detail, sizeof r.detail, "%s", setup_err.detail);
        r.exit_code = strcmp(setup_err.reason, "command-not-found") == 0   ? EXIT_NOT_FOUND
                      : strcmp(setup_err.reason, "permission-denied") == 0 ? EXIT_NOT_EXECUTABLE
                                                                           : EXIT_HELPER_ERROR;
        fprintf(stderr, "%s: %s\n", helper_prog, r.detail);
    } else if (timed_out) {
        r.outcome = "timed-out";
    } else if (oom) {
        r.outcome = "out-of-memory";
    } else if (pids_hit) {
        r.outcome = "pids-exhausted";
    } else if (program_status >= 0 && WIFEXITED(program_status)) {
        r.outcome = "exited";
        r.exit_code = WEXITSTATUS(program_status);
    } else if (program_status >= 0 && WIFSIGNALED(program_status)) {
        r.outcome = "signaled";
        r.signal = WTERMSIG(program_status);
    } else if (killed || (WIFSIGNALED(init_status) && WTERMSIG(init_status) == SIGKILL)) {
        r.outcome = "signaled";
        r.signal = SIGKILL;
    } else {
        r.outcome = "failed-to-start";
        r.reason = "setup-failed";
        r.exit_code = EXIT_HELPER_ERROR;
        snprintf(r.detail, sizeof r.detail, "the sandbox ended without reporting (status %d)", init_status);
    }
    trace("cleaned up");
    write_result(&s, &r);
    close_fd(&b.mnt_ns);
    return exit_status_of(&r);
}
