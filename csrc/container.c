/* The container's state acted on: status, signals, waiting, cgroup teardown, the
 * start handshake and the record's atomic replacement. One implementation for both
 * callers: the `ociruntime` front door (csrc/frontdoor/main.c) and the Python layer
 * (ociruntime/container/, through CFFI), so that what `state` says or `delete` removes
 * cannot differ between them. */
#include "internal.h"
#include <dirent.h>
#include <poll.h>
#include <time.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/un.h>

#ifndef RENAME_EXCHANGE  /* <stdio.h> has it from glibc 2.28 (with _GNU_SOURCE) */
#define RENAME_EXCHANGE (1 << 1)
#endif
#ifndef SYS_pidfd_open
#define SYS_pidfd_open 434
#endif

int oci_proc_start(int pid, char *state_letter, unsigned long long *start_time)
{
    char path[64], buf[1024];
    char *p, *field;
    ssize_t n;
    int fd, i;
    if (pid <= 0)
        return -1;
    snprintf(path, sizeof path, "/proc/%d/stat", pid);
    fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    n = read(fd, buf, sizeof buf - 1);
    close(fd);
    if (n <= 0)
        return -1;
    buf[n] = 0;
    p = strrchr(buf, ')');  /* the command name may hold spaces and parentheses */
    if (!p || p[1] != ' ')
        return -1;
    p += 2;
    *state_letter = *p;
    /* field 22 (starttime) is the 20th after the state letter */
    for (i = 0, field = p; i < 19 && field; i++) {
        field = strchr(field, ' ');
        if (field)
            field++;
    }
    if (!field)
        return -1;
    *start_time = strtoull(field, NULL, 10);
    return 0;
}

/* A small file's first line, trimmed, into buf; -1 if unreadable. */
static int read_line(const char *dir, const char *name, char *buf, size_t len)
{
    char path[PATH_MAX];
    ssize_t n;
    int fd;
    if ((size_t) snprintf(path, sizeof path, "%s/%s", dir, name) >= sizeof path)
        return -1;
    fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    n = read(fd, buf, len - 1);
    close(fd);
    if (n < 0)
        return -1;
    while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == ' '))
        n--;
    buf[n] = 0;
    return 0;
}

int oci_container_status(int state_dir_fd, int pid, unsigned long long start_time,
                         const char *freezer_file, const char *frozen_value)
{
    struct stat st;
    unsigned long long started;
    char letter, buf[64];
    if (oci_proc_start(pid, &letter, &started) < 0 || letter == 'Z' || letter == 'X' || started != start_time)
        return OCI_STATUS_STOPPED;
    if (fstatat(state_dir_fd, "start.sock", &st, AT_SYMLINK_NOFOLLOW) == 0)
        return OCI_STATUS_CREATED;
    if (freezer_file && read_line("/", freezer_file, buf, sizeof buf) == 0 && strcmp(buf, frozen_value) == 0)
        return OCI_STATUS_PAUSED;
    return OCI_STATUS_RUNNING;
}

int oci_wait_exit(int pid, int timeout_ms)
{
    struct pollfd p = { .events = POLLIN };
    int r;
    p.fd = (int) syscall(SYS_pidfd_open, pid, 0);
    if (p.fd < 0)
        return 1;  /* gone already */
    do
        r = poll(&p, 1, timeout_ms);
    while (r < 0 && errno == EINTR);
    close(p.fd);
    return r > 0;
}

/* The kernel's PF_EXITING in /proc/PID/stat's flags (field 9); gone counts as exiting. */
static int exiting(int pid)
{
    char path[64], buf[1024], *p;
    unsigned long flags;
    ssize_t n;
    int fd, i;
    snprintf(path, sizeof path, "/proc/%d/stat", pid);
    if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
        return 1;
    n = read(fd, buf, sizeof buf - 1);
    close(fd);
    if (n <= 0 || !(p = strrchr((buf[n] = 0, buf), ')')))
        return 1;
    for (i = 0; i < 7 && p; i++)  /* ") S ppid pgrp session tty tpgid flags" */
        p = strchr(p + 1, ' ');
    if (!p)
        return 1;
    flags = strtoul(p + 1, NULL, 10);
    return (flags & 0x4) != 0;  /* PF_EXITING, include/linux/sched.h */
}

