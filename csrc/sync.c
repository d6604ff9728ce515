/* The runtime <-> init protocol (its steps: csrc/ociruntime.h, enum oci_sync_word). */
#include "internal.h"
#include <sys/socket.h>
#include <sys/uio.h>

const char *const oci_sync_words[OCI_SYNC_WORDS] = {
    [OCI_SYNC_STAGE1] = "stage1", [OCI_SYNC_GO] = "go", [OCI_SYNC_PID] = "pid", [OCI_SYNC_HOOKS] = "hooks",
    [OCI_SYNC_STATE] = "state", [OCI_SYNC_READY] = "ready", [OCI_SYNC_SECCOMP_STATE] = "seccomp-state",
    [OCI_SYNC_ERROR] = "error",
};

int oci_sync_send(int fd, enum oci_sync_word word, const char *payload)
{
    /* one sendmsg: a SOCK_SEQPACKET message is "word" or "word payload", never split */
    const char *w = oci_sync_words[word];
    struct iovec iov[3] = { { (void *) w, strlen(w) }, { " ", 1 }, { (void *) payload, payload ? strlen(payload) : 0 } };
    struct msghdr mh = { .msg_iov = iov, .msg_iovlen = payload ? 3 : 1 };
    ssize_t n;
    do
        n = sendmsg(fd, &mh, MSG_NOSIGNAL);
    while (n < 0 && errno == EINTR);
    return n < 0 ? -1 : 0;
}

int oci_sync_recv(int fd, char *buf, int len)
{
    ssize_t n;
    do
        n = recv(fd, buf, len - 1, 0);
    while (n < 0 && errno == EINTR);
    if (n < 0)
        return -1;
    buf[n] = '\0';
    return (int) n;
}

void oci_sync_expect(int fd, enum oci_sync_word word, char *payload, int len)
{
    static char buf[1 << 17];
    const char *want = oci_sync_words[word];
    size_t wl = strlen(want);
    int n = oci_sync_recv(fd, buf, sizeof buf);
    if (n <= 0)
        _exit(1); /* the runtime went away: nothing left to report to */
    if (strncmp(buf, want, wl) != 0 || (buf[wl] != '\0' && buf[wl] != ' '))
        oci_die(fd, "init: expected \"%s\" from the runtime, got \"%.40s\"", want, buf);
    if (payload) {
        const char *p = buf[wl] == ' ' ? buf + wl + 1 : buf + wl;
        snprintf(payload, len, "%s", p);
    }
}

__attribute__((noreturn)) static void vdie(int sync_fd, int with_errno, const char *fmt, va_list ap)
{
    char msg[4096];
    int saved = errno;
    int off = vsnprintf(msg, sizeof msg, fmt, ap);
    if (with_errno && off < (int) sizeof msg)
        snprintf(msg + off, sizeof msg - off, ": %s", strerror(saved));
    if (sync_fd >= 0)
        oci_sync_send(sync_fd, OCI_SYNC_ERROR, msg);
    _exit(1);
}

void oci_die(int sync_fd, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vdie(sync_fd, 0, fmt, ap);
    /* not reached: vdie exits */
}

void oci_die_errno(int sync_fd, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vdie(sync_fd, 1, fmt, ap);
}

int oci_send_fd_with(int sock, int fd, const char *data, size_t len)
{
    union { struct cmsghdr h; char buf[CMSG_SPACE(sizeof(int))]; } u;
    struct iovec iov = { .iov_base = (void *) data, .iov_len = len };
    struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = u.buf, .msg_controllen = sizeof u.buf };
    struct cmsghdr *c = CMSG_FIRSTHDR(&msg);
    c->cmsg_level = SOL_SOCKET;
    c->cmsg_type = SCM_RIGHTS;
    c->cmsg_len = CMSG_LEN(sizeof(int));
    memcpy(CMSG_DATA(c), &fd, sizeof(int));
    /* the fd rides on the first byte; a long payload may take several sends */
    while (iov.iov_len > 0) {
        ssize_t n = sendmsg(sock, &msg, MSG_NOSIGNAL);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return -1;
        iov.iov_base = (char *) iov.iov_base + n;
        iov.iov_len -= (size_t) n;
        msg.msg_control = NULL;
        msg.msg_controllen = 0;
    }
    return 0;
}

int oci_send_fd(int sock, int fd, const char *name)
{
    return oci_send_fd_with(sock, fd, name, strlen(name) + 1);
}

int oci_recv_fd(int sock)
{
    char name[256];
    struct iovec iov = { .iov_base = name, .iov_len = sizeof name };
    union { struct cmsghdr h; char buf[CMSG_SPACE(sizeof(int))]; } u;
    struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = u.buf, .msg_controllen = sizeof u.buf };
    struct cmsghdr *c;
    int fd = -1;
    if (recvmsg(sock, &msg, MSG_CMSG_CLOEXEC) <= 0)
        return -1;
    c = CMSG_FIRSTHDR(&msg);
    if (c && c->cmsg_type == SCM_RIGHTS)
        memcpy(&fd, CMSG_DATA(c), sizeof(int));
    return fd;
}
