/*
 * cgroups for one sandbox, v1 (separate hierarchies per controller, as on hybrid hosts) and v2
 * (the unified hierarchy). Sandboxes live under <hierarchy>/$ARROW_CGROUP_ROOT/<id>
 * (default root "arrow"), so one node's sandboxes are easy to find and sweep.
 */
#include "helper.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <time.h>
#include <unistd.h>

#define CGROUP_FS "/sys/fs/cgroup"
#define CGROUP2_SUPER_MAGIC 0x63677270

static const char *root_name(void) {
    const char *r = getenv("ARROW_CGROUP_ROOT");
    return (r && *r && !strstr(r, "..")) ? r : "arrow";
}

/* Looked up once per process (and inherited by forks): the mounts do not move. */
static int is_v2(void) {
    static int v2 = -1;
    struct statfs fs;
    if (v2 < 0) v2 = statfs(CGROUP_FS, &fs) == 0 && fs.f_type == CGROUP2_SUPER_MAGIC;
    return v2;
}

/* v1: cpu may share a hierarchy with cpuacct (cpu,cpuacct), reached through a symlink */
static const char *v1_hierarchy(int i, const char *controller) {
    static char resolved[3][PATH_MAX];
    char link[PATH_MAX];
    snprintf(link, sizeof link, CGROUP_FS "/%s", controller);
    if (!resolved[i][0] && !realpath(link, resolved[i])) return NULL;
    return resolved[i];
}

static int path_join(char *out, const char *a, const char *b, const char *c) {
    int n = snprintf(out, PATH_MAX, "%s/%s/%s", a, b, c);
    return (n < 0 || n >= PATH_MAX) ? -1 : 0;
}

/*
 * Fills the directories of sandbox `id` without touching the filesystem. Only the hierarchies a
 * limit needs are used (memory always: it gives peak memory and OOM events), because every v1
 * hierarchy joined is one more mkdir, migration and rmdir per sandbox.
 */
static int cgroup_paths(struct cgroup *cg, const char *id, int want_cpu, int want_pids, char *err, size_t errlen) {
    memset(cg, 0, sizeof *cg);
    cg->v2 = is_v2();
    if (cg->v2) {
        if (path_join(cg->dirs[0], CGROUP_FS, root_name(), id) < 0) goto toolong;
        cg->n = 1;
        strcpy(cg->memory, cg->dirs[0]);
        strcpy(cg->cpu, cg->dirs[0]);
        strcpy(cg->pids, cg->dirs[0]);
        return 0;
    }
    const char *controllers[] = {"memory", want_cpu ? "cpu" : NULL, want_pids ? "pids" : NULL};
    char *slots[] = {cg->memory, cg->cpu, cg->pids};
    for (int i = 0; i < 3; i++) {
        if (!controllers[i]) continue;
        const char *hierarchy = v1_hierarchy(i, controllers[i]);
        if (!hierarchy) {
            snprintf(err, errlen, "the cgroup v1 %s controller is not mounted at " CGROUP_FS "/%s", controllers[i],
                     controllers[i]);
            return -1;
        }
        if (path_join(slots[i], hierarchy, root_name(), id) < 0) goto toolong;
        strcpy(cg->dirs[cg->n++], slots[i]);
    }
    return 0;
toolong:
    snprintf(err, errlen, "cgroup path too long");
    return -1;
}

static uint64_t read_u64(const char *dir, const char *file);

static int set(const char *dir, const char *file, const char *value, char *err, size_t errlen) {
    char path[PATH_MAX];
    snprintf(path, sizeof path, "%s/%s", dir, file);
    if (write_file(path, value) < 0) {
        snprintf(err, errlen, "cannot write %s to %s: %s", value, path, strerror(errno));
        return -1;
    }
    return 0;
}

/* v2 only hands a controller to a child when every ancestor enables it for its subtree. */
static int v2_enable_controllers(char *err, size_t errlen) {
    char root[PATH_MAX], have[256];
    snprintf(root, sizeof root, CGROUP_FS "/%s/cgroup.subtree_control", root_name());
    if (read_file(root, have, sizeof have) > 0 && strstr(have, "memory") && strstr(have, "pids") &&
        strstr(have, "cpu"))
        return 0;
    if (set(CGROUP_FS, "cgroup.subtree_control", "+memory +cpu +pids", err, errlen) < 0) return -1;
    snprintf(root, sizeof root, CGROUP_FS "/%s", root_name());
    return set(root, "cgroup.subtree_control", "+memory +cpu +pids", err, errlen);
}