int oci_wait_dead_or_exiting(int pid, int timeout_ms)
{
    double deadline = 0;
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    deadline = ts.tv_sec * 1e3 + ts.tv_nsec / 1e6 + timeout_ms;
    while (!oci_wait_exit(pid, 20)) {
        clock_gettime(CLOCK_MONOTONIC, &ts);
        if (exiting(pid) || ts.tv_sec * 1e3 + ts.tv_nsec / 1e6 > deadline)
            return exiting(pid);
    }
    return 1;
}

static int cg_write(const char *dir, const char *name, const char *value, const char *field, char *err, int errlen)
{
    char path[PATH_MAX];
    int fd, ok;
    snprintf(path, sizeof path, "%s/%s", dir, name);
    fd = open(path, O_WRONLY | O_CLOEXEC);
    ok = fd >= 0 && write(fd, value, strlen(value)) == (ssize_t) strlen(value);
    if (!ok)
        snprintf(err, errlen, "%s: cannot write '%s' to %s: %s", field, value, name, strerror(errno));
    if (fd >= 0)
        close(fd);
    return ok ? 0 : -1;
}

static int frozen_now(int version, const char *dir)
{
    char buf[4096], *p;
    if (version == 1)
        return read_line(dir, "freezer.state", buf, sizeof buf) == 0 && strcmp(buf, "FROZEN") == 0;
    if (read_line(dir, "cgroup.events", buf, sizeof buf) < 0)
        return 0;
    p = strstr(buf, "frozen ");
    return p && p[7] == '1';
}

/* The state as freezer.state / cgroup.freeze says it is asked for (not yet reached). */
static int freeze_asked(int version, const char *dir)
{
    char buf[64];
    if (version == 1)
        return read_line(dir, "freezer.state", buf, sizeof buf) == 0 && strcmp(buf, "FROZEN") == 0;
    return read_line(dir, "cgroup.freeze", buf, sizeof buf) == 0 && strcmp(buf, "1") == 0;
}

static void pause_ms(double ms)
{
    struct timespec ts = { (time_t) (ms / 1000), (long) ((ms - (time_t) (ms / 1000) * 1000) * 1e6) };
    nanosleep(&ts, NULL);
}

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

int oci_cgroup_freeze(int version, const char *dir, int frozen, char *err, int errlen)
{
    const char *name = version == 1 ? "freezer.state" : "cgroup.freeze";
    const char *value = version == 1 ? (frozen ? "FROZEN" : "THAWED") : (frozen ? "1" : "0");
    double deadline = now_ms() + 5000, delay = 0.5;
    if (cg_write(dir, name, value, "cgroups freezer", err, errlen) < 0)
        return -1;
    while (frozen_now(version, dir) != frozen) {
        if (now_ms() > deadline) {
            snprintf(err, errlen, "cgroups: timed out waiting for %s", version == 1
                     ? (frozen ? "the freezer to reach FROZEN" : "the freezer to reach THAWED")
                     : (frozen ? "the cgroup to freeze" : "the cgroup to thaw"));
            if (frozen)
                oci_cgroup_freeze(version, dir, 0, err + strlen(err), 0);
            return -1;
        }
        pause_ms(delay);
        delay = delay * 2 < 50 ? delay * 2 : 50;
        /* v1: a task forking during the freeze can leave it FREEZING: ask again */
        if (version == 1 && frozen && cg_write(dir, name, value, "cgroups freezer", err, errlen) < 0)
            return -1;
    }
    return 0;
}

/* Signal every pid listed in dir's cgroup.procs and its descendants' (signum -1:
 * none); how many there were. */
