/* The process: OOM score, rlimits, umask, personality, user and groups, and the
 * executable's lookup on the container's PATH. */
#include "internal.h"
#include <grp.h>
#include <sys/personality.h>
#include <sys/prctl.h>
#include <sys/resource.h>

void oci_apply_process_attrs(const struct oci_plan *plan)
{
    if (plan->has_oom_score_adj) {
        char buf[16];
        int fd = open("/proc/self/oom_score_adj", O_WRONLY | O_CLOEXEC);
        int n = snprintf(buf, sizeof buf, "%d", plan->oom_score_adj);
        if (fd < 0 || write(fd, buf, n) < 0)
            oci_die_errno(plan->sync_fd, "set oom_score_adj to %d", plan->oom_score_adj);
        close(fd);
    }
    for (int i = 0; i < plan->n_rlimits; i++) {
        const struct oci_rlimit *r = &plan->rlimits[i];
        struct rlimit lim = { .rlim_cur = r->soft, .rlim_max = r->hard };
        if (setrlimit(r->resource, &lim) < 0)
            oci_die_errno(plan->sync_fd, "setrlimit %d (soft %llu, hard %llu)", r->resource, r->soft, r->hard);
    }
    if (plan->personality >= 0 && personality((unsigned long) plan->personality) < 0)
        oci_die_errno(plan->sync_fd, "personality");
    if (plan->umask >= 0)
        umask((mode_t) plan->umask);
}

void oci_switch_user(const struct oci_plan *plan)
{
    gid_t gids[256] = { 0 };
    int n = plan->n_additional_gids < 256 ? plan->n_additional_gids : 256;
    for (int i = 0; i < n; i++)
        gids[i] = plan->additional_gids[i];
    /* in a user namespace with setgroups "deny" only an empty list is refused: fine */
    if (setgroups(n, gids) < 0 && !(errno == EPERM && n == 0))
        oci_die_errno(plan->sync_fd, "setgroups");
    if (setresgid(plan->gid, plan->gid, plan->gid) < 0)
        oci_die_errno(plan->sync_fd, "setgid %u", plan->gid);
    if (prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) < 0)
        oci_die_errno(plan->sync_fd, "prctl(PR_SET_KEEPCAPS)");
    if (setresuid(plan->uid, plan->uid, plan->uid) < 0)
        oci_die_errno(plan->sync_fd, "setuid %u", plan->uid);
    prctl(PR_SET_KEEPCAPS, 0, 0, 0, 0);
}

static int is_executable(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISREG(st.st_mode) && (st.st_mode & 0111) && access(path, X_OK) == 0;
}

static const char *env_path(const struct oci_plan *plan)
{
    for (char **e = plan->envp; e && *e; e++)
        if (strncmp(*e, "PATH=", 5) == 0)
            return *e + 5;
    return "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
}

const char *oci_find_executable(const struct oci_plan *plan, char *buf, size_t len)
{
    const char *name = plan->argv[0];
    const char *p;
    if (!name || !*name)
        return NULL;
    if (strchr(name, '/'))
        return is_executable(name) ? name : NULL;
    p = env_path(plan);
    for (;;) {
        const char *colon = strchr(p, ':');
        size_t dl = colon ? (size_t) (colon - p) : strlen(p);
        if (dl == 0)
            snprintf(buf, len, "%s", name);
        else
            snprintf(buf, len, "%.*s/%s", (int) dl, p, name);
        if (is_executable(buf))
            return buf;
        if (!colon)
            return NULL;
        p = colon + 1;
    }
}
