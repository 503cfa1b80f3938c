/*
 * The sandbox's seccomp filter: a deny-list modelled on Docker's default profile. Everything that
 * administers the kernel, changes namespaces or mounts, debugs other processes, or widens the
 * kernel's attack surface (bpf, io_uring, userfaultfd, perf) answers EPERM. The architecture is
 * checked first so a 32-bit or x32 syscall cannot slip past with other numbers.
 */
#include "helper.h"

#include <errno.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/sched.h>
#include <linux/seccomp.h>
#include <stddef.h>
#include <sys/prctl.h>
#include <sys/syscall.h>

#if defined(__x86_64__)
#define ARCH AUDIT_ARCH_X86_64
#define X32_SYSCALL_BIT 0x40000000
#elif defined(__aarch64__)
#define ARCH AUDIT_ARCH_AARCH64
#else
#error "unsupported architecture"
#endif

static const int denied[] = {
    SYS_mount, SYS_umount2, SYS_pivot_root, SYS_chroot, SYS_unshare, SYS_setns,
    SYS_ptrace, SYS_process_vm_readv, SYS_process_vm_writev, SYS_kcmp,
    SYS_kexec_load, SYS_kexec_file_load, SYS_init_module, SYS_finit_module, SYS_delete_module,
    SYS_bpf, SYS_perf_event_open, SYS_keyctl, SYS_add_key, SYS_request_key, SYS_userfaultfd,
    SYS_io_uring_setup, SYS_io_uring_enter, SYS_io_uring_register,
    SYS_open_by_handle_at, SYS_name_to_handle_at, SYS_reboot, SYS_swapon, SYS_swapoff,
    SYS_clock_settime, SYS_clock_adjtime, SYS_settimeofday, SYS_acct, SYS_quotactl, SYS_syslog,
    SYS_fsopen, SYS_fsconfig, SYS_fsmount, SYS_fspick, SYS_move_mount, SYS_open_tree,
    SYS_mount_setattr, SYS_lookup_dcookie, SYS_fanotify_init, SYS_vhangup,
#ifdef SYS_quotactl_fd
    SYS_quotactl_fd,
#endif
#ifdef SYS_open_tree_attr
    SYS_open_tree_attr,
#endif
#if defined(__x86_64__)
    SYS_iopl, SYS_ioperm, SYS_uselib, SYS_ustat, SYS_sysfs, SYS__sysctl, SYS_create_module,
    SYS_get_kernel_syms, SYS_query_module, SYS_nfsservctl,
#endif
};

/* CLONE_NEWTIME is left out: with clone(2) its bit belongs to the exit signal, and only clone3 or
 * unshare (both refused) can ask for it. */
/* personality(2) values Docker allows: query, Linux, UNAME26 and their combination. */
static const unsigned allowed_personality[] = {0x0, 0x8, 0x20000, 0x20008, 0xffffffff};

#define NS_FLAGS                                                                                   \
    (CLONE_NEWNS | CLONE_NEWUTS | CLONE_NEWIPC | CLONE_NEWUSER | CLONE_NEWPID | CLONE_NEWNET |     \
     CLONE_NEWCGROUP)

#define LOAD_NR BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr))
#define LOAD_ARG0_LO BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, args[0]))
#define RET(v) BPF_STMT(BPF_RET | BPF_K, (v))
#define ERRNO(e) (SECCOMP_RET_ERRNO | ((e) & SECCOMP_RET_DATA))

/*
 * The denied numbers as a binary search (sorted[lo, hi)): EPERM on a match, otherwise a jump past
 * the search, whose targets are patched by the caller. The kernel runs the filter once for every
 * system call number when it is installed (to find those it may always allow): a search costs a
 * third of a list there, on the critical path of every sandbox's start.
 */
