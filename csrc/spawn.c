/* The two stages between the runtime and the container's first instruction.
 *
 * stage 1 (child of the runtime): joins namespaces given by path, unshares the
 * user namespace (the runtime writes its maps and places it in the cgroup), and
 * the time namespace; then clones stage 2 with CLONE_PARENT and the new namespaces.
 * stage 2 (the container init, a child of the runtime): builds the rootfs, runs
 * the in-container hooks, sets up the process and waits on the start socket. */
#include "internal.h"
#include <alloca.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/un.h>

#ifndef CLOSE_RANGE_CLOEXEC
#define CLOSE_RANGE_CLOEXEC (1U << 2)
#endif

static void reset_signals(void)
{
    sigset_t none;
    for (int sig = 1; sig < NSIG; sig++)
        if (sig != SIGKILL && sig != SIGSTOP)
            signal(sig, SIG_DFL);
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
}

static int start_socket_path(int state_dir_fd, struct sockaddr_un *addr)
{
    memset(addr, 0, sizeof *addr);
    addr->sun_family = AF_UNIX;
    /* via the dir fd: a state dir path may exceed sun_path's 108 bytes */
    return snprintf(addr->sun_path, sizeof addr->sun_path, "/proc/self/fd/%d/start.sock", state_dir_fd);
}

static int listen_start_socket(int state_dir_fd)
{
    struct sockaddr_un addr;
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -1;
    start_socket_path(state_dir_fd, &addr);
    if (bind(fd, (struct sockaddr *) &addr, sizeof addr) < 0 || listen(fd, 1) < 0) {
        int saved = errno;
        close(fd);
        errno = saved;
        return -1;
    }
    return fd;
}

/* linux.seccomp, loaded where runc loads it: without no_new_privs loading needs
 * CAP_SYS_ADMIN, so before the user switch and capabilities; with it, after them.
 * Both before "ready": a filter that fails to load fails `create`, and the listener
 * gets the notify fd with the "creating" state, as from runc. */
static void install_seccomp(struct oci_plan *plan, int report_fd, const char *state)
{
    char err[512];
    int notify_fd;
    plan->seccomp->state = state;
    if (oci_seccomp_load(plan->seccomp, &notify_fd, err, sizeof err) < 0)
        oci_die(report_fd, "seccomp: %s", err);
}

/* Through the stub (argv: name, report fd, path, the program's argv); if a seccomp
 * profile refuses execveat, directly. */
static void exec_via_stub(struct oci_plan *plan, const char *path, int report_fd)
{
    char fd_text[16];
    int argc = 0;
    const char **argv;
    while (plan->argv[argc])
        argc++;
    argv = alloca((size_t) (argc + 4) * sizeof *argv);
    snprintf(fd_text, sizeof fd_text, "%d", report_fd);
    argv[0] = "ociruntime-exec";
    argv[1] = fd_text;
    argv[2] = path;
    for (int i = 0; i <= argc; i++)
        argv[3 + i] = plan->argv[i];
    fcntl(report_fd, F_SETFD, 0); /* the stub makes it close-on-exec again */
    syscall(SYS_execveat, plan->exec_stub_fd, "", argv, plan->envp, AT_EMPTY_PATH);
    fcntl(report_fd, F_SETFD, FD_CLOEXEC);
}

/* Everything before the program: stdio and fds. Never returns. Of fds 3..3+N-1
 * (--preserve-fds, LISTEN_FDS) only those the caller passed survive: they came
 * through the runtime's own execve, so they are not close-on-exec; the runtime's
 * own fds (all opened close-on-exec) that landed in a gap of that range are not
 * passed, and a gap stays a gap (as crun). */
static void exec_program(struct oci_plan *plan, const char *path, int report_fd)
{
    unsigned int first_closed = 3 + (unsigned int) plan->preserve_fds;
    if (syscall(SYS_close_range, first_closed, ~0U, CLOSE_RANGE_CLOEXEC) < 0)
        for (int fd = first_closed; fd < 65536; fd++)
            fcntl(fd, F_SETFD, FD_CLOEXEC);
    if (plan->exec_stub_fd >= 0)
        exec_via_stub(plan, path, report_fd);
    execve(path, plan->argv, plan->envp);
    oci_die_errno(report_fd, "exec %s", path);
}

/* A cwd reached through a leaked fd ("/proc/self/fd/N/..", CVE-2024-21626) lies
 * outside the container's root: getcwd() then fails with ENOENT ("(unreachable)").
 * Only ENOENT: after a user switch a seccomp filter may already refuse getcwd. */
