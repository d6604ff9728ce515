/* linux.seccomp through libseccomp. ociruntime/seccomp.py made every decision (OCI
 * names to libseccomp values, which rules, one condition set per rule); here the
 * filter is built and loaded and, for SCMP_ACT_NOTIFY, its notify fd handed to the
 * listener at linux.seccomp.listenerPath with the container's state.
 *
 * After seccomp_load() the filter judges every syscall we make, so all the work
 * that may allocate or fail is done before it: only sendmsg() and close() follow. */
#include "internal.h"
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <seccomp.h>
#include <sys/socket.h>

/* linux/seccomp.h: SECCOMP_FILTER_FLAG_* (as stored in struct oci_seccomp.flags) */
#define FLAG_TSYNC 1U
#define FLAG_LOG 2U
#define FLAG_SPEC_ALLOW 4U
#define FLAG_WAIT_KILLABLE_RECV 32U

static const struct {
    unsigned int flag;
    enum scmp_filter_attr attr;
} flag_attrs[] = {
    { FLAG_TSYNC, SCMP_FLTATR_CTL_TSYNC },
    { FLAG_LOG, SCMP_FLTATR_CTL_LOG },
    { FLAG_SPEC_ALLOW, SCMP_FLTATR_CTL_SSB },
#if SCMP_VER_MAJOR > 2 || (SCMP_VER_MAJOR == 2 && SCMP_VER_MINOR >= 6)
    { FLAG_WAIT_KILLABLE_RECV, SCMP_FLTATR_CTL_WAITKILL },
#endif
};

static int failed(char *err, int errlen, const char *what, const char *name, int rc)
{
    snprintf(err, errlen, "%s%s%s: %s", what, name ? " " : "", name ? name : "", strerror(-rc));
    return -1;
}

static int set_attributes(scmp_filter_ctx ctx, const struct oci_seccomp *sc, char *err, int errlen)
{
    unsigned int left = sc->flags;
    int rc;
    /* libseccomp sets no_new_privs on load by default: that is process.noNewPrivileges' call */
    if ((rc = seccomp_attr_set(ctx, SCMP_FLTATR_CTL_NNP, 0)) < 0)
        return failed(err, errlen, "unset the no_new_privs attribute", NULL, rc);
    for (size_t i = 0; i < sizeof flag_attrs / sizeof flag_attrs[0]; i++) {
        if (!(sc->flags & flag_attrs[i].flag))
            continue;
        if ((rc = seccomp_attr_set(ctx, flag_attrs[i].attr, 1)) < 0)
            return failed(err, errlen, "set the filter flag attribute", NULL, rc);
        left &= ~flag_attrs[i].flag;
    }
    if (left) { /* seccomp.py passes known flags only: this is the one newer than 2.5 */
        snprintf(err, errlen, "SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV needs libseccomp 2.6 or later (built with %d.%d.%d)",
                 SCMP_VER_MAJOR, SCMP_VER_MINOR, SCMP_VER_MICRO);
        return -1;
    }
    /* a binary tree of syscalls instead of a list: what runc does for long profiles */
    if (sc->n_rules > 32)
        seccomp_attr_set(ctx, SCMP_FLTATR_CTL_OPTIMIZE, 2);
    return 0;
}

static int add_architectures(scmp_filter_ctx ctx, const struct oci_seccomp *sc, char *err, int errlen)
{
    for (int i = 0; i < sc->n_architectures; i++) {
        uint32_t arch = seccomp_arch_resolve_name(sc->architectures[i]);
        int rc;
        if (arch == 0) {
            snprintf(err, errlen, "architecture %s is not known to libseccomp", sc->architectures[i]);
            return -1;
        }
        rc = seccomp_arch_add(ctx, arch);
        if (rc < 0 && rc != -EEXIST)
            return failed(err, errlen, "add architecture", sc->architectures[i], rc);
    }
    return 0;
}

static int add_rule(scmp_filter_ctx ctx, const struct oci_seccomp_rule *rule, char *err, int errlen)
{
    struct scmp_arg_cmp cmp[6];
    int nr = seccomp_syscall_resolve_name(rule->name);
    int rc;
    if (nr == __NR_SCMP_ERROR)
        return 0; /* not a syscall libseccomp knows (a newer one, a typo): ignored, as runc does */
    for (int i = 0; i < rule->n_args; i++) {
        cmp[i].arg = rule->args[i].index;
        cmp[i].op = (enum scmp_compare) rule->args[i].op;
        cmp[i].datum_a = rule->args[i].value;
        cmp[i].datum_b = rule->args[i].value_two;
    }
    rc = seccomp_rule_add_array(ctx, rule->action, nr, (unsigned int) rule->n_args, cmp);
    return rc < 0 ? failed(err, errlen, "add the rule for", rule->name, rc) : 0;
}