static void emit_search(struct sock_filter *f, unsigned *n, const unsigned *sorted, int lo, int hi,
                        unsigned *exits, unsigned *nexits) {
    if (hi - lo <= 3) {
        for (int i = lo; i < hi; i++) {
            f[(*n)++] = (struct sock_filter) BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, sorted[i], 0, 1);
            f[(*n)++] = (struct sock_filter) RET(ERRNO(EPERM));
        }
        exits[(*nexits)++] = *n;
        f[(*n)++] = (struct sock_filter) BPF_STMT(BPF_JMP | BPF_JA, 0);
        return;
    }
    int mid = (lo + hi) / 2;
    unsigned at = (*n)++;
    emit_search(f, n, sorted, lo, mid, exits, nexits);
    f[at] = (struct sock_filter) BPF_JUMP(BPF_JMP | BPF_JGE | BPF_K, sorted[mid], (unsigned char) (*n - at - 1), 0);
    emit_search(f, n, sorted, mid, hi, exits, nexits);
}

int seccomp_install(void) {
    struct sock_filter f[256];
    unsigned n = 0;
    const unsigned ndenied = sizeof denied / sizeof denied[0];
    const unsigned npers = sizeof allowed_personality / sizeof allowed_personality[0];
    unsigned sorted[sizeof denied / sizeof denied[0]], exits[sizeof denied / sizeof denied[0]], nexits = 0;
    for (unsigned i = 0; i < ndenied; i++) {
        unsigned j = i;
        for (; j > 0 && sorted[j - 1] > (unsigned) denied[i]; j--) sorted[j] = sorted[j - 1];
        sorted[j] = (unsigned) denied[i];
    }

    f[n++] = (struct sock_filter) BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch));
    f[n++] = (struct sock_filter) BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, ARCH, 1, 0);
    f[n++] = (struct sock_filter) RET(SECCOMP_RET_KILL_PROCESS);
    f[n++] = (struct sock_filter) LOAD_NR;
#ifdef X32_SYSCALL_BIT
    f[n++] = (struct sock_filter) BPF_JUMP(BPF_JMP | BPF_JGE | BPF_K, X32_SYSCALL_BIT, 0, 1);
    f[n++] = (struct sock_filter) RET(ERRNO(EPERM));
#endif
    emit_search(f, &n, sorted, 0, (int) ndenied, exits, &nexits);
    for (unsigned i = 0; i < nexits; i++) f[exits[i]].k = n - exits[i] - 1;
    /* clone3 passes its flags in memory, out of the filter's reach: ENOSYS makes libc use clone. */
    f[n++] = (struct sock_filter) BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_clone3, 0, 1);
    f[n++] = (struct sock_filter) RET(ERRNO(ENOSYS));
    /* clone: allowed unless it asks for a namespace (flags are the first argument on x86_64). */
    f[n++] = (struct sock_filter) BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_clone, 0, 3);
    f[n++] = (struct sock_filter) LOAD_ARG0_LO;
    f[n++] = (struct sock_filter) BPF_JUMP(BPF_JMP | BPF_JSET | BPF_K, NS_FLAGS, 0, 2 * npers + 4); /* to ALLOW */
    f[n++] = (struct sock_filter) RET(ERRNO(EPERM));
    /* personality: only the harmless values (no ADDR_NO_RANDOMIZE, no READ_IMPLIES_EXEC). */
    f[n++] = (struct sock_filter) BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_personality, 0, 2 * npers + 2); /* to ALLOW */
    f[n++] = (struct sock_filter) LOAD_ARG0_LO;
    for (unsigned i = 0; i < npers; i++) {
        f[n++] = (struct sock_filter) BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, allowed_personality[i], 0, 1);
        f[n++] = (struct sock_filter) RET(SECCOMP_RET_ALLOW);
    }
    f[n++] = (struct sock_filter) RET(ERRNO(EPERM));
    f[n++] = (struct sock_filter) RET(SECCOMP_RET_ALLOW);

    struct sock_fprog prog = {.len = (unsigned short) n, .filter = f};
    return prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog, 0, 0);
}