int cgroup_create(struct cgroup *cg, const char *id, int want_cpu, int want_pids, char *err, size_t errlen) {
    if (cgroup_paths(cg, id, want_cpu, want_pids, err, errlen) < 0) return -1;
    for (int i = 0; i < cg->n; i++) {
        if (mkdirs(cg->dirs[i], 0755) < 0) {
            snprintf(err, errlen, "cannot create cgroup %s: %s", cg->dirs[i], strerror(errno));
            cgroup_destroy(cg);
            return -1;
        }
        if (cg->v2 && v2_enable_controllers(err, errlen) < 0) {
            cgroup_destroy(cg);
            return -1;
        }
    }
    /* the whole sandbox dies on OOM, not just the biggest process */
    if (cg->v2 && set(cg->memory, "memory.oom.group", "1", err, errlen) < 0) {
        cgroup_destroy(cg);
        return -1;
    }
    return 0;
}

int cgroup_limit(const struct cgroup *cg, const struct spec *s, char *err, size_t errlen) {
    char v[64];
    int rc = 0;
    if (cg->v2) {
        if (s->memory_bytes > 0) {
            snprintf(v, sizeof v, "%lld", s->memory_bytes);
            rc |= set(cg->memory, "memory.max", v, err, errlen);
            rc |= set(cg->memory, "memory.swap.max", "0", err, errlen) && errno != ENOENT;
        }
        if (s->cpu_millis > 0) {
            snprintf(v, sizeof v, "%ld 100000", s->cpu_millis * 100);
            rc |= set(cg->cpu, "cpu.max", v, err, errlen);
        }
        if (s->pids > 0) {
            snprintf(v, sizeof v, "%ld", s->pids + 1); /* +1: the sandbox's own init */
            rc |= set(cg->pids, "pids.max", v, err, errlen);
        }
    } else {
        if (s->memory_bytes > 0) {
            snprintf(v, sizeof v, "%lld", s->memory_bytes);
            rc |= set(cg->memory, "memory.limit_in_bytes", v, err, errlen);
            char memsw[PATH_MAX];
            snprintf(memsw, sizeof memsw, "%s/memory.memsw.limit_in_bytes", cg->memory);
            if (access(memsw, F_OK) == 0) rc |= set(cg->memory, "memory.memsw.limit_in_bytes", v, err, errlen);
            set(cg->memory, "memory.swappiness", "0", err, errlen); /* refused on some kernels: harmless */
        }
        if (s->cpu_millis > 0) {
            rc |= set(cg->cpu, "cpu.cfs_period_us", "100000", err, errlen);
            snprintf(v, sizeof v, "%ld", s->cpu_millis * 100);
            rc |= set(cg->cpu, "cpu.cfs_quota_us", v, err, errlen);
        }
        if (s->pids > 0) {
            snprintf(v, sizeof v, "%ld", s->pids + 1);
            rc |= set(cg->pids, "pids.max", v, err, errlen);
        }
    }
    return rc ? -1 : 0;
}

/*
 * A prewarmed sandbox's cgroup takes the id of the sandbox it becomes, so that `--cleanup ID`
 * finds it. rename(2) of a cgroup directory works within its parent, with tasks inside.
 */
int cgroup_rename(struct cgroup *cg, const char *id, char *err, size_t errlen) {
    struct cgroup to;
    if (cgroup_paths(&to, id, cg->cpu[0] != '\0', cg->pids[0] != '\0', err, errlen) < 0) return -1;
    for (int i = 0; i < cg->n; i++) {
        if (rename(cg->dirs[i], to.dirs[i]) == 0) continue;
        snprintf(err, errlen, "cannot rename cgroup %s to %s: %s", cg->dirs[i], to.dirs[i], strerror(errno));
        while (--i >= 0) rename(to.dirs[i], cg->dirs[i]);
        return -1;
    }
    *cg = to;
    return 0;
}

/* v1: the peak so far was the sandbox's preparation, not its program (v2 counts from the start). */
int cgroup_reset_peak(const struct cgroup *cg, char *err, size_t errlen) {
    return cg->v2 ? 0 : set(cg->memory, "memory.max_usage_in_bytes", "0", err, errlen);
}

uint64_t cgroup_memory_usage(const struct cgroup *cg) {
    return read_u64(cg->memory, cg->v2 ? "memory.current" : "memory.usage_in_bytes");
}

int cgroup_open(struct cgroup *cg, const char *id, char *err, size_t errlen) {
    return cgroup_paths(cg, id, 1, 1, err, errlen);
}

/* "0" means the writing process itself: its pid inside the new pid namespace is meaningless here. */
int cgroup_join_self(const struct cgroup *cg, char *err, size_t errlen) {
    for (int i = 0; i < cg->n; i++)
        if (set(cg->dirs[i], "cgroup.procs", "0", err, errlen) < 0) return -1;
    return 0;
}

