/* Joining namespaces by path, the UTS names and namespaced sysctls. */
#include "internal.h"
#include <net/if.h>
#include <sys/ioctl.h>
#include <sys/socket.h>

/* Open the file of every namespace to join, before the first setns: once in a
 * user namespace the runtime's process no longer may open a non-dumpable init's
 * /proc/PID/ns files (CAP_SYS_PTRACE is the host's), and joining the mount
 * namespace changes what such paths resolve to. */
void oci_open_namespaces(const struct oci_plan *plan, int *fds)
{
    for (int i = 0; i < plan->n_joins && i < OCI_MAX_JOINS; i++) {
        fds[i] = open(plan->joins[i].path, O_RDONLY | O_CLOEXEC);
        if (fds[i] < 0)
            oci_die_errno(plan->sync_fd, "open namespace %s", plan->joins[i].path);
    }
}

/* only_user: join the user namespace alone (it must come first: it grants the
 * capabilities needed to join the others); otherwise join all the others. */
void oci_join_namespaces(const struct oci_plan *plan, int *fds, int only_user)
{
    for (int i = 0; i < plan->n_joins && i < OCI_MAX_JOINS; i++) {
        if (fds[i] < 0 || (plan->joins[i].type == CLONE_NEWUSER) != (only_user != 0))
            continue;
        if (setns(fds[i], plan->joins[i].type) < 0)
            oci_die_errno(plan->sync_fd, "join namespace %s", plan->joins[i].path);
        close(fds[i]);
        fds[i] = -1;
    }
}

/* runc brings `lo` up in every network namespace it creates; engines count on it. */
void oci_loopback_up(const struct oci_plan *plan)
{
    struct ifreq ifr;
    int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    memset(&ifr, 0, sizeof ifr);
    snprintf(ifr.ifr_name, sizeof ifr.ifr_name, "lo");
    if (fd < 0 || ioctl(fd, SIOCGIFFLAGS, &ifr) < 0)
        oci_die_errno(plan->sync_fd, "read the flags of lo");
    ifr.ifr_flags |= IFF_UP;
    if (ioctl(fd, SIOCSIFFLAGS, &ifr) < 0)
        oci_die_errno(plan->sync_fd, "bring lo up");
    close(fd);
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