static int signal_tree(const char *dir, int signum, int depth)
{
    int count = 0;
    char path[PATH_MAX], buf[4096];
    DIR *d;
    struct dirent *e;
    ssize_t n;
    int fd;
    snprintf(path, sizeof path, "%s/cgroup.procs", dir);
    fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd >= 0) {
        char carry[32] = "";
        while ((n = read(fd, buf, sizeof buf - 1)) > 0) {
            char *p = buf, *nl;
            buf[n] = 0;
            while ((nl = strchr(p, '\n'))) {
                *nl = 0;
                if (*carry) {  /* a pid split across two reads */
                    strncat(carry, p, sizeof carry - strlen(carry) - 1);
                    count++;
                    if (signum >= 0)
                        kill(atoi(carry), signum);
                    carry[0] = 0;
                } else if (*p) {
                    count++;
                    if (signum >= 0)
                        kill(atoi(p), signum);
                }
                p = nl + 1;
            }
            strncat(carry, p, sizeof carry - strlen(carry) - 1);
        }
        close(fd);
    }
    if (depth > 64 || !(d = opendir(dir)))
        return count;
    while ((e = readdir(d)))
        if (e->d_type == DT_DIR && strcmp(e->d_name, ".") && strcmp(e->d_name, "..")) {
            if ((size_t) snprintf(path, sizeof path, "%s/%s", dir, e->d_name) < sizeof path)
                count += signal_tree(path, signum, depth + 1);
        }
    closedir(d);
    return count;
}

int oci_cgroup_pid_count(const char *procs_dir)
{
    return signal_tree(procs_dir, -1, 0);
}

int oci_cgroup_kill_all(int version, const char *procs_dir, const char *freezer_dir, int signum,
                        char *err, int errlen)
{
    char path[PATH_MAX];
    int freezable, was_frozen, rc = 0;
    if (version == 2 && signum == SIGKILL) {
        snprintf(path, sizeof path, "%s/cgroup.kill", procs_dir);
        if (access(path, F_OK) == 0)  /* 5.14+: atomic, no fork race */
            return cg_write(procs_dir, "cgroup.kill", "1", "cgroups: kill", err, errlen);
    }
    freezable = freezer_dir != NULL;
    if (freezable && version == 2) {
        snprintf(path, sizeof path, "%s/cgroup.freeze", freezer_dir);
        freezable = access(path, F_OK) == 0;
    }
    was_frozen = freezable && freeze_asked(version, freezer_dir);
    if (freezable && !was_frozen && oci_cgroup_freeze(version, freezer_dir, 1, err, errlen) < 0)
        return -1;
    signal_tree(procs_dir, signum, 0);
    if (freezable && (!was_frozen || signum == SIGKILL))
        rc = oci_cgroup_freeze(version, freezer_dir, 0, err, errlen);
    return rc;
}

/* Every directory of a tree, parents before children, into a growing list. */
static int list_dirs(const char *dir, char ***list, size_t *n, size_t *cap, int depth)
{
    DIR *d;
    struct dirent *e;
    char path[PATH_MAX];
    if (*n == *cap) {
        char **grown = realloc(*list, (*cap = *cap * 2 + 16) * sizeof **list);
        if (!grown)
            return -1;
        *list = grown;
    }
    if (!((*list)[*n] = strdup(dir)))
        return -1;
    (*n)++;
    if (depth > 64 || !(d = opendir(dir)))
        return 0;
    while ((e = readdir(d)))
        if (e->d_type == DT_DIR && strcmp(e->d_name, ".") && strcmp(e->d_name, "..")
            && (size_t) snprintf(path, sizeof path, "%s/%s", dir, e->d_name) < sizeof path
            && list_dirs(path, list, n, cap, depth + 1) < 0) {
            closedir(d);
            return -1;
        }
    closedir(d);
    return 0;
}

int oci_cgroup_remove_tree(const char *dir, char *err, int errlen)
{
    struct stat st;
    char **dirs = NULL;
    size_t n = 0, cap = 0, i;
    double delay = 5;
    int rc = 0;
    if (stat(dir, &st) < 0 || !S_ISDIR(st.st_mode))
        return 0;
    if (list_dirs(dir, &dirs, &n, &cap, 0) < 0) {
        snprintf(err, errlen, "cgroups: cannot remove %s: %s", dir, strerror(ENOMEM));
        rc = -1;
    }
    for (i = n; rc == 0 && i-- > 0;) {
        int attempt;
        for (attempt = 0; attempt < 8; attempt++) {
            if (rmdir(dirs[i]) == 0 || errno == ENOENT)
                break;
            if (errno != EBUSY || attempt == 7) {
                snprintf(err, errlen, "cgroups: cannot remove %s: %s", dirs[i], strerror(errno));
                rc = -1;
                break;
            }
            pause_ms(delay);  /* dying tasks still leaving it */
            delay = delay * 2 < 200 ? delay * 2 : 200;
        }
    }
    for (i = 0; i < n; i++)
        free(dirs[i]);
    free(dirs);
    return rc;
}

