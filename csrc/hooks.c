/* Hooks that run inside the container (createContainer, startContainer): the
 * state JSON on stdin, args/env as given (env: the container process's if none),
 * killed at their timeout. */
#include "internal.h"
#include <poll.h>
#include <sys/mman.h>
#include <sys/socket.h>

static int wait_hook(pid_t pid, int timeout, int *status)
{
    int pidfd = (int) syscall(SYS_pidfd_open, pid, 0);
    if (pidfd >= 0) {
        struct pollfd p = { .fd = pidfd, .events = POLLIN };
        int r;
        do
            r = poll(&p, 1, timeout > 0 ? timeout * 1000 : -1);
        while (r < 0 && errno == EINTR);
        close(pidfd);
        if (r == 0) {
            kill(pid, SIGKILL);
            waitpid(pid, status, 0);
            return -1;
        }
    }
    while (waitpid(pid, status, 0) < 0 && errno == EINTR)
        ;
    return 0;
}

/* What a hook wrote to fd (a memfd: no pipe it could fill, none a daemon it forked
 * could hold open), on one line, as ", NAME: TEXT"; "" if nothing. */
static void hook_said(int fd, const char *name, char *buf, size_t len)
{
    char text[2048];
    ssize_t n = pread(fd, text, sizeof text - 1, 0);
    close(fd);
    text[n > 0 ? n : 0] = '\0';
    for (char *p = text; *p; p++)
        if (*p == '\n' || *p == '\r' || *p == '\t')
            *p = ' ';
    for (n = (ssize_t) strlen(text); n > 0 && text[n - 1] == ' '; n--)
        text[n - 1] = '\0';
    snprintf(buf, len, text[0] ? ", %s: %s" : "", name, text);
}

/* The hook runs with the state on stdin, stdout and stderr kept in memfds (as runc
 * keeps them for its error); envp is the container process's unless the hook has one. */
static pid_t spawn_hook(int sync_fd, const struct oci_hook *h, char **envp, int out[2], const char *state)
{
    char *default_argv[] = { (char *) h->path, NULL };
    int sv[2];
    pid_t pid;
    out[0] = memfd_create("hook-stdout", MFD_CLOEXEC);
    out[1] = memfd_create("hook-stderr", MFD_CLOEXEC);
    if (out[0] < 0 || out[1] < 0 || socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0)
        oci_die_errno(sync_fd, "hook %s: set up its stdio", h->path);
    pid = fork();
    if (pid < 0)
        oci_die_errno(sync_fd, "hook %s: fork", h->path);
    if (pid == 0) {
        if (dup2(sv[1], 0) < 0 || dup2(out[0], 1) < 0 || dup2(out[1], 2) < 0)
            _exit(127);
        execve(h->path, h->argv ? h->argv : default_argv, h->envp ? h->envp : envp);
        _exit(127);
    }
    close(sv[1]);
    send(sv[0], state, strlen(state), MSG_NOSIGNAL);
    close(sv[0]);
    return pid;
}

void oci_run_hooks(int sync_fd, const char *kind, const struct oci_hook *hooks, int n, char **envp, const char *state)
{
    for (int i = 0; i < n; i++) {
        const struct oci_hook *h = &hooks[i];
        char said_out[2100], said_err[2100];
        int out[2], status = 0, timed_out;
        pid_t pid = spawn_hook(sync_fd, h, envp, out, state);

        timed_out = wait_hook(pid, h->timeout, &status) < 0;
        hook_said(out[0], "stdout", said_out, sizeof said_out);
        hook_said(out[1], "stderr", said_err, sizeof said_err);
        if (timed_out)
            oci_die(sync_fd, "%s hook #%d (%s): timed out after %ds%s%s", kind, i, h->path, h->timeout,
                    said_out, said_err);
        if (WIFEXITED(status) && WEXITSTATUS(status) == 127 && !said_out[0] && !said_err[0])
            oci_die(sync_fd, "%s hook #%d (%s): could not be executed", kind, i, h->path);
        if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
            oci_die(sync_fd, "%s hook #%d (%s): %s %d%s%s", kind, i, h->path,
                    WIFEXITED(status) ? "exit status" : "killed by signal",
                    WIFEXITED(status) ? WEXITSTATUS(status) : WTERMSIG(status), said_out, said_err);
    }
}
