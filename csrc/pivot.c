/* Entering the rootfs: pivot_root (the old root detached), or MS_MOVE + chroot
 * with --no-pivot (for ramfs roots, where pivot_root is refused). */
#include "internal.h"

void oci_enter_rootfs(const struct oci_plan *plan, int rootfd)
{
    int sync_fd = plan->sync_fd;
    int newroot = open(plan->rootfs, O_DIRECTORY | O_RDONLY | O_CLOEXEC);
    if (newroot < 0)
        oci_die_errno(sync_fd, "open rootfs %s", plan->rootfs);
    close(rootfd);
    if (fchdir(newroot) < 0)
        oci_die_errno(sync_fd, "chdir to rootfs");
    if (plan->no_pivot) {
        if (mount(".", "/", NULL, MS_MOVE, NULL) < 0)
            oci_die_errno(sync_fd, "move rootfs to /");
        if (chroot(".") < 0)
            oci_die_errno(sync_fd, "chroot");
    } else {
        int oldroot = open("/", O_DIRECTORY | O_RDONLY | O_CLOEXEC);
        if (oldroot < 0)
            oci_die_errno(sync_fd, "open /");
        if (syscall(SYS_pivot_root, ".", ".") < 0)
            oci_die_errno(sync_fd, "pivot_root");
        /* the old root is stacked on "."; make it a slave so detaching it doesn't
         * propagate to the host, then detach it */
        if (fchdir(oldroot) < 0)
            oci_die_errno(sync_fd, "chdir to old root");
        if (mount(NULL, ".", NULL, MS_SLAVE | MS_REC, NULL) < 0)
            oci_die_errno(sync_fd, "make old root a slave");
        if (umount2(".", MNT_DETACH) < 0)
            oci_die_errno(sync_fd, "detach old root");
        close(oldroot);
    }
    close(newroot);
    if (chdir("/") < 0)
        oci_die_errno(sync_fd, "chdir /");
}

/* A container without a mount namespace of its own shares the host's mount table,
 * which is never changed for it: its root is only a chroot into the rootfs. */
void oci_chroot_rootfs(const struct oci_plan *plan, int rootfd)
{
    int sync_fd = plan->sync_fd;
    if (fchdir(rootfd) < 0)
        oci_die_errno(sync_fd, "chdir to rootfs %s", plan->rootfs);
    close(rootfd);
    if (chroot(".") < 0)
        oci_die_errno(sync_fd, "chroot to rootfs %s", plan->rootfs);
    if (chdir("/") < 0)
        oci_die_errno(sync_fd, "chdir /");
}