static void check_cwd_in_root(int sync_fd, const char *cwd)
{
    char buf[4096];
    if (!getcwd(buf, sizeof buf) && errno == ENOENT)
        oci_die(sync_fd, "cwd (\"%s\") is outside the container's root: possible container breakout", cwd ? cwd : "");
}

static void exit_on_signal(int sig)
{
    _exit(128 + sig);
}

/* A created container dies of `kill` (SIGTERM by default) as runc's does. As the init
 * of a pid namespace it would ignore every signal left at SIG_DFL, so the terminating
 * ones get a handler until exec resets them. */
static void die_on_terminating_signals(void)
{
    static const int sigs[] = { SIGHUP, SIGINT, SIGQUIT, SIGTERM, SIGUSR1, SIGUSR2, SIGALRM };
    for (size_t i = 0; i < sizeof sigs / sizeof sigs[0]; i++)
        signal(sigs[i], exit_on_signal);
}

/* One read of the start connection; an fd riding on it (the exec stub: oci_exec_stub_memfd)
 * becomes the plan's. A seccomp profile may refuse recvmsg: then a plain read. */
static ssize_t read_start(struct oci_plan *plan, int conn, char *buf, size_t len)
{
    union { struct cmsghdr h; char space[CMSG_SPACE(sizeof(int))]; } u;
    struct iovec iov = { .iov_base = buf, .iov_len = len };
    struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = u.space, .msg_controllen = sizeof u.space };
    struct cmsghdr *c;
    ssize_t n = recvmsg(conn, &msg, MSG_CMSG_CLOEXEC);
    if (n < 0 && (errno == EPERM || errno == ENOSYS || errno == EACCES))
        return read(conn, buf, len);
    c = n > 0 ? CMSG_FIRSTHDR(&msg) : NULL;
    if (c && c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS && plan->exec_stub_fd < 0)
        memcpy(&plan->exec_stub_fd, CMSG_DATA(c), sizeof(int));
    return n;
}

static void wait_for_start(struct oci_plan *plan, int listen_fd, const char *path)
{
    static char state[1 << 16];
    size_t used = 0;
    ssize_t n;
    int conn;
    die_on_terminating_signals();
    do
        conn = accept4(listen_fd, NULL, NULL, SOCK_CLOEXEC);
    while (conn < 0 && errno == EINTR);
    if (conn < 0)
        _exit(1);
    close(listen_fd);
    while (used < sizeof state - 1 && (n = read_start(plan, conn, state + used, sizeof state - 1 - used)) != 0) {
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            break;
        used += (size_t) n;
    }
    state[used] = '\0';
    oci_run_hooks(conn, "startContainer", plan->start_container_hooks, plan->n_start_container_hooks, plan->envp,
                  state);
    exec_program(plan, path, conn);
}

