/* The five capability sets: the bounding set is dropped while still root, the
 * others set after the uid change (PR_SET_KEEPCAPS kept the permitted set). */
#include "internal.h"
#include <linux/capability.h>
#include <sys/prctl.h>

enum { CAP_EFFECTIVE, CAP_PERMITTED, CAP_INHERITABLE, CAP_BOUNDING, CAP_AMBIENT };

static int last_cap(void)
{
    static int last = -1;
    if (last < 0) {
        char buf[16] = { 0 };
        int fd = open("/proc/sys/kernel/cap_last_cap", O_RDONLY | O_CLOEXEC);
        if (fd >= 0 && read(fd, buf, sizeof buf - 1) > 0)
            last = atoi(buf);
        else
            last = 40;
        if (fd >= 0)
            close(fd);
    }
    return last;
}

void oci_drop_bounding(const struct oci_plan *plan)
{
    if (!plan->has_caps)
        return;
    last_cap(); /* read /proc before the bounding set loses anything */
    for (int cap = 0; cap <= last_cap(); cap++) {
        if (plan->caps[CAP_BOUNDING] & (1ULL << cap))
            continue;
        if (prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) < 0 && errno != EINVAL)
            oci_die_errno(plan->sync_fd, "drop capability %d from the bounding set", cap);
    }
}

void oci_apply_caps(const struct oci_plan *plan)
{
    struct __user_cap_header_struct hdr = { .version = _LINUX_CAPABILITY_VERSION_3, .pid = 0 };
    struct __user_cap_data_struct data[2];
    if (!plan->has_caps)
        return;
    for (int i = 0; i < 2; i++) {
        data[i].effective = (unsigned int) (plan->caps[CAP_EFFECTIVE] >> (32 * i));
        data[i].permitted = (unsigned int) (plan->caps[CAP_PERMITTED] >> (32 * i));
        data[i].inheritable = (unsigned int) (plan->caps[CAP_INHERITABLE] >> (32 * i));
    }
    if (syscall(SYS_capset, &hdr, data) < 0)
        oci_die_errno(plan->sync_fd, "set capabilities");
    prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0);
    for (int cap = 0; cap <= last_cap(); cap++)
        if (plan->caps[CAP_AMBIENT] & (1ULL << cap))
            prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, cap, 0, 0); /* like runc: best effort */
}
