/* Joining namespaces by path, the UTS names and namespaced sysctls. */
#include "internal.h"

/* only_user: join the user namespace alone (it must come first: it grants the
 * capabilities needed to join the others); otherwise join all the others. */
void oci_join_namespaces(const struct oci_plan *plan, int only_user)
{
    for (int i = 0; i < plan->n_joins; i++) {
        const struct oci_join_ns *j = &plan->joins[i];
        int fd;
        if ((j->type == CLONE_NEWUSER) != (only_user != 0))
            continue;
        fd = open(j->path, O_RDONLY | O_CLOEXEC);
        if (fd < 0)
            oci_die_errno(plan->sync_fd, "open namespace %s", j->path);
        if (setns(fd, j->type) < 0)
            oci_die_errno(plan->sync_fd, "join namespace %s", j->path);
        close(fd);
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
