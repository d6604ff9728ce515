/* Fork server for bench/startup.py.
 *
 * Why: ru_maxrss of a process includes the memory image it had before execve, so a
 * runtime forked from the Python bench would report at least the bench's own RSS. Forking
 * every runtime call from this small process makes wait4's ru_maxrss the runtime's own.
 * It also times each call (fork to wait4) in C.
 *
 * Protocol: one request per line on stdin, tab-separated; one reply line per request.
 *   S <tag> <mntns fd or -1> <arg0> <arg1> ...  -> P <tag> <pid>      (spawn; stderr -> ERRDIR/<tag>)
 *   W <tag> <timeout ms or -1>                   -> D <tag> <wait status> <elapsed ns> <maxrss KiB> <timed out 0|1>
 * Any failure of the launcher itself -> E <tag> <message>.
 * On EOF it SIGKILLs and reaps the calls still running, then exits.
 * Usage: launcher ERRDIR */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define MAX_CALLS 512
#define MAX_ARGS 64

struct call {
    char tag[64];
    pid_t pid;
    int pidfd;
    struct timespec start;
};

static struct call calls[MAX_CALLS];
static const char *errdir;
static int devnull;

static long long elapsed_ns(const struct timespec *start)
{
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (now.tv_sec - start->tv_sec) * 1000000000LL + (now.tv_nsec - start->tv_nsec);
}

static struct call *find(const char *tag)
{
    for (int i = 0; i < MAX_CALLS; i++)
        if (calls[i].pid > 0 && strcmp(calls[i].tag, tag) == 0)
            return &calls[i];
    return NULL;
}

static struct call *free_slot(void)
{
    for (int i = 0; i < MAX_CALLS; i++)
        if (calls[i].pid == 0)
            return &calls[i];
    return NULL;
}

static void reply(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void reply(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vprintf(fmt, ap);
    va_end(ap);
    fflush(stdout);
}

static void child(int errfd, int nsfd, char **argv)
{
    setpgid(0, 0); /* a terminal Ctrl-C reaches only the bench, which then cleans up */
    if (nsfd >= 0) {
        if (setns(nsfd, CLONE_NEWNS) < 0) {
            dprintf(errfd, "launcher: setns(%d): %s\n", nsfd, strerror(errno));
            _exit(127);
        }
        fcntl(nsfd, F_SETFD, FD_CLOEXEC);
    }
    dup2(devnull, 0);
    dup2(devnull, 1);
    dup2(errfd, 2);
    execv(argv[0], argv);
    dprintf(2, "launcher: exec %s: %s\n", argv[0], strerror(errno));
    _exit(127);
}

static void do_spawn(char *tag, char *rest)
{
    char *argv[MAX_ARGS + 1];
    int argc = 0;
    char *nsfield = strsep(&rest, "\t");
    int nsfd = nsfield ? atoi(nsfield) : -1;
    while (rest && argc < MAX_ARGS)
        argv[argc++] = strsep(&rest, "\t");
    argv[argc] = NULL;
    struct call *c = free_slot();
    if (argc == 0 || !c) {
        reply("E\t%s\t%s\n", tag, argc == 0 ? "no argv" : "too many calls in flight");
        return;
    }
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", errdir, tag);
    int errfd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (errfd < 0) {
        reply("E\t%s\topen %s: %s\n", tag, path, strerror(errno));
        return;
    }
    clock_gettime(CLOCK_MONOTONIC, &c->start);
    pid_t pid = fork();
    if (pid == 0)
        child(errfd, nsfd, argv);
    close(errfd);
    if (pid < 0) {
        reply("E\t%s\tfork: %s\n", tag, strerror(errno));
        return;
    }
    c->pid = pid;
    c->pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
    snprintf(c->tag, sizeof c->tag, "%s", tag);
    reply("P\t%s\t%d\n", tag, pid);
}

static void finish(struct call *c, int timeout_ms)
{
    struct pollfd pfd = {.fd = c->pidfd, .events = POLLIN};
    int timed_out = 0;
    if (c->pidfd >= 0 && poll(&pfd, 1, timeout_ms) == 0) {
        kill(c->pid, SIGKILL);
        timed_out = 1;
    }
    int status = 0;
    struct rusage ru;
    memset(&ru, 0, sizeof ru);
    while (wait4(c->pid, &status, 0, &ru) < 0 && errno == EINTR)
        ;
    long long ns = elapsed_ns(&c->start);
    reply("D\t%s\t%d\t%lld\t%ld\t%d\n", c->tag, status, ns, ru.ru_maxrss, timed_out);
    if (c->pidfd >= 0)
        close(c->pidfd);
    c->pid = 0;
}

static void do_wait(char *tag, char *rest)
{
    struct call *c = find(tag);
    if (!c) {
        reply("E\t%s\tno such call\n", tag);
        return;
    }
    finish(c, rest ? atoi(rest) : -1);
}

static void kill_all(void)
{
    for (int i = 0; i < MAX_CALLS; i++) {
        if (calls[i].pid > 0) {
            kill(calls[i].pid, SIGKILL);
            waitpid(calls[i].pid, NULL, 0);
            calls[i].pid = 0;
        }
    }
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: launcher ERRDIR\n");
        return 2;
    }
    errdir = argv[1];
    devnull = open("/dev/null", O_RDWR | O_CLOEXEC);
    char *line = NULL;
    size_t cap = 0;
    ssize_t len;
    while ((len = getline(&line, &cap, stdin)) > 0) {
        if (line[len - 1] == '\n')
            line[len - 1] = '\0';
        char *rest = line;
        char *op = strsep(&rest, "\t");
        char *tag = strsep(&rest, "\t");
        if (!tag)
            reply("E\t-\tmalformed request\n");
        else if (strcmp(op, "S") == 0)
            do_spawn(tag, rest);
        else if (strcmp(op, "W") == 0)
            do_wait(tag, rest);
        else
            reply("E\t%s\tunknown op %s\n", tag, op);
    }
    kill_all();
    return 0;
}
