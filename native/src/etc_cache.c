/*
 * The sandbox's /etc: an allow-listed copy of the host's, made once per state of the host's /etc
 * under $ARROW_RUNTIME_DIR (default /run/arrow-sandbox) and then shared read-only by every
 * sandbox with one bind mount, instead of one mount per entry. The directory name is a hash of
 * the entries' inode metadata, so a changed host file yields a fresh copy on the next start.
 */
#include "helper.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <unistd.h>

static const char *etc_allowed[] = {
    "ld.so.cache", "ld.so.conf", "ld.so.conf.d", "nsswitch.conf", "host.conf", "gai.conf",
    "protocols", "services", "networks", "rpc", "ethertypes", "mime.types", "magic", "magic.mime",
    "localtime", "timezone", "os-release", "debian_version", "locale.alias", "inputrc", "shells",
    "bash.bashrc", "profile", "alternatives", "ca-certificates", "ca-certificates.conf",
    "ssl/certs", "ssl/openssl.cnf", "pki/tls/certs", "python3", "python3.11", "python3.12",
    "python3.13", "perl", "fonts", "xattr.conf", "mailcap", "terminfo",
};

/* per-sandbox files, written by the sandbox into its own /run/sandbox */
static const char *per_sandbox[] = {"passwd", "group", "hosts", "hostname"};

static uint64_t fnv(uint64_t h, const void *data, size_t len) {
    const unsigned char *p = data;
    for (size_t i = 0; i < len; i++) h = (h ^ p[i]) * 0x100000001b3ULL;
    return h;
}

static uint64_t hash_stat(uint64_t h, const char *name, const struct stat *st) {
    h = fnv(h, name, strlen(name) + 1);
    if (!st) return fnv(h, "-", 1);
    uint64_t fields[] = {st->st_mode, st->st_ino, st->st_dev, (uint64_t) st->st_size,
                         (uint64_t) st->st_mtim.tv_sec, (uint64_t) st->st_mtim.tv_nsec,
                         (uint64_t) st->st_ctim.tv_sec, (uint64_t) st->st_ctim.tv_nsec};
    return fnv(h, fields, sizeof fields);
}

static int copy_file(const char *src, const char *dst, mode_t mode) {
    int in = open(src, O_RDONLY | O_CLOEXEC);
    if (in < 0) return -1;
    int out = open(dst, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode & 0755);
    if (out < 0) {
        close(in);
        return -1;
    }
    char buf[65536];
    ssize_t n;
    int rc = 0;
    while ((n = read(in, buf, sizeof buf)) > 0)
        if (write(out, buf, (size_t) n) != n) {
            rc = -1;
            break;
        }
    if (n < 0) rc = -1;
    close(in);
    close(out);
    return rc;
}

/* Copies files, directories and symlinks; skips devices, sockets and fifos. No setuid bits. */
static int copy_tree(const char *src, const char *dst, int depth) {
    struct stat st;
    if (lstat(src, &st) < 0 || depth > 16) return -1;
    if (S_ISLNK(st.st_mode)) {
        char target[PATH_MAX];
        ssize_t n = readlink(src, target, sizeof target - 1);
        if (n < 0) return -1;
        target[n] = '\0';
        return symlink(target, dst);
    }
    if (S_ISREG(st.st_mode)) return copy_file(src, dst, st.st_mode);
    if (!S_ISDIR(st.st_mode)) return 0;
    if (mkdir(dst, st.st_mode & 0755) < 0) return -1;
    DIR *d = opendir(src);
    if (!d) return -1;
    struct dirent *e;
    int rc = 0;
    char s2[PATH_MAX], d2[PATH_MAX];
    while (rc == 0 && (e = readdir(d))) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0) continue;
        snprintf(s2, sizeof s2, "%s/%s", src, e->d_name);
        snprintf(d2, sizeof d2, "%s/%s", dst, e->d_name);
        rc = copy_tree(s2, d2, depth + 1);
    }
    closedir(d);
    return rc;
}

static void remove_tree(const char *path) {
    struct stat st;
    if (lstat(path, &st) < 0) return;
    if (S_ISDIR(st.st_mode)) {
        DIR *d = opendir(path);
        if (d) {
            struct dirent *e;
            char child[PATH_MAX];
            while ((e = readdir(d))) {
                if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0) continue;
                snprintf(child, sizeof child, "%s/%s", path, e->d_name);
                remove_tree(child);
            }
            closedir(d);
        }
        rmdir(path);
    } else {
        unlink(path);
    }
}

