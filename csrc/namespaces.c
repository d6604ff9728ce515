/* Joining namespaces by path, the UTS names and namespaced sysctls. */
#include "internal.h"

/* only_user: join the user namespace alone (it must come first: it grants the
 * capabilities needed to join the others); otherwise join all the others, every
 * file opened before the first setns (joining the mount namespace changes what
 * /proc/PID/ns/... resolves to). */
void oci_join_namespaces(const struct oci_plan *plan, int only_user)
{
    int fds[16];
    int n = plan->n_joins < 16 ? plan->n_joins : 16;
    for (int i = 0; i < n; i++) {
        const struct oci_join_ns *j = &plan->joins[i];
        fds[i] = -1;
        if ((j->type == CLONE_NEWUSER) != (only_user != 0))
            continue;
        fds[i] = open(j->path, O_RDONLY | O_CLOEXEC);
        if (fds[i] < 0)
            oci_die_errno(plan->sync_fd, "open namespace %s", j->path);
    }
    for (int i = 0; i < n; i++) {
        if (fds[i] < 0)
            continue;
        if (setns(fds[i], plan->joins[i].type) < 0)
            oci_die_errno(plan->sync_fd, "join namespace %s", plan->joins[i].path);
        close(fds[i]);
    }
}

void oci_set_uts(const struct oci_plan *plan)
{
    if (plan->hostname && sethostname(plan->hostname, strlen(plan->hostname)) < 0)
        oci_die_errno(plan->sync_fd, "sethostname %s", plan->hostname);
    if (plan->domainname && setdomainname(plan->domainname, strlen(plan->domainname)) < 0)
        oci_die_errno(plan->sync_fd, "setdomainname %s", plan->domainname);
}

void oci_apply_sysctl(const struct oci_plan *plan)
{
    for (int i = 0; i < plan->n_sysctl; i++) {
        char path[512];
        const char *kv = plan->sysctl[i];
        const char *eq = strchr(kv, '=');
        int fd;
        if (!eq)
            continue;
        snprintf(path, sizeof path, "/proc/sys/%.*s", (int) (eq - kv), kv);
        fd = open(path, O_WRONLY | O_CLOEXEC | O_NOFOLLOW);
        if (fd < 0 || write(fd, eq + 1, strlen(eq + 1)) < 0)
            oci_die_errno(plan->sync_fd, "sysctl %.*s", (int) (eq - kv), kv);
        close(fd);
    }
}
