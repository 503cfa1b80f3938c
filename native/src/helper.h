/* Shared declarations of arrow-sandbox-helper. See ../README.md for the protocol. */
#ifndef ARROW_HELPER_H
#define ARROW_HELPER_H

#define _GNU_SOURCE
#include <limits.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define MAX_BINDS 64
#define MAX_ENV 256
#define ERR_LEN 512

/* Exit statuses of the helper itself (the program's own code passes through otherwise). */
enum {
    EXIT_PIDS_EXHAUSTED = 123,
    EXIT_TIMED_OUT = 124,
    EXIT_HELPER_ERROR = 125,
    EXIT_NOT_EXECUTABLE = 126,
    EXIT_NOT_FOUND = 127,
    EXIT_OUT_OF_MEMORY = 137,
};

struct bind {
    const char *source;       /* as given */
    char *real;               /* resolved in the host's view before any namespace is made */
    const char *target;       /* absolute path inside the sandbox */
    int writable;
    int is_dir;
    int fd;                   /* a clone of the source's mount tree (open_tree), to move in place */
};

struct spec {
    const char *id;
    long long memory_bytes;   /* -1: no limit */
    long cpu_millis;          /* -1: no quota */
    long pids;                /* -1: no limit */
    long nofile;
    long long tmpfs_bytes;
    long long timeout_ms;     /* -1: none */
    struct bind binds[MAX_BINDS];
    int nbinds;
    char *env[MAX_ENV + 1];
    int nenv;
    const char *workdir;
    int network_host;
    uid_t uid;
    gid_t gid;
    const char *hostname;
    char etc_dir[PATH_MAX];   /* host path of the prepared /etc (etc_cache.c) */
    int result_fd;
    const char *result_file;
    int ready_port;           /* 0: none; else told on the control connection once it accepts */
    int stats;                /* run mode: the outcome as `arrow run --stats` prints it, on stderr */
    int watch_parent;         /* from the command line: the parent's death ends the sandbox */
    char **argv;
};

/* A failure while building the sandbox, sent from the sandbox to the supervisor on a pipe. */
struct setup_error {
    char reason[32];          /* command-not-found, permission-denied, setup-failed */
    char detail[ERR_LEN];
};

struct cgroup {
    int v2;
    int n;                    /* v1: number of distinct hierarchies used */
    char dirs[3][PATH_MAX];   /* v1: one per hierarchy used; v2: dirs[0] */
    char memory[PATH_MAX];    /* directory holding the memory files */
    char cpu[PATH_MAX];       /* empty when not used */
    char pids[PATH_MAX];
};

struct cgroup_stats {
    uint64_t cpu_user_ns;     /* from the rusage of pid 1, which reaps everything in the sandbox */
    uint64_t cpu_system_ns;
    uint64_t peak_memory_bytes;
    uint64_t oom_kills;
    uint64_t pids_max_events;
};

/* How a sandbox ended and what it used: the result line's fields. */
struct result {
    const char *outcome;
    int exit_code;
    int signal;
    uint64_t wall_ns;
    uint64_t setup_ns;
    struct cgroup_stats stats;
    const char *reason;
    char detail[ERR_LEN];
    int prewarmed;
};

/* What pid 1 of a sandbox gets from its supervisor (-1: none). */
struct init_fds {
    int error;                /* write end: a struct setup_error when the sandbox cannot start */
    int status;               /* write end: the ready stamp, then the program's wait status */
    int assign;               /* prewarmed: the socket on which pid 1 waits for its assignment */
};

/* cgroup.c: fills everything in cgroup_stats but the CPU times */
int cgroup_create(struct cgroup *cg, const char *id, int want_cpu, int want_pids, char *err, size_t errlen);
int cgroup_limit(const struct cgroup *cg, const struct spec *s, char *err, size_t errlen);
int cgroup_rename(struct cgroup *cg, const char *id, char *err, size_t errlen);
int cgroup_reset_peak(const struct cgroup *cg, char *err, size_t errlen);
uint64_t cgroup_memory_usage(const struct cgroup *cg);
int cgroup_open(struct cgroup *cg, const char *id, char *err, size_t errlen);
int cgroup_join_self(const struct cgroup *cg, char *err, size_t errlen);
void cgroup_read_stats(const struct cgroup *cg, struct cgroup_stats *st);
int cgroup_watch_oom(const struct cgroup *cg);     /* fd readable on an OOM kill, or -1 */
int cgroup_watch_pids(const struct cgroup *cg);    /* fd readable when pids.max was hit, or -1 */
void cgroup_kill_all(const struct cgroup *cg);
void cgroup_destroy(const struct cgroup *cg);