static void stage2(struct oci_plan *plan, int listen_fd)
{
    static char state[1 << 16];
    char exe[4096], *hook_state;
    const char *path;
    int sync_fd = plan->sync_fd;
    int rootfd = -1, in_cwd;

    reset_signals();
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    prctl(PR_SET_DUMPABLE, 0);
    if (setsid() < 0)
        oci_die_errno(sync_fd, "setsid");
    if (plan->exec_only && plan->seccomp && plan->seccomp->notify) {
        /* the listener's message for an exec'd process: its host pid (which only the runtime
         * knows across the pid namespace) and the container's state, asked for here */
        char *rest;
        oci_sync_send(sync_fd, OCI_SYNC_SECCOMP_STATE, NULL);
        oci_sync_expect(sync_fd, OCI_SYNC_STATE, state, sizeof state);
        plan->seccomp->pid = strtol(state, &rest, 10);
        memmove(state, rest + (*rest == ' '), strlen(rest + (*rest == ' ')) + 1);
    }

    if (plan->clone_flags & CLONE_NEWNET)
        oci_loopback_up(plan);
    if (!plan->exec_only) {
        umask(0);
        rootfd = open(plan->rootfs, O_PATH | O_DIRECTORY | O_CLOEXEC);
        if (rootfd < 0)
            oci_die_errno(sync_fd, "rootfs %s", plan->rootfs);
        if (!plan->host_mount_ns) {
            oci_prepare_rootfs(plan, rootfd);
            close(rootfd);
            /* the rootfs is now a bind mount of itself: reopen its root */
            rootfd = open(plan->rootfs, O_PATH | O_DIRECTORY | O_CLOEXEC);
            if (rootfd < 0)
                oci_die_errno(sync_fd, "rootfs %s", plan->rootfs);
            oci_mount_all(plan, rootfd);
            oci_create_devices(plan, rootfd);
            if (plan->dev_links)
                oci_create_dev_links(rootfd);
        }

        oci_sync_send(sync_fd, OCI_SYNC_HOOKS, NULL);
        /* two lines: the state for the seccomp listener ("creating", as runc sends it)
         * and the one for hooks ("created": the create operation is done by then, as
         * the runtime-spec's lifecycle and the OCI validation suite have it) */
        oci_sync_expect(sync_fd, OCI_SYNC_STATE, state, sizeof state);
        hook_state = strchr(state, '\n');
        if (!hook_state)
            oci_die(sync_fd, "init: no hook state from the runtime");
        *hook_state++ = '\0';
        oci_run_hooks(sync_fd, "createContainer", plan->create_container_hooks, plan->n_create_container_hooks,
                      plan->envp, hook_state);

        oci_set_uts(plan);
        if (plan->host_mount_ns) {
            oci_apply_sysctl(plan); /* through the host's /proc: the rootfs has none mounted */
            oci_chroot_rootfs(plan, rootfd);
            oci_make_cwd(plan);
        } else {
            oci_enter_rootfs(plan, rootfd);
            oci_make_cwd(plan);
            oci_apply_sysctl(plan);
            oci_finish_rootfs(plan);
        }
        umask(022);
    } else if (plan->host_mount_ns) {
        /* `exec` into a container without a mount namespace: its init's root */
        rootfd = open(plan->rootfs, O_PATH | O_DIRECTORY | O_CLOEXEC);
        if (rootfd < 0)
            oci_die_errno(sync_fd, "container root %s", plan->rootfs);
        oci_chroot_rootfs(plan, rootfd);
    }

    oci_apply_process_attrs(plan);
    if (plan->apparmor_profile)
        oci_apply_apparmor(plan);
    oci_setup_terminal(plan);
    /* as runc: into cwd while still root (a 0700 directory the user may not enter works),
     * and as the user when root could not (a root-squashed NFS export). Checked before
     * the container's seccomp filter is loaded: the check must not depend on what the
     * profile allows (one may block getcwd). */
    in_cwd = plan->cwd && chdir(plan->cwd) == 0;
    if (in_cwd)
        check_cwd_in_root(sync_fd, plan->cwd);
    if (plan->seccomp && !plan->no_new_privileges)
        install_seccomp(plan, sync_fd, state);
    oci_drop_bounding(plan);
    oci_default_home(plan);
    oci_switch_user(plan);
    oci_apply_caps(plan);
    if (plan->cwd && !in_cwd) {
        if (chdir(plan->cwd) < 0)
            oci_die_errno(sync_fd, "chdir to cwd (\"%s\") set in config.json", plan->cwd);
        check_cwd_in_root(sync_fd, plan->cwd);
    }
    path = oci_find_executable(plan, exe, sizeof exe);
    if (!path && strchr(plan->argv[0], '/'))
        oci_die_errno(sync_fd, "exec: \"%s\"", plan->argv[0]);
    if (!path)
        oci_die(sync_fd, "exec: \"%s\": executable file not found in $PATH", plan->argv[0]);
    if (plan->no_new_privileges && prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
        oci_die_errno(sync_fd, "prctl(PR_SET_NO_NEW_PRIVS)");
    if (plan->seccomp && plan->no_new_privileges)
        install_seccomp(plan, sync_fd, state);

    /* from here the process outlives a runtime that exits (create, exec --detach) */
    prctl(PR_SET_PDEATHSIG, 0);
    if (plan->exec_only)
        exec_program(plan, path, sync_fd); /* success: the runtime sees EOF */

    oci_sync_send(sync_fd, OCI_SYNC_READY, NULL);
    close(sync_fd);
    wait_for_start(plan, listen_fd, path);
}

static void write_file(int sync_fd, const char *path, const char *data)
{
    int fd = open(path, O_WRONLY | O_CLOEXEC);
    if (fd < 0 || write(fd, data, strlen(data)) < 0)
        oci_die_errno(sync_fd, "write %s", path);
    close(fd);
}

static int cmp_int(const void *a, const void *b)
{
    return *(const int *) a - *(const int *) b;
}

/* Close every inherited fd but stdio, the preserved ones and our own: the runtime's
 * fds (its state dir lock among them) must not live on in the container's init. In
 * the preserved range the caller's fds are the ones not close-on-exec (they came
 * through the runtime's execve); a runtime fd that filled a gap there goes too. */
static void close_inherited_fds(const struct oci_plan *plan, int listen_fd)
{
    int keep[5] = { plan->sync_fd, listen_fd, plan->console_fd, plan->seccomp ? plan->seccomp->listener_fd : -1,
                    plan->exec_stub_fd };
    unsigned int from = 3 + (unsigned int) plan->preserve_fds;
    qsort(keep, 5, sizeof keep[0], cmp_int);
    for (int fd = 3; fd < (int) from; fd++) {
        int fd_flags = fcntl(fd, F_GETFD), kept = 0;
        for (int i = 0; i < 5; i++)
            kept |= keep[i] == fd;
        if (fd_flags >= 0 && (fd_flags & FD_CLOEXEC) && !kept)
            close(fd);
    }
    for (int i = 0; i < 5; i++) {
        if (keep[i] < (int) from)
            continue;
        if (keep[i] > (int) from)
            syscall(SYS_close_range, from, keep[i] - 1, 0);
        from = (unsigned int) keep[i] + 1;
    }
    syscall(SYS_close_range, from, ~0U, 0);
}

/* Writing "0" (ourselves, a single thread) to a v1 `tasks` file skips the global
 * threadgroup lock that a cgroup.procs write takes, and its RCU grace period. */
static void join_v1_cgroups(const struct oci_plan *plan)
{
    for (int i = 0; i < plan->n_cgroup_tasks; i++) {
        int fd = open(plan->cgroup_tasks[i], O_WRONLY | O_CLOEXEC);
        if (fd < 0 || write(fd, "0", 1) < 0)
            oci_die_errno(plan->sync_fd, "join cgroup %s", plan->cgroup_tasks[i]);
        close(fd);
    }
}

/* CLONE_INTO_CGROUP is refused once stage 1 is in a new user namespace (no right
 * to the directory) or in the container's cgroup namespace (its own cgroup lies
 * outside that namespace's root), as for `exec`. */
static int can_clone_into_cgroup(const struct oci_plan *plan)
{
    if (plan->clone_flags & CLONE_NEWUSER)
        return 0;
    for (int i = 0; i < plan->n_joins; i++)
        if (plan->joins[i].type == CLONE_NEWUSER || plan->joins[i].type == CLONE_NEWCGROUP)
            return 0;
    return 1;
}

/* The cgroup2 directory stage 2 is cloned into (an fd), or -1 when stage 1 must
 * move itself now, while it still can (a cgroup.procs write: that one pays the
 * grace period). */
static int prepare_cgroup2(const struct oci_plan *plan)
{
    char path[4096];
    int fd;
    if (!plan->cgroup2_dir)
        return -1;
    if (can_clone_into_cgroup(plan)) {
        fd = open(plan->cgroup2_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (fd < 0)
            oci_die_errno(plan->sync_fd, "open cgroup %s", plan->cgroup2_dir);
        return fd;
    }
    snprintf(path, sizeof path, "%s/cgroup.procs", plan->cgroup2_dir);
    fd = open(path, O_WRONLY | O_CLOEXEC);
    if (fd < 0 || write(fd, "0", 1) < 0)
        oci_die_errno(plan->sync_fd, "join cgroup %s", plan->cgroup2_dir);
    close(fd);
    return -1;
}

struct clone3_args {
    unsigned long long flags, pidfd, child_tid, parent_tid, exit_signal;
    unsigned long long stack, stack_size, tls, set_tid, set_tid_size, cgroup;
};
#define OCI_CLONE_INTO_CGROUP 0x200000000ULL

/* Stage 2, a sibling of ours (CLONE_PARENT), born in the cgroup2 directory if any. */
static long clone_stage2(int flags, int cgroup2_fd)
{
    struct clone3_args args;
    if (cgroup2_fd < 0)
        return syscall(SYS_clone, CLONE_PARENT | flags, NULL, NULL, NULL, NULL);
    memset(&args, 0, sizeof args);
    args.flags = (unsigned long long) (CLONE_PARENT | flags) | OCI_CLONE_INTO_CGROUP;
    args.cgroup = (unsigned long long) cgroup2_fd;
    return syscall(SYS_clone3, &args, sizeof args);
}

static void stage1(struct oci_plan *plan, int listen_fd)
{
    char msg[64];
    int sync_fd = plan->sync_fd;
    /* the cgroup namespace is unshared by stage 2 once it is in its cgroup */
    int flags = plan->clone_flags & ~(CLONE_NEWUSER | CLONE_NEWTIME | CLONE_NEWCGROUP);
    int cgroup2_fd = -1;
    int gate[2], ns_fds[OCI_MAX_JOINS];
    long pid;

    prctl(PR_SET_PDEATHSIG, SIGKILL);
    close_inherited_fds(plan, listen_fd);
    join_v1_cgroups(plan);
    cgroup2_fd = prepare_cgroup2(plan);
    oci_open_namespaces(plan, ns_fds);
    oci_open_mount_trees(plan);
    oci_join_namespaces(plan, ns_fds, 1);
    if ((plan->clone_flags & CLONE_NEWUSER) && unshare(CLONE_NEWUSER) < 0)
        oci_die_errno(sync_fd, "unshare user namespace");
    oci_sync_send(sync_fd, OCI_SYNC_STAGE1, NULL);
    oci_sync_expect(sync_fd, OCI_SYNC_GO, NULL, 0);
    /* inherited by stage 2 from its first instruction in the container's pid namespace:
     * while it is the runtime's binary, no container process may open its /proc/PID/exe
     * (CVE-2019-5736), fds, cwd or memory. Not earlier: the runtime (rootless: not
     * root) writes a new user namespace's maps in our /proc, owned by root once set. */
    prctl(PR_SET_DUMPABLE, 0);
    if (plan->clone_flags & CLONE_NEWUSER) {
        if (setresgid(0, 0, 0) < 0 || setresuid(0, 0, 0) < 0)
            oci_die_errno(sync_fd, "become root in the user namespace (is uid/gid 0 mapped?)");
    }
    oci_join_namespaces(plan, ns_fds, 0);
    if (plan->clone_flags & CLONE_NEWTIME) {
        if (unshare(CLONE_NEWTIME) < 0)
            oci_die_errno(sync_fd, "unshare time namespace");
        if (plan->has_time_offsets) {
            char offsets[128];
            snprintf(offsets, sizeof offsets, "monotonic %lld %lld\nboottime %lld %lld\n",
                     plan->time_offsets[0], plan->time_offsets[1], plan->time_offsets[2], plan->time_offsets[3]);
            write_file(sync_fd, "/proc/self/timens_offsets", offsets);
        }
    }
    /* stage 2 shares the sync socket: it waits (EOF on the gate, when we exit) so
     * that "pid N" always reaches the runtime before its first message */
    if (pipe2(gate, O_CLOEXEC) < 0)
        oci_die_errno(sync_fd, "pipe");
    pid = clone_stage2(flags, cgroup2_fd);
    if (pid < 0)
        oci_die_errno(sync_fd, "clone");
    if (pid == 0) {
        if (cgroup2_fd >= 0)
            close(cgroup2_fd); /* a host directory: never into the container */
        if ((plan->clone_flags & CLONE_NEWCGROUP) && unshare(CLONE_NEWCGROUP) < 0)
            oci_die_errno(sync_fd, "unshare cgroup namespace");
        close(gate[1]);
        while (read(gate[0], msg, 1) < 0 && errno == EINTR)
            ;
        close(gate[0]);
        stage2(plan, listen_fd);
    }
    snprintf(msg, sizeof msg, "%ld", pid);
    oci_sync_send(sync_fd, OCI_SYNC_PID, msg);
    _exit(0);
}

int oci_spawn(struct oci_plan *plan, int *pid_out, int *sync_out, char *err, int errlen)
{
    int pair[2];
    int listen_fd = -1;
    pid_t pid;

    if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, pair) < 0) {
        snprintf(err, errlen, "socketpair: %s", strerror(errno));
        return -1;
    }
    if (!plan->exec_only && (listen_fd = listen_start_socket(plan->state_dir_fd)) < 0) {
        snprintf(err, errlen, "start socket: %s", strerror(errno));
        close(pair[0]);
        close(pair[1]);
        return -1;
    }
    plan->sync_fd = pair[1];
    plan->exec_stub_fd = plan->exec_only ? oci_exec_stub_memfd() : -1;
    pid = fork();
    if (pid < 0) {
        snprintf(err, errlen, "fork: %s", strerror(errno));
        close(pair[0]);
        close(pair[1]);
        if (plan->exec_stub_fd >= 0)
            close(plan->exec_stub_fd);
        if (listen_fd >= 0)
            close(listen_fd);
        return -1;
    }
    if (pid == 0) {
        close(pair[0]);
        stage1(plan, listen_fd);
    }
    if (plan->exec_stub_fd >= 0)
        close(plan->exec_stub_fd);
    close(pair[1]);
    if (listen_fd >= 0)
        close(listen_fd);
    *pid_out = pid;
    *sync_out = pair[0];
    return 0;
}