/* The runtime-spec container process state for the listener:
 * {"ociVersion", "fds": ["seccompFd"], "metadata", "pid", "state"}. */
static char *listener_message(const struct oci_seccomp *sc, char *err, int errlen)
{
    /* the state's first "pid" key is its own: "id" comes before it and cannot hold a quote */
    const char *at = sc->state ? strstr(sc->state, "\"pid\"") : NULL;
    char *message;
    size_t size;
    long pid = sc->pid;
    if (pid <= 0 && at) {
        at += strlen("\"pid\"");
        while (*at == ' ' || *at == ':')
            at++;
        pid = strtol(at, NULL, 10);
    }
    if (pid <= 0) {
        snprintf(err, errlen, "listenerPath: the container's pid is not known to this process");
        return NULL;
    }
    size = strlen(sc->listener_head) + strlen(sc->state) + 48;
    message = malloc(size);
    if (!message) {
        snprintf(err, errlen, "listenerPath: out of memory");
        return NULL;
    }
    snprintf(message, size, "%s,\"pid\":%ld,\"state\":%s}", sc->listener_head, pid, sc->state);
    return message;
}

static int build_filter(scmp_filter_ctx ctx, const struct oci_seccomp *sc, char *err, int errlen)
{
    if (set_attributes(ctx, sc, err, errlen) < 0 || add_architectures(ctx, sc, err, errlen) < 0)
        return -1;
    for (int i = 0; i < sc->n_rules; i++)
        if (add_rule(ctx, &sc->rules[i], err, errlen) < 0)
            return -1;
    return 0;
}

unsigned int oci_seccomp_version(void)
{
    const struct scmp_version *v = seccomp_version();
    return v->major << 16 | v->minor << 8 | v->micro;
}

int oci_seccomp_export(const struct oci_seccomp *sc, int fd, char *err, int errlen)
{
    scmp_filter_ctx ctx = seccomp_init(sc->default_action);
    int rc;
    if (!ctx) {
        snprintf(err, errlen, "seccomp_init: invalid default action 0x%x", sc->default_action);
        return -1;
    }
    if (build_filter(ctx, sc, err, errlen) < 0) {
        seccomp_release(ctx);
        return -1;
    }
    rc = seccomp_export_bpf(ctx, fd);
    seccomp_release(ctx);
    return rc < 0 ? failed(err, errlen, "export the filter", NULL, rc) : 0;
}

/* A filter the runtime compiled: one seccomp(2) call, no libseccomp work here. */
static int load_compiled(const struct oci_seccomp *sc, char *err, int errlen)
{
    struct sock_fprog prog = {
        .len = (unsigned short) (sc->bpf_len / sizeof(struct sock_filter)),
        .filter = (struct sock_filter *) sc->bpf,
    };
    if (syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, sc->flags, &prog) < 0) {
        snprintf(err, errlen, "load the filter: %s", strerror(errno));
        return -1;
    }
    return 0;
}

/* Load the filter into this process. With SCMP_ACT_NOTIFY rules, the notify fd goes to
 * the listener and both are closed (*notify_fd stays -1 then); without a listener
 * (not allowed by seccomp.py) *notify_fd would be the caller's. */
int oci_seccomp_load(const struct oci_seccomp *sc, int *notify_fd, char *err, int errlen)
{
    scmp_filter_ctx ctx = seccomp_init(sc->default_action);
    char *message = NULL;
    int rc;

    *notify_fd = -1;
    if (sc->bpf && !sc->notify) {
        seccomp_release(ctx);
        return load_compiled(sc, err, errlen);
    }
    if (!ctx) {
        snprintf(err, errlen, "seccomp_init: invalid default action 0x%x", sc->default_action);
        return -1;
    }
    if (build_filter(ctx, sc, err, errlen) < 0 ||
        (sc->notify && sc->listener_fd >= 0 && !(message = listener_message(sc, err, errlen)))) {
        seccomp_release(ctx);
        return -1;
    }
    rc = seccomp_load(ctx);
    if (rc < 0) {
        seccomp_release(ctx);
        free(message);
        return failed(err, errlen, "load the filter", NULL, rc);
    }
    /* the context and message are not freed: free() may munmap(), which the filter may now
     * forbid, and execve() discards them anyway */
    if (!sc->notify)
        return 0;
    *notify_fd = seccomp_notify_fd(ctx);
    if (*notify_fd < 0)
        return failed(err, errlen, "get the notify fd", NULL, *notify_fd);
    if (!message)
        return 0;
    if (oci_send_fd_with(sc->listener_fd, *notify_fd, message, strlen(message)) < 0) {
        snprintf(err, errlen, "send the notify fd to listenerPath: %s", strerror(errno));
        return -1;
    }
    close(sc->listener_fd);
    close(*notify_fd);
    *notify_fd = -1;
    return 0;
}
