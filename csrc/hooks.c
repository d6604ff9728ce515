/* Hooks that run inside the container (createContainer, startContainer): the
 * state JSON on stdin, args/env as given, killed at their timeout. */
#include "internal.h"
#include <poll.h>
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

void oci_run_hooks(int sync_fd, const char *kind, const struct oci_hook *hooks, int n, const char *state)
{
    for (int i = 0; i < n; i++) {
        const struct oci_hook *h = &hooks[i];
        char *default_argv[] = { (char *) h->path, NULL };
        char *empty_env[] = { NULL };
        int sv[2], status = 0;
        pid_t pid;

        if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0)
            oci_die_errno(sync_fd, "%s hook #%d: socketpair", kind, i);
        pid = fork();
        if (pid < 0)
            oci_die_errno(sync_fd, "%s hook #%d: fork", kind, i);
        if (pid == 0) {
            dup2(sv[1], 0);
            execve(h->path, h->argv ? h->argv : default_argv, h->envp ? h->envp : empty_env);
            _exit(127);
        }
        close(sv[1]);
        send(sv[0], state, strlen(state), MSG_NOSIGNAL);
        close(sv[0]);
        if (wait_hook(pid, h->timeout, &status) < 0)
            oci_die(sync_fd, "%s hook #%d (%s): timed out after %ds", kind, i, h->path, h->timeout);
        if (WIFEXITED(status) && WEXITSTATUS(status) == 127)
            oci_die(sync_fd, "%s hook #%d (%s): could not be executed", kind, i, h->path);
        if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
            oci_die(sync_fd, "%s hook #%d (%s): %s %d", kind, i, h->path,
                    WIFEXITED(status) ? "exit status" : "killed by signal",
                    WIFEXITED(status) ? WEXITSTATUS(status) : WTERMSIG(status));
    }
}