/*
 * main.c: builds one sandbox from helper options and supervises it; returns the exit status. It
 * uses the prewarmed sandbox of this process when there is one and the options allow.
 */
/* A TCP port of a sandbox watched until it accepts connections (port_watch.c). */
struct port_watch {
    int port;                 /* 0: not watching (any more) */
    int netns;                /* the sandbox's network namespace; -1: the supervisor's own */
    int host_netns;           /* the supervisor's own, to return to */
    int sock;                 /* a connect in progress, or -1 */
    uint64_t started_ns;
    uint64_t next_ns;         /* the next try, when none is in progress */
};

int port_watch_start(struct port_watch *w, int port, pid_t init, int host_network, uint64_t now);
int port_watch_fd(const struct port_watch *w);                 /* poll it for POLLOUT; -1: none */
int64_t port_watch_wait_ns(const struct port_watch *w, uint64_t now); /* until the next try; -1: none due */
int port_watch_step(struct port_watch *w, short revents, uint64_t now); /* 1: accepted; -1: cannot watch */
void port_watch_stop(struct port_watch *w);

int supervise(int argc, char **argv, int control_fd);
int supervise_spec(struct spec *s, int argc, char **argv, int control_fd, uint64_t helper_started);
extern int supervise_netns_fd; /* set by the spawner: a pooled network namespace to use */
extern int supervise_terminated; /* a SIGTERM ended the sandbox */
extern const char *helper_prog;  /* the name that starts messages on stderr */
void parse_args(struct spec *s, int argc, char **argv, const char **cleanup_id);
void spec_defaults(struct spec *s);
void spec_generate_id(struct spec *s);
int valid_target(const char *t);    /* absolute, no "." or ".." component, not "/" */
int reserved_target(const char *t); /* inside /usr, /proc, ... */
int supervisor_signals(void); /* blocks the signals the supervisor handles; their signalfd */
/* A generic sandbox (cgroup `id`) whose pid 1 goes to the barrier; the fd that turns readable
 * when it is there (prewarm_arrived), or -1 with err. */
int prewarm(const char *id, pid_t *init, char *err, size_t errlen);
int prewarm_arrived(char *err, size_t errlen); /* 1: waits at the barrier; 0: died (err: why) */
void prewarm_discard(void);                    /* kills it, unless a sandbox was made of it */
int prewarm_held(void);                        /* 1: this process holds a prewarmed sandbox */

/* spawner.c: the long-lived spawner (--serve SOCKET); returns when its parent closes stdin */
int spawner_serve(const char *socket_path, int prewarm_target);

/* sandbox.c: runs as pid 1 of the new pid namespace; never returns */
void sandbox_init(const struct spec *s, const struct cgroup *cg, const struct init_fds *fds)
    __attribute__((noreturn));

/* run_cli.c: `arrow run` itself, options and all (argv: what follows `run`) */
int run_main(int argc, char **argv, int die_with_parent);
void run_stats_line(const struct result *r);
int run_parse_values(const char *kind); /* --parse KIND: the value grammar, for tests */

/* assign.c: a prewarmed sandbox's assignment, from its supervisor to its pid 1 */
int assignment_send(int fd, int argc, char **argv, const struct spec *s);
int assignment_receive(int fd, struct spec *s, int stdio[3]); /* 0, or -1 with errno (0: EOF) */

/* etc_cache.c: the filtered /etc for this state of the host's, made on first use */
int etc_cache_path(int network_host, char *out, size_t outlen, char *err, size_t errlen);
int etc_cache_watch(void);

/* seccomp.c */
int seccomp_install(void);

/* util.c */
int write_file(const char *path, const char *text);
void write_all(int fd, const char *text);
int read_full(int fd, void *buf, size_t len);
void close_fds_except(const int *keep, int n);
int read_file(const char *path, char *buf, size_t len);
int mkdirs(const char *path, mode_t mode);
void send_error(int fd, const char *reason, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
void trace(const char *phase);

#endif