static uint64_t read_u64(const char *dir, const char *file) {
    char path[PATH_MAX], buf[64];
    snprintf(path, sizeof path, "%s/%s", dir, file);
    if (read_file(path, buf, sizeof buf) <= 0) return 0;
    return strtoull(buf, NULL, 10);
}

/* Value of `key` in a "key value" per line file such as memory.events or cpu.stat. */
static uint64_t read_keyed(const char *dir, const char *file, const char *key) {
    char path[PATH_MAX], buf[4096];
    snprintf(path, sizeof path, "%s/%s", dir, file);
    if (read_file(path, buf, sizeof buf) <= 0) return 0;
    size_t klen = strlen(key);
    for (char *line = buf; line && *line; line = strchr(line, '\n') ? strchr(line, '\n') + 1 : NULL)
        if (strncmp(line, key, klen) == 0 && line[klen] == ' ') return strtoull(line + klen + 1, NULL, 10);
    return 0;
}

void cgroup_read_stats(const struct cgroup *cg, struct cgroup_stats *st) {
    if (cg->v2) {
        st->peak_memory_bytes = read_u64(cg->memory, "memory.peak");
        st->oom_kills = read_keyed(cg->memory, "memory.events", "oom_kill");
        st->pids_max_events = read_keyed(cg->pids, "pids.events", "max");
        return;
    }
    st->peak_memory_bytes = read_u64(cg->memory, "memory.max_usage_in_bytes");
    st->oom_kills = read_keyed(cg->memory, "memory.oom_control", "oom_kill");
    if (cg->pids[0]) st->pids_max_events = read_keyed(cg->pids, "pids.events", "max");
}

static int inotify_on(const char *dir, const char *file) {
    char path[PATH_MAX];
    snprintf(path, sizeof path, "%s/%s", dir, file);
    int fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
    if (fd < 0) return -1;
    if (inotify_add_watch(fd, path, IN_MODIFY) < 0) {
        close(fd);
        return -1;
    }
    return fd;
}

int cgroup_watch_oom(const struct cgroup *cg) {
    if (cg->v2) return inotify_on(cg->memory, "memory.events");
    /* v1 has no file notification for OOM, only the eventfd registration of cgroup.event_control */
    char path[PATH_MAX];
    snprintf(path, sizeof path, "%s/memory.oom_control", cg->memory);
    int ofd = open(path, O_RDONLY | O_CLOEXEC);
    if (ofd < 0) return -1;
    int efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (efd < 0) {
        close(ofd);
        return -1;
    }
    char line[64];
    snprintf(line, sizeof line, "%d %d", efd, ofd);
    snprintf(path, sizeof path, "%s/cgroup.event_control", cg->memory);
    int rc = write_file(path, line);
    close(ofd); /* the registration holds its own reference */
    if (rc < 0) {
        close(efd);
        return -1;
    }
    return efd;
}

/* v1's pids.events changes without notifying anyone: the caller has to re-read it. */
int cgroup_watch_pids(const struct cgroup *cg) {
    return cg->v2 ? inotify_on(cg->pids, "pids.events") : -1;
}

static int kill_procs(const char *dir) {
    char path[PATH_MAX], buf[8192];
    snprintf(path, sizeof path, "%s/cgroup.procs", dir);
    if (read_file(path, buf, sizeof buf) <= 0) return 0;
    int n = 0;
    for (char *p = buf; *p;) {
        char *end;
        long pid = strtol(p, &end, 10);
        if (end == p) break;
        if (pid > 0 && kill((pid_t) pid, SIGKILL) == 0) n++;
        p = end;
        while (*p == '\n') p++;
    }
    return n;
}

void cgroup_kill_all(const struct cgroup *cg) {
    if (cg->v2) {
        char path[PATH_MAX];
        snprintf(path, sizeof path, "%s/cgroup.kill", cg->dirs[0]);
        if (write_file(path, "1") == 0) return;
    }
    for (int i = 0; i < cg->n; i++) kill_procs(cg->dirs[i]);
}

/* rmdir fails with EBUSY until the last task has left; a killed task may take a moment. */
void cgroup_destroy(const struct cgroup *cg) {
    for (int i = 0; i < cg->n; i++) {
        for (int attempt = 0; attempt < 200; attempt++) {
            if (rmdir(cg->dirs[i]) == 0 || errno == ENOENT) break;
            if (errno != EBUSY) break;
            if (attempt == 0 || attempt % 20 == 0) kill_procs(cg->dirs[i]);
            struct timespec ts = {0, 5 * 1000 * 1000};
            nanosleep(&ts, NULL);
        }
    }
}
