/*
 * `arrow run` without a JVM: the helper's run mode (../README.md, "Run mode").
 *
 *     arrow-sandbox-helper [--die-with-parent] run [OPTIONS] [--] COMMAND [ARG...]
 *
 * takes the options of `arrow run` as the user types them (README.md, "`arrow run`"), with their
 * defaults, messages and exit statuses: option syntax as picocli reads it (`--name VALUE` or
 * `--name=VALUE`, options end at the first word of COMMAND or at `--`), sizes, durations and CPU
 * amounts in the grammar of arrow-cli's Units (UnitsAgreementIT checks that both read a table of
 * inputs alike), and the helper's own limits on each value checked here, so that a bad option is
 * one line naming it and its value, a hint, and status 125, before anything is built. The sandbox
 * is then the helper's, from a spec filled in here instead of from the protocol's options; with
 * --stats its outcome goes to stderr as the JSON line of SandboxResult.toJson.
 */
#include "helper.h"

#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#ifndef ARROW_VERSION
#define ARROW_VERSION "(development build)"
#endif

#define WHY_LEN 8192
#define MOUNT_LABEL "HOST:SANDBOX[:rw|:ro]"

/* The helper's limits on each value (the protocol's ranges, README "Protocol"). */
#define MEMORY_MIN (1LL << 20)
#define MEMORY_MAX (1LL << 50)
#define TMPFS_MIN 4096LL
#define TMPFS_MAX (1LL << 40)
#define CPU_MILLIS_MIN 10
#define CPU_MILLIS_MAX (1024 * 1000)
#define TIMEOUT_MS_MAX (1LL << 40)
#define PIDS_MAX 4194304
#define NOFILE_MIN 8
#define NOFILE_MAX 1048576

static const char HELP[] =
    "Usage: arrow run [OPTIONS] [--] COMMAND [ARG...]\n"
    "Runs COMMAND in a fresh sandbox and exits with its status.\n"
    "The sandbox sees a read-only view of the host's system, a private /tmp, no\n"
    "network and no host files beyond --mount; the program runs as nobody (65534)\n"
    "unless --user says otherwise.\n"
    "      COMMAND...            The program and its arguments.\n"
    "      --memory=SIZE         Memory limit, swap off: bytes or k, m, g, t (e.g.\n"
    "                              128m).\n"
    "      --cpus=CPUS           CPU quota in cores (e.g. 0.5).\n"
    "      --pids=N              Limit on processes and threads.\n"
    "      --timeout=DURATION    Wall-time limit: ms, s, m or h; a plain number is\n"
    "                              seconds (e.g. 10s).\n"
    "      --tmpfs-size=SIZE     Size of /tmp and /dev/shm (default: 64m).\n"
    "      --mount=HOST:SANDBOX[:rw|:ro]\n"
    "                            Show a host path inside the sandbox, read-only\n"
    "                              unless :rw. Repeatable.\n"
    "      --env=NAME=VALUE      Set an environment variable; only PATH and\n"
    "                              HOME=/tmp are set otherwise. Repeatable.\n"
    "      --workdir=DIR         Working directory inside the sandbox (default: /).\n"
    "      --network=none|host   none: loopback only (default); host: the host's\n"
    "                              network.\n"
    "      --user=UID[:GID]      Run as this user and group (default: 65534:65534,\n"
    "                              nobody).\n"
    "      --nofile=N            Limit on open files (default: 1024).\n"
    "      --stats               Afterwards, print the outcome and resource use as\n"
    "                              JSON on stderr.\n"
    "      --isolation=process|vm\n"
    "                            process: namespaces and a cgroup (default); vm: a\n"
    "                              microVM on the host's kernel (seconds under TCG).\n"
    "  -h, --help                Show this help message and exit.\n"
    "  -V, --version             Print version information and exit.\n"
    "\n"
    "Exit status:\n"
    "  N      the program exited with N\n"
    "  128+N  the program was killed by signal N\n"
    "  124    timed out (--timeout)\n"
    "  137    out of memory (--memory)\n"
    "  123    too many processes (--pids)\n"
    "  127    COMMAND not found\n"
    "  126    COMMAND not executable\n"
    "  125    any other error: bad option, setup failure\n";

/* ---- values: the grammar of arrow-cli's Units, its messages word for word ---- */

/*
 * Java's Character.isWhitespace, which String.strip() trims: ASCII's tab to carriage return and
 * the information separators, and Unicode's space, line and paragraph separators except the
 * no-break spaces. Returns the length in bytes of such a character at p, or 0.
 */
