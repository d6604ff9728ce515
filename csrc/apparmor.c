/* process.apparmorProfile, entered as runc enters it: "exec PROFILE" written to the
 * init's AppArmor exec attribute, so that the kernel moves it into the profile at its
 * next execve (the exec stub's, whose execve of the program then happens inside the
 * profile, as every later exec in the container does). Written before no_new_privs is
 * set, which makes AppArmor refuse the write; the startContainer hooks the init runs
 * after it are confined too, as runc's are. */
#include "internal.h"
#include <linux/magic.h>
#include <sys/vfs.h>

/* In the container's /proc, while still root. The file must be on procfs: a rootfs whose
 * /proc is a bind of ordinary files would take the write and leave the process unconfined
 * (CVE-2019-16884). attr/apparmor/exec from 5.8 (LSM stacking); attr/exec before it. */
void oci_apply_apparmor(const struct oci_plan *plan)
{
    char text[4096];
    struct statfs fs;
    int n = snprintf(text, sizeof text, "exec %s", plan->apparmor_profile);
    int fd = open("/proc/self/attr/apparmor/exec", O_WRONLY | O_CLOEXEC | O_NOFOLLOW);
    if (fd < 0 && errno == ENOENT)
        fd = open("/proc/self/attr/exec", O_WRONLY | O_CLOEXEC | O_NOFOLLOW);
    if (fd < 0)
        oci_die_errno(plan->sync_fd, "apparmor: open /proc/self/attr/apparmor/exec");
    if (fstatfs(fd, &fs) < 0 || fs.f_type != PROC_SUPER_MAGIC)
        oci_die(plan->sync_fd, "apparmor: /proc/self/attr/apparmor/exec is not on procfs: the container's /proc "
                               "is not the kernel's");
    if (n >= (int) sizeof text) /* plan.py refuses such names first */
        oci_die(plan->sync_fd, "apparmor: profile name too long");
    if (write(fd, text, (size_t) n) < 0)
        oci_die_errno(plan->sync_fd, "apparmor: %s", text);
    close(fd);
}
