/* Entering the rootfs: pivot_root (the old root detached), or MS_MOVE + chroot
 * with --no-pivot (for ramfs roots, where pivot_root is refused). */
#include "internal.h"

/* mountinfo's octal escapes (\040 for a space) decoded in place */
static void unescape_octal(char *s)
{
    char *out = s;
    for (; *s; s++, out++) {
        if (s[0] == '\\' && s[1] >= '0' && s[1] <= '7' && s[2] >= '0' && s[2] <= '7' && s[3] >= '0' && s[3] <= '7') {
            *out = (char)((s[1] - '0') * 64 + (s[2] - '0') * 8 + (s[3] - '0'));
            s += 3;
        } else {
            *out = *s;
        }
    }
    *out = '\0';
}

/* --no-pivot keeps the host's mount tree above the chroot, and with it a full procfs
 * or sysfs whose presence lets the kernel allow a fresh, unmasked procfs mount inside
 * (a nested user namespace passes its "too revealing" check). As runc: every proc and
 * sysfs mount outside the rootfs is detached first, or covered by a tmpfs where the
 * kernel refuses to detach it. */
static void hide_host_kernel_fs(const struct oci_plan *plan)
{
    FILE *f = fopen("/proc/self/mountinfo", "re");
    char *line = NULL, **points = NULL;
    size_t cap = 0, rootlen = strlen(plan->rootfs);
    int n = 0;
    if (!f)
        oci_die_errno(plan->sync_fd, "read mountinfo");
    while (getline(&line, &cap, f) > 0) {
        char *sep = strstr(line, " - "), *point = line, *fstype;
        for (int field = 0; field < 4 && point; field++)
            point = strchr(point, ' ') ? strchr(point, ' ') + 1 : NULL;
        if (!sep || !point)
            continue;
        fstype = sep + 3;
        *strchr(point, ' ') = '\0';
        *strchrnul(fstype, ' ') = '\0';
        if (strcmp(fstype, "proc") != 0 && strcmp(fstype, "sysfs") != 0)
            continue;
        unescape_octal(point);
        if (strncmp(point, plan->rootfs, rootlen) == 0 && (point[rootlen] == '/' || point[rootlen] == '\0'))
            continue;
        points = realloc(points, (size_t)(n + 1) * sizeof *points);
        if (!points || !(points[n++] = strdup(point)))
            oci_die(plan->sync_fd, "out of memory");
    }
    free(line);
    fclose(f);
    for (int i = 0; i < n; i++) {
        /* a slave first: the detach must not propagate to the host */
        if (mount(NULL, points[i], NULL, MS_SLAVE | MS_REC, NULL) < 0) {
            if (errno == ENOENT || errno == EINVAL)   /* gone with a detached parent */
                continue;
            oci_die_errno(plan->sync_fd, "hide host %s", points[i]);
        }
        if (umount2(points[i], MNT_DETACH) < 0 &&
            ((errno != EINVAL && errno != EPERM) || mount("tmpfs", points[i], "tmpfs", 0, NULL) < 0))
            oci_die_errno(plan->sync_fd, "hide host %s", points[i]);
        free(points[i]);
    }
    free(points);
}

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
        hide_host_kernel_fs(plan);
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