static size_t space_at(const unsigned char *p, const unsigned char *end) {
    if (p >= end) return 0;
    if ((*p >= 0x09 && *p <= 0x0d) || (*p >= 0x1c && *p <= 0x20)) return 1;
    if (end - p < 3 || (p[0] & 0xf0) != 0xe0 || (p[1] & 0xc0) != 0x80 || (p[2] & 0xc0) != 0x80) return 0;
    unsigned cp = (unsigned) (p[0] & 0x0f) << 12 | (unsigned) (p[1] & 0x3f) << 6 | (unsigned) (p[2] & 0x3f);
    int space = cp == 0x1680 || (cp >= 0x2000 && cp <= 0x200a && cp != 0x2007) || cp == 0x2028 || cp == 0x2029 ||
                cp == 0x205f || cp == 0x3000;
    return space ? 3 : 0;
}

/* String.strip(): the value without leading and trailing whitespace, as [*begin, *end). */
static void strip(const char *text, const unsigned char **begin, const unsigned char **end) {
    const unsigned char *b = (const unsigned char *) text, *e = b + strlen(text);
    size_t n;
    while ((n = space_at(b, e)) > 0) b += n;
    while (e > b) {
        if (space_at(e - 1, e) == 1) e--;
        else if (e - b >= 3 && space_at(e - 3, e) == 3) e -= 3;
        else break;
    }
    *begin = b;
    *end = e;
}

static int is_digit(unsigned char c) {
    return c >= '0' && c <= '9';
}

static size_t digits(const unsigned char *p, const unsigned char *end) {
    size_t n = 0;
    while (p + n < end && is_digit(p[n])) n++;
    return n;
}

/* A run of decimal digits as a number; -1 if it does not fit in 63 bits. */
static long long whole(const unsigned char *p, size_t n) {
    while (n > 0 && *p == '0') p++, n--;
    if (n > 19) return -1;
    unsigned long long v = 0;
    for (size_t i = 0; i < n; i++) v = v * 10 + (unsigned) (p[i] - '0');
    return v > (unsigned long long) INT64_MAX ? -1 : (long long) v;
}

/* Blanks (space, tab) from p on: Units' "[ \t]*" between a number and its unit. */
static size_t blanks(const unsigned char *p, const unsigned char *end) {
    size_t n = 0;
    while (p + n < end && (p[n] == ' ' || p[n] == '\t')) n++;
    return n;
}

/* The length of the letter c (ASCII, any case) at p, or 0; 'k' also as the KELVIN SIGN, which lower-cases to it. */
static size_t letter_at(const unsigned char *p, const unsigned char *end, char c) {
    if (p < end && (*p | 0x20) == c) return 1;
    if (c == 'k' && end - p >= 3 && memcmp(p, "\xe2\x84\xaa", 3) == 0) return 3;
    return 0;
}

/*
 * Units.parseSize: bytes, or a whole number with k, m, g or t (any case) in binary units, an
 * optional i and b after the unit (128Mi, 128MiB), a b alone (512b), blanks before the unit.
 */
static int parse_size(const char *text, long long *bytes, char *why) {
    const unsigned char *p, *end;
    strip(text, &p, &end);
    size_t n = digits(p, end);
    const unsigned char *q = p + n + blanks(p + n, end);
    int shift = 0;
    size_t len;
    static const char units[] = {'k', 'm', 'g', 't'};
    for (int u = 0; u < 4; u++) {
        if ((len = letter_at(q, end, units[u])) > 0) {
            shift = 10 * (u + 1);
            q += len;
            q += letter_at(q, end, 'i');
            break;
        }
    }
    q += letter_at(q, end, 'b');
    if (n == 0 || q != end) {
        snprintf(why, WHY_LEN, "'%s' is not a size: use bytes, or a number with k, m, g or t, e.g. 128m"
                 " (binary: 128m is 128 MiB)", text);
        return -1;
    }
    long long number = whole(p, n);
    if (number == 0) {
        snprintf(why, WHY_LEN, "a size must be more than 0, not '%s'", text);
        return -1;
    }
    if (number < 0 || number > INT64_MAX >> shift) {
        snprintf(why, WHY_LEN, "the size '%s' is too large", text);
        return -1;
    }
    *bytes = number << shift;
    return 0;
}

/*
 * A decimal number times a unit, exactly: integer digits [ip, ip + in), fraction digits
 * [fp, fp + fn). -1 when it is not a whole number of units or does not fit in 63 bits, as
 * BigDecimal's longValueExact says.
 */