/* An exchange, then the old record (now under tmp) unlinked, rather than a rename over
 * name: ext4's auto_da_alloc writes out a file renamed over another before the rename
 * returns, which cost `create` 0.3-120 ms a record rewrite on an ext4 --root (journal
 * waits). No name yet (ENOENT), or a filesystem without exchange (EINVAL): a rename. */
int oci_replace_file(int dir_fd, const char *tmp, const char *name)
{
    if (syscall(SYS_renameat2, dir_fd, tmp, dir_fd, name, RENAME_EXCHANGE) == 0)
        return unlinkat(dir_fd, tmp, 0) < 0 && errno != ENOENT ? -1 : 0;
    if (errno != ENOENT && errno != EINVAL)
        return -1;
    return renameat(dir_fd, tmp, dir_fd, name);
}

extern const unsigned char oci_exec_stub[];
extern const unsigned int oci_exec_stub_len;

/* The exec stub in a sealed memfd: the container's program is exec'd by it, so
 * /proc/self/exe at that execve is the sealed stub, never the runtime's interpreter
 * on the host (CVE-2019-5736: `#!/proc/self/exe`). -1 if there is none. `exec` makes
 * it before the fork; `start` hands it to the waiting init, which holds no such fd
 * across the wait. */
int oci_exec_stub_memfd(void)
{
    unsigned int done = 0;
    int fd;
    if (oci_exec_stub_len == 0)
        return -1;
    fd = memfd_create("ociruntime-exec", MFD_CLOEXEC | MFD_ALLOW_SEALING);
    if (fd < 0)
        return -1;
    while (done < oci_exec_stub_len) {
        ssize_t n = write(fd, oci_exec_stub + done, oci_exec_stub_len - done);
        if (n <= 0) {
            close(fd);
            return -1;
        }
        done += (unsigned int) n;
    }
    if (fcntl(fd, F_ADD_SEALS, F_SEAL_SEAL | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE) < 0) {
        close(fd);
        return -1;
    }
    return fd;
}

static int send_all(int sock, const char *data, size_t len)
{
    while (len > 0) {
        ssize_t n = send(sock, data, len, MSG_NOSIGNAL);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return -1;
        data += n;
        len -= (size_t) n;
    }
    return 0;
}

int oci_start_connect(int state_dir_fd)
{
    struct sockaddr_un addr = { .sun_family = AF_UNIX };
    int sock, err;
    /* via the dir fd: a state dir path may exceed sun_path's 108 bytes */
    snprintf(addr.sun_path, sizeof addr.sun_path, "/proc/self/fd/%d/start.sock", state_dir_fd);
    sock = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (sock < 0 || connect(sock, (struct sockaddr *) &addr, sizeof addr) < 0) {
        err = errno;
        if (sock >= 0)
            close(sock);
        return -err;
    }
    return sock;
}

int oci_start_release(int sock, int state_dir_fd, const char *state_json, int init_pid, char *reply, int replylen)
{
    size_t len = strlen(state_json), used = 0;
    int stub, sent;
    ssize_t n;
    unlinkat(state_dir_fd, "start.sock", 0);
    /* the sealed exec stub rides on the first bytes: made now, so the init holds no
     * such fd while it waits for start */
    stub = oci_exec_stub_memfd();
    if (stub >= 0) {
        sent = oci_send_fd_with(sock, stub, state_json, len);
        close(stub);
    } else {
        sent = send_all(sock, state_json, len);
    }
    if (sent < 0) {
        snprintf(reply, replylen, "%s", strerror(errno));
        close(sock);
        return -1;
    }
    shutdown(sock, SHUT_WR);
    /* the init closes the connection by exec'ing (its end is close-on-exec), or answers first */
    while (used < (size_t) replylen - 1 && (n = read(sock, reply + used, replylen - 1 - used)) != 0) {
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            break;
        used += (size_t) n;
    }
    reply[used] = 0;
    close(sock);
    if (used > 0)  /* the init reported a failure and exits: no "running" after a failed start */
        oci_wait_exit(init_pid, 2000);
    return used > 0;
}