static int build(const char *tmp, int network_host) {
    char src[PATH_MAX], dst[PATH_MAX];
    if (mkdir(tmp, 0755) < 0) return -1;
    for (size_t i = 0; i < sizeof etc_allowed / sizeof etc_allowed[0]; i++) {
        snprintf(src, sizeof src, "/etc/%s", etc_allowed[i]);
        if (access(src, F_OK) < 0 && errno == ENOENT) {
            struct stat st;
            if (lstat(src, &st) < 0) continue; /* absent here; a dangling symlink is still copied */
        }
        snprintf(dst, sizeof dst, "%s/%s", tmp, etc_allowed[i]);
        char *slash = strrchr(dst, '/');
        *slash = '\0';
        if (mkdirs(dst, 0755) < 0) return -1;
        *slash = '/';
        if (copy_tree(src, dst, 0) < 0) return -1;
    }
    for (size_t i = 0; i < sizeof per_sandbox / sizeof per_sandbox[0]; i++) {
        snprintf(src, sizeof src, "/run/sandbox/%s", per_sandbox[i]);
        snprintf(dst, sizeof dst, "%s/%s", tmp, per_sandbox[i]);
        if (symlink(src, dst) < 0) return -1;
    }
    /* with the host's network, its resolver too (often a symlink into /run: copy what it points to) */
    struct stat st;
    if (network_host && stat("/etc/resolv.conf", &st) == 0 && S_ISREG(st.st_mode)) {
        snprintf(dst, sizeof dst, "%s/resolv.conf", tmp);
        if (copy_file("/etc/resolv.conf", dst, 0644) < 0) return -1;
    }
    return 0;
}

/*
 * A prewarmed sandbox's /etc was picked when it was built; the key (above) is 40 lstat calls,
 * dear on a start that is to cost little more than an exec. This inotify descriptor, made before
 * the key, turns readable on anything that may change the key: entries of /etc, of the allowed
 * directories and of the directories holding nested ones. Only while it stays quiet is the key
 * taken as unchanged; -1 when inotify cannot be had (the key is computed every time).
 */
int etc_cache_watch(void) {
    const uint32_t mask = IN_ATTRIB | IN_MODIFY | IN_CREATE | IN_DELETE | IN_MOVED_FROM | IN_MOVED_TO |
                          IN_DELETE_SELF | IN_MOVE_SELF;
    int fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
    if (fd < 0 || inotify_add_watch(fd, "/etc", mask) < 0) goto fail;
    char path[PATH_MAX];
    struct stat st;
    for (size_t i = 0; i < sizeof etc_allowed / sizeof etc_allowed[0]; i++) {
        snprintf(path, sizeof path, "/etc/%s", etc_allowed[i]);
        for (char *slash = strchr(path + 5, '/');; slash = strchr(slash + 1, '/')) {
            if (slash) *slash = '\0';
            /* absent: its creation shows on the parent's watch */
            if (lstat(path, &st) == 0 && S_ISDIR(st.st_mode) && inotify_add_watch(fd, path, mask) < 0) goto fail;
            if (!slash) break;
            *slash = '/';
        }
    }
    return fd;
fail:
    if (fd >= 0) close(fd);
    return -1;
}

int etc_cache_path(int network_host, char *out, size_t outlen, char *err, size_t errlen) {
    const char *root = getenv("ARROW_RUNTIME_DIR");
    if (!root || root[0] != '/') root = "/run/arrow-sandbox";
    uint64_t h = fnv(0xcbf29ce484222325ULL, network_host ? "host" : "none", 4);
    char path[PATH_MAX];
    struct stat st;
    for (size_t i = 0; i < sizeof etc_allowed / sizeof etc_allowed[0]; i++) {
        snprintf(path, sizeof path, "/etc/%s", etc_allowed[i]);
        h = hash_stat(h, etc_allowed[i], lstat(path, &st) == 0 ? &st : NULL);
    }
    if (network_host) h = hash_stat(h, "resolv.conf", stat("/etc/resolv.conf", &st) == 0 ? &st : NULL);
    snprintf(out, outlen, "%s/etc-%016llx", root, (unsigned long long) h);
    if (access(out, F_OK) == 0) return 0;

    char tmp[PATH_MAX];
    snprintf(tmp, sizeof tmp, "%s/.etc-%d-%016llx", root, getpid(), (unsigned long long) h);
    if (mkdirs(root, 0755) < 0 || build(tmp, network_host) < 0) {
        snprintf(err, errlen, "cannot prepare the sandbox's /etc in %s: %s", root, strerror(errno));
        remove_tree(tmp);
        return -1;
    }
    /* another helper may have made the same copy meanwhile: either one will do */
    if (rename(tmp, out) < 0) {
        remove_tree(tmp);
        if (access(out, F_OK) < 0) {
            snprintf(err, errlen, "cannot prepare the sandbox's /etc in %s: %s", out, strerror(errno));
            return -1;
        }
    }
    return 0;
}