static long long exact_multiple(const unsigned char *ip, size_t in, const unsigned char *fp, size_t fn,
                                unsigned long long unit) {
    while (fn > 0 && fp[fn - 1] == '0') fn--;
    /* a unit here has at most 13 factors of 2 or of 5: a longer fraction never comes out whole */
    long long integer = whole(ip, in);
    if (integer < 0 || fn > 13) return -1;
    unsigned __int128 fraction = 0, scale = 1;
    for (size_t i = 0; i < fn; i++) {
        fraction = fraction * 10 + (unsigned) (fp[i] - '0');
        scale *= 10;
    }
    fraction *= unit;
    if (fraction % scale != 0) return -1;
    unsigned __int128 total = (unsigned __int128) integer * unit + fraction / scale;
    return total > (unsigned __int128) INT64_MAX ? -1 : (long long) total;
}

/* Units.parseDuration: a number with ms, s, m or h (any case), blanks before it; a plain number is seconds. */
static int parse_duration(const char *text, long long *nanos, char *why) {
    const unsigned char *p, *end;
    strip(text, &p, &end);
    size_t in = digits(p, end), fn = 0;
    const unsigned char *fp = p + in, *unit = p + in;
    if (in > 0 && unit < end && *unit == '.' && (fn = digits(unit + 1, end)) > 0) {
        fp = unit + 1;
        unit = fp + fn;
    }
    unit += blanks(unit, end);
    size_t rest = (size_t) (end - unit);
    long long per = -1;
    if (in > 0 && rest == 0) per = 1000000000LL;
    else if (in > 0 && rest == 2 && (unit[0] | 0x20) == 'm' && (unit[1] | 0x20) == 's') per = 1000000LL;
    else if (in > 0 && rest == 1 && (*unit | 0x20) == 's') per = 1000000000LL;
    else if (in > 0 && rest == 1 && (*unit | 0x20) == 'm') per = 60000000000LL;
    else if (in > 0 && rest == 1 && (*unit | 0x20) == 'h') per = 3600000000000LL;
    if (per < 0) {
        snprintf(why, WHY_LEN, "'%s' is not a duration: use a number with ms, s, m or h, e.g. 10s", text);
        return -1;
    }
    long long n = exact_multiple(p, in, fp, fn, (unsigned long long) per);
    if (n < 0) {
        snprintf(why, WHY_LEN, "the duration '%s' is too long or too precise", text);
        return -1;
    }
    if (n > 0 && n < 1000000) { /* zero is a duration; what must be longer says so where it is used */
        snprintf(why, WHY_LEN, "a duration must be 0 or at least 1ms, not '%s'", text);
        return -1;
    }
    *nanos = n;
    return 0;
}

/* Units.parseCpus: a decimal number of cores, as thousandths of a core. */
static int parse_cpus(const char *text, long long *millis, char *why) {
    const unsigned char *p, *end;
    strip(text, &p, &end);
    size_t in = digits(p, end), fn = 0;
    const unsigned char *fp = p + in;
    if (fp < end && *fp == '.' && (fn = digits(fp + 1, end)) > 0) fp++;
    if ((in == 0 && fn == 0) || fp + fn != end) {
        snprintf(why, WHY_LEN, "'%s' is not a number of CPUs: use a decimal, e.g. 0.5", text);
        return -1;
    }
    /* Below a thousandth: no integer digit but zeros, and no digit but zeros in the first three decimals. */
    int below = 1;
    for (size_t i = 0; i < in; i++) below &= p[i] == '0';
    for (size_t i = 0; i < fn && i < 3; i++) below &= fp[i] == '0';
    int stripped = (int) (end - p);
    if (below) {
        snprintf(why, WHY_LEN, "CPUs must be at least 0.001, not '%.*s'", stripped, (const char *) p);
        return -1;
    }
    long long n = exact_multiple(p, in, fp, fn, 1000);
    if (n < 0 || n > 1000000) {
        snprintf(why, WHY_LEN, "CPUs must be 0.001 to 1000 with at most 3 decimals, not '%.*s'", stripped,
                 (const char *) p);
        return -1;
    }
    *millis = n;
    return 0;
}

/* picocli's int: Integer.parseInt, an optional sign and decimal digits that fit in 32 bits. */
static int parse_int(const char *text, long long *value, char *why) {
    const unsigned char *p = (const unsigned char *) text, *end = p + strlen(text);
    int negative = *p == '-';
    if (*p == '-' || *p == '+') p++;
    size_t n = digits(p, end);
    long long v = n > 0 && p + n == end ? whole(p, n) : -1;
    if (v < 0 || v > (negative ? 2147483648LL : INT32_MAX)) {
        snprintf(why, WHY_LEN, "'%s' is not an int", text);
        return -1;
    }
    *value = negative ? -v : v;
    return 0;
}

/* ---- options ---- */

enum option_id { O_MEMORY, O_CPUS, O_PIDS, O_TIMEOUT, O_TMPFS, O_MOUNT, O_ENV, O_WORKDIR, O_NETWORK, O_USER,
                 O_NOFILE, O_STATS, O_ISOLATION, O_HELP, O_VERSION, O_COUNT };

static const struct option {
    const char *name;
    const char *label;        /* its value's name; NULL: a flag */
    int repeatable;
} OPTIONS[O_COUNT] = {
    [O_MEMORY] = {"--memory", "SIZE", 0},         [O_CPUS] = {"--cpus", "CPUS", 0},
    [O_PIDS] = {"--pids", "N", 0},                [O_TIMEOUT] = {"--timeout", "DURATION", 0},
    [O_TMPFS] = {"--tmpfs-size", "SIZE", 0},      [O_MOUNT] = {"--mount", MOUNT_LABEL, 1},
    [O_ENV] = {"--env", "NAME=VALUE", 1},         [O_WORKDIR] = {"--workdir", "DIR", 0},
    [O_NETWORK] = {"--network", "none|host", 0},  [O_USER] = {"--user", "UID[:GID]", 0},
    [O_NOFILE] = {"--nofile", "N", 0},            [O_STATS] = {"--stats", NULL, 0},
    [O_ISOLATION] = {"--isolation", "process|vm", 0},
    [O_HELP] = {"--help", NULL, 0},               [O_VERSION] = {"--version", NULL, 0},
};

/* One line saying what was wrong, one pointing at the help; status 125, as every arrow command. */
static void usage(const char *fmt, ...) __attribute__((noreturn, format(printf, 1, 2)));
static void usage(const char *fmt, ...) {
    char message[WHY_LEN + 256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(message, sizeof message, fmt, ap);
    va_end(ap);
    fprintf(stderr, "arrow: %s\nTry 'arrow run --help' for more information.\n", message);
    exit(EXIT_HELPER_ERROR);
}

/* picocli names a repeatable option's value in its message, a single one's not. */
static void invalid(enum option_id o, const char *why) __attribute__((noreturn));
static void invalid(enum option_id o, const char *why) {
    if (OPTIONS[o].repeatable) usage("invalid value for option '%s' (%s): %s", OPTIONS[o].name, OPTIONS[o].label, why);
    usage("invalid value for option '%s': %s", OPTIONS[o].name, why);
}

static int find_option(const char *name, size_t len) {
    for (int o = 0; o < O_COUNT; o++)
        if (strlen(OPTIONS[o].name) == len && strncmp(OPTIONS[o].name, name, len) == 0) return o;
    if (len == 2 && strncmp(name, "-h", 2) == 0) return O_HELP;
    if (len == 2 && strncmp(name, "-V", 2) == 0) return O_VERSION;
    return -1;
}

/* What picocli will not take as an option's value: "--" or an option of its own. */
static int resembles_option(const char *value) {
    if (strcmp(value, "--") == 0) return 1;
    const char *eq = strchr(value, '=');
    return find_option(value, eq ? (size_t) (eq - value) : strlen(value)) >= 0;
}

/* A value within the helper's limits, or a message naming them. */
static void within(enum option_id o, const char *text, long long v, long long min, long long max,
                   const char *min_text, const char *max_text) {
    if (v < min || v > max) {
        char why[WHY_LEN];
        snprintf(why, sizeof why, "'%s' must be from %s to %s", text, min_text, max_text);
        invalid(o, why);
    }
}

/* Path.of("").toAbsolutePath().resolve(path).normalize(): lexical, no link is followed. */
static char *absolute_normalized(const char *path) {
    char cwd[PATH_MAX] = "";
    if (path[0] != '/' && !getcwd(cwd, sizeof cwd)) snprintf(cwd, sizeof cwd, "/");
    size_t cap = strlen(cwd) + strlen(path) + 3;
    char *joined = malloc(cap), *out = malloc(cap);
    if (!joined || !out) usage("out of memory");
    snprintf(joined, cap, "%s/%s", cwd, path);
    size_t len = 0;
    for (char *part = strtok(joined, "/"); part; part = strtok(NULL, "/")) {
        if (strcmp(part, ".") == 0) continue;
        if (strcmp(part, "..") == 0) {
            while (len > 0 && out[len - 1] != '/') len--;
            if (len > 0) len--;
            continue;
        }
        out[len++] = '/';
        len = (size_t) (stpcpy(out + len, part) - out);
    }
    if (len == 0) out[len++] = '/';
    out[len] = '\0';
    free(joined);
    return out;
}

/*
 * --mount HOST:SANDBOX[:rw|:ro], read-only unless :rw; HOST relative to the working directory.
 * Everything that sandbox.Mount, SandboxSpec and the protocol check is checked here, up front.
 */
static void add_mount(struct spec *s, const char *text) {
    char why[WHY_LEN];
    const char *c1 = strchr(text, ':'), *c2 = c1 ? strchr(c1 + 1, ':') : NULL;
    if (!c1 || (c2 && strchr(c2 + 1, ':')) || c1 == text || c1[1] == ':' || c1[1] == '\0') {
        snprintf(why, sizeof why, "'%s' is not a mount: use " MOUNT_LABEL, text);
        invalid(O_MOUNT, why);
    }
    int writable = 0;
    if (c2) {
        if (strcmp(c2 + 1, "rw") == 0) writable = 1;
        else if (strcmp(c2 + 1, "ro") != 0) {
            snprintf(why, sizeof why, "mount mode '%s' in '%s' must be rw or ro", c2 + 1, text);
            invalid(O_MOUNT, why);
        }
    }
    char *host = strndup(text, (size_t) (c1 - text));
    char *target = c2 ? strndup(c1 + 1, (size_t) (c2 - c1 - 1)) : strdup(c1 + 1);
    if (!host || !target) usage("out of memory");
    char *source = absolute_normalized(host);
    struct stat st;
    if (stat(source, &st) < 0) {
        snprintf(why, sizeof why, "mount source %s does not exist", source);
        invalid(O_MOUNT, why);
    }
    if (target[0] != '/') {
        snprintf(why, sizeof why, "mount target '%s' must be an absolute path", target);
        invalid(O_MOUNT, why);
    }
    for (const char *p = target; *p;) {
        const char *e = strchrnul(p, '/');
        if (e - p == 2 && p[0] == '.' && p[1] == '.') {
            snprintf(why, sizeof why, "mount target must not contain '..': %s", target);
            invalid(O_MOUNT, why);
        }
        p = *e ? e + 1 : e;
    }
    if (!valid_target(target)) {
        snprintf(why, sizeof why, "mount target '%s' must be an absolute path without '.' or '..'", target);
        invalid(O_MOUNT, why);
    }
    if (reserved_target(target)) {
        snprintf(why, sizeof why, "mount target '%s' is inside a directory the sandbox reserves", target);
        invalid(O_MOUNT, why);
    }
    if (!S_ISDIR(st.st_mode) && !S_ISREG(st.st_mode)) {
        snprintf(why, sizeof why, "mount source '%s' is neither a file nor a directory", source);
        invalid(O_MOUNT, why);
    }
    for (int i = 0; i < s->nbinds; i++) {
        if (strcmp(s->binds[i].target, target) == 0) {
            snprintf(why, sizeof why, "two mounts at %s", target);
            invalid(O_MOUNT, why);
        }
    }
    if (s->nbinds == MAX_BINDS) {
        snprintf(why, sizeof why, "at most %d mounts", MAX_BINDS);
        invalid(O_MOUNT, why);
    }
    s->binds[s->nbinds++] = (struct bind){.source = source, .target = target, .writable = writable, .fd = -1};
    free(host);
}

/* --env NAME=VALUE: a later value of a name replaces the earlier one in its place. */
static void add_env(struct spec *s, char *text) {
    const char *eq = strchr(text, '=');
    char why[WHY_LEN];
    if (!eq || eq == text) {
        snprintf(why, sizeof why, "'%s' is not NAME=VALUE", text);
        invalid(O_ENV, why);
    }
    size_t name = (size_t) (eq - text) + 1;
    for (int i = 0; i < s->nenv; i++) {
        if (strncmp(s->env[i], text, name) == 0) {
            s->env[i] = text;
            return;
        }
    }
    if (s->nenv == MAX_ENV) {
        snprintf(why, sizeof why, "at most %d environment variables", MAX_ENV);
        invalid(O_ENV, why);
    }
    s->env[s->nenv++] = text;
    s->env[s->nenv] = NULL;
}

/* --user UID[:GID]: up to 9 digits each; without a GID the group is the user's number too. */
static void set_user(struct spec *s, const char *text) {
    size_t u = digits((const unsigned char *) text, (const unsigned char *) text + strlen(text)), g = 0;
    const char *colon = text + u;
    if (*colon == ':') g = digits((const unsigned char *) colon + 1, (const unsigned char *) text + strlen(text));
    int ok = u >= 1 && u <= 9 && (*colon == '\0' || (*colon == ':' && g >= 1 && g <= 9 && colon[1 + g] == '\0'));
    if (!ok) {
        char why[WHY_LEN];
        snprintf(why, sizeof why, "'%s' is not UID[:GID], e.g. 1000 or 1000:100", text);
        invalid(O_USER, why);
    }
    s->uid = (uid_t) strtoul(text, NULL, 10);
    s->gid = *colon == ':' ? (gid_t) strtoul(colon + 1, NULL, 10) : (gid_t) s->uid;
}

static void set_value(struct spec *s, enum option_id o, char *value) {
    char why[WHY_LEN];
    long long v;
    switch (o) {
    case O_MEMORY:
        if (parse_size(value, &v, why) < 0) invalid(o, why);
        within(o, value, v, MEMORY_MIN, MEMORY_MAX, "1m", "1048576g");
        s->memory_bytes = v;
        break;
    case O_TMPFS:
        if (parse_size(value, &v, why) < 0) invalid(o, why);
        within(o, value, v, TMPFS_MIN, TMPFS_MAX, "4k", "1024g");
        s->tmpfs_bytes = v;
        break;
    case O_CPUS:
        if (parse_cpus(value, &v, why) < 0) invalid(o, why);
        within(o, value, v, CPU_MILLIS_MIN, CPU_MILLIS_MAX, "0.01", "1024");
        s->cpu_millis = (long) v;
        break;
    case O_TIMEOUT:
        if (parse_duration(value, &v, why) < 0) invalid(o, why);
        v = v / 1000000 + (v % 1000000 != 0); /* whole milliseconds, rounded up */
        within(o, value, v, 1, TIMEOUT_MS_MAX, "1ms", "1099511627776ms");
        s->timeout_ms = v;
        break;
    case O_PIDS:
        if (parse_int(value, &v, why) < 0) invalid(o, why);
        within(o, value, v, 1, PIDS_MAX, "1", "4194304");
        s->pids = (long) v;
        break;
    case O_NOFILE:
        if (parse_int(value, &v, why) < 0) invalid(o, why);
        within(o, value, v, NOFILE_MIN, NOFILE_MAX, "8", "1048576");
        s->nofile = (long) v;
        break;
    case O_MOUNT:
        add_mount(s, value);
        break;
    case O_ENV:
        add_env(s, value);
        break;
    case O_WORKDIR:
        if (value[0] != '/') {
            snprintf(why, sizeof why, "'%s' is not an absolute path", value);
            invalid(o, why);
        }
        s->workdir = value;
        break;
    case O_NETWORK:
        if (strcasecmp(value, "none") == 0) s->network_host = 0;
        else if (strcasecmp(value, "host") == 0) s->network_host = 1;
        else {
            snprintf(why, sizeof why, "expected one of [NONE, HOST] (case-insensitive) but was '%s'", value);
            invalid(o, why);
        }
        break;
    case O_USER:
        set_user(s, value);
        break;
    case O_ISOLATION:
        /* process is what this helper is; a VM is started by the JVM CLI, which the launcher runs for it */
        if (strcasecmp(value, "vm") == 0)
            usage("--isolation vm runs in the JVM CLI, not in the helper: use ./arrow run --isolation vm");
        if (strcasecmp(value, "process") != 0) {
            snprintf(why, sizeof why, "expected one of [PROCESS, VM] (case-insensitive) but was '%s'", value);
            invalid(o, why);
        }
        break;
    default:
        break;
    }
}

/* The options up to COMMAND into s; returns the index of COMMAND's first word. */
static int parse_options(struct spec *s, int argc, char **argv) {
    int seen[O_COUNT] = {0};
    int i = 0;
    for (; i < argc; i++) {
        char *a = argv[i];
        if (strcmp(a, "--") == 0) {
            i++;
            break;
        }
        if (a[0] != '-' || a[1] == '\0') break; /* COMMAND; "-" is a word like any other */
        if (a[1] != '-' && strspn(a + 1, "hV") == strlen(a + 1)) { /* -h, -V, or both: -hV */
            if (strchr(a, 'h')) {
                fputs(HELP, stdout);
                exit(0);
            }
            puts("arrow " ARROW_VERSION);
            exit(0);
        }
        char *eq = a[1] == '-' ? strchr(a, '=') : NULL;
        int o = find_option(a, eq ? (size_t) (eq - a) : strlen(a));
        if (o < 0 || (eq && (o == O_HELP || o == O_VERSION))) usage("unknown option: '%s'", a);
        if (seen[o] && !OPTIONS[o].repeatable) {
            if (OPTIONS[o].label) usage("option '%s' (%s) should be specified only once", OPTIONS[o].name, OPTIONS[o].label);
            usage("option '%s' should be specified only once", OPTIONS[o].name);
        }
        seen[o] = 1;
        if (o == O_HELP) {
            fputs(HELP, stdout);
            exit(0);
        }
        if (o == O_VERSION) {
            puts("arrow " ARROW_VERSION);
            exit(0);
        }
        if (o == O_STATS) {
            if (!eq || strcasecmp(eq + 1, "true") == 0) s->stats = 1;
            else if (strcasecmp(eq + 1, "false") == 0) s->stats = 0;
            else {
                char why[WHY_LEN];
                snprintf(why, sizeof why, "'%s' is not a boolean", eq + 1);
                invalid(O_STATS, why);
            }
            continue;
        }
        char *value;
        if (eq) value = eq + 1;
        else if (i + 1 < argc) value = argv[++i];
        else usage("missing required parameter for option '%s' (%s)", OPTIONS[o].name, OPTIONS[o].label);
        if (resembles_option(value)) usage("expected parameter for option '%s' but found '%s'", OPTIONS[o].name, value);
        set_value(s, (enum option_id) o, value);
    }
    if (i >= argc) usage("missing required parameter: 'COMMAND'");
    if (argv[i][0] == '\0') usage("COMMAND must name a program, not ''");
    return i;
}

int run_main(int argc, char **argv, int die_with_parent) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    uint64_t started = (uint64_t) ts.tv_sec * 1000000000u + (uint64_t) ts.tv_nsec;
    trace("start");
    helper_prog = "arrow";

    struct spec s;
    spec_defaults(&s);
    s.watch_parent = die_with_parent;
    /* the order of SandboxSpec's environment: PATH and HOME first, replaced in place if given */
    s.env[s.nenv++] = "PATH=/usr/local/bin:/usr/bin:/bin:/usr/local/sbin:/usr/sbin:/sbin";
    s.env[s.nenv++] = "HOME=/tmp";
    s.env[s.nenv] = NULL;
    s.argv = argv + parse_options(&s, argc, argv);
    spec_generate_id(&s);

    int status = supervise_spec(&s, 0, NULL, -1, started);
    if (supervise_terminated) { /* end as a SIGTERM would have ended us, now that the sandbox is gone */
        fflush(NULL);
        signal(SIGTERM, SIG_DFL);
        sigset_t term;
        sigemptyset(&term);
        sigaddset(&term, SIGTERM);
        sigprocmask(SIG_UNBLOCK, &term, NULL);
        raise(SIGTERM);
    }
    return status;
}

/* ---- the --stats line: SandboxResult.toJson's, byte for byte ---- */

struct buffer {
    char *data;
    size_t len, cap;
};

static void put(struct buffer *b, const char *text, size_t n) {
    if (b->len + n + 1 > b->cap) {
        size_t cap = (b->len + n + 1) * 2;
        char *data = realloc(b->data, cap);
        if (!data) return;
        b->data = data;
        b->cap = cap;
    }
    memcpy(b->data + b->len, text, n);
    b->len += n;
    b->data[b->len] = '\0';
}

static void putf(struct buffer *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void putf(struct buffer *b, const char *fmt, ...) {
    char text[256];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(text, sizeof text, fmt, ap);
    va_end(ap);
    if (n > 0) put(b, text, (size_t) n < sizeof text ? (size_t) n : sizeof text - 1);
}

/* Length of the well-formed UTF-8 character at p, or 0. */
static size_t utf8_char(const unsigned char *p, const unsigned char *end) {
    size_t n = p[0] < 0x80 ? 1 : (p[0] & 0xe0) == 0xc0 ? 2 : (p[0] & 0xf0) == 0xe0 ? 3 : (p[0] & 0xf8) == 0xf0 ? 4 : 0;
    if (n == 0 || (size_t) (end - p) < n) return 0;
    unsigned cp = n == 1 ? p[0] : (unsigned) (p[0] & (0x7f >> n));
    for (size_t i = 1; i < n; i++) {
        if ((p[i] & 0xc0) != 0x80) return 0;
        cp = cp << 6 | (p[i] & 0x3f);
    }
    static const unsigned least[] = {0, 0, 0x80, 0x800, 0x10000};
    if (cp < least[n] || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return 0;
    return n;
}

/* A JSON string as Jackson writes it; bytes that are not UTF-8 become U+FFFD, as Java reads them. */
static void put_string(struct buffer *b, const char *text) {
    const unsigned char *p = (const unsigned char *) text, *end = p + strlen(text);
    put(b, "\"", 1);
    while (p < end) {
        size_t n = utf8_char(p, end);
        if (n == 0) {
            put(b, "\xef\xbf\xbd", 3);
            p++;
            continue;
        }
        unsigned char c = *p;
        const char *short_escape = c == '"' ? "\\\"" : c == '\\' ? "\\\\" : c == '\b' ? "\\b" : c == '\t' ? "\\t"
                                   : c == '\n' ? "\\n" : c == '\f' ? "\\f" : c == '\r' ? "\\r" : NULL;
        if (short_escape) put(b, short_escape, 2);
        else if (c < 0x20) putf(b, "\\u%04X", c);
        else put(b, (const char *) p, n);
        p += n;
    }
    put(b, "\"", 1);
}

/* Milliseconds with three decimals, rounded half up: BigDecimal.valueOf(nanos, 6).setScale(3). */
static void put_millis(struct buffer *b, const char *name, uint64_t nanos) {
    uint64_t micros = (nanos + 500) / 1000;
    putf(b, ",\"%s\":%" PRIu64 ".%03" PRIu64, name, micros / 1000, micros % 1000);
}

void run_stats_line(const struct result *r) {
    struct buffer b = {0};
    put(&b, "{\"outcome\":", 11);
    put_string(&b, r->outcome);
    if (strcmp(r->outcome, "exited") == 0) putf(&b, ",\"exitCode\":%d", r->exit_code);
    else if (strcmp(r->outcome, "signaled") == 0) putf(&b, ",\"signal\":%d", r->signal);
    else if (strcmp(r->outcome, "failed-to-start") == 0) {
        put(&b, ",\"reason\":", 10);
        put_string(&b, r->reason && *r->reason ? r->reason : "setup-failed");
        put(&b, ",\"detail\":", 10);
        put_string(&b, r->detail);
    }
    put_millis(&b, "wallMs", r->wall_ns);
    put_millis(&b, "cpuUserMs", r->stats.cpu_user_ns);
    put_millis(&b, "cpuSystemMs", r->stats.cpu_system_ns);
    putf(&b, ",\"peakMemoryBytes\":%" PRIu64 "}\n", r->stats.peak_memory_bytes);
    if (b.data) write_all(2, b.data);
    free(b.data);
}

/* ---- --parse KIND: the values on stdin (NUL-terminated) read as run reads them, for tests ---- */

int run_parse_values(const char *kind) {
    int (*parse)(const char *, long long *, char *) = strcmp(kind, "size") == 0       ? parse_size
                                                    : strcmp(kind, "duration") == 0 ? parse_duration
                                                    : strcmp(kind, "cpus") == 0     ? parse_cpus
                                                                                    : NULL;
    if (!parse) {
        fprintf(stderr, "%s: --parse size|duration|cpus, values on stdin, each ending in NUL\n", helper_prog);
        return EXIT_HELPER_ERROR;
    }
    struct buffer in = {0};
    char chunk[4096];
    ssize_t n;
    while ((n = read(0, chunk, sizeof chunk)) > 0) put(&in, chunk, (size_t) n);
    /* one line per value: "ok N" or "error MESSAGE", with backslash, CR and LF escaped */
    for (size_t at = 0; in.data && at < in.len; at += strlen(in.data + at) + 1) {
        char why[WHY_LEN];
        long long v;
        if (parse(in.data + at, &v, why) == 0) {
            printf("ok %lld\n", v);
            continue;
        }
        fputs("error ", stdout);
        for (const char *c = why; *c; c++) {
            if (*c == '\\') fputs("\\\\", stdout);
            else if (*c == '\n') fputs("\\n", stdout);
            else if (*c == '\r') fputs("\\r", stdout);
            else putchar(*c);
        }
        putchar('\n');
    }
    free(in.data);
    return 0;
}
