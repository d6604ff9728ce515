/* Path resolution inside the rootfs: symlinks are resolved as if the rootfs were
 * "/" (openat2 RESOLVE_IN_ROOT), so no mount target escapes to the host. */
#include "internal.h"
#include <linux/openat2.h>

static int openat2_in(int dirfd, const char *path, int flags, mode_t mode)
{
    struct open_how how = {
        .flags = (unsigned long long) (flags | O_CLOEXEC),
        .mode = (flags & O_CREAT) ? mode : 0,
        .resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS,
    };
    while (*path == '/')
        path++;
    if (*path == '\0')
        path = ".";
    return (int) syscall(SYS_openat2, dirfd, path, &how, sizeof how);
}

int oci_open_in_root(int rootfd, const char *path, int flags)
{
    return openat2_in(rootfd, path, flags, 0);
}

/* Split "a/b/c" into its parent fd (opened in root) and last name. */
static int open_parent(int rootfd, const char *path, char *name, size_t len)
{
    char parent[4096];
    const char *slash;
    int fd;
    while (*path == '/')
        path++;
    snprintf(parent, sizeof parent, "%s", path);
    /* strip trailing slashes */
    for (size_t n = strlen(parent); n > 0 && parent[n - 1] == '/'; n--)
        parent[n - 1] = '\0';
    slash = strrchr(parent, '/');
    if (slash) {
        snprintf(name, len, "%s", slash + 1);
        parent[slash - parent] = '\0';
    } else {
        snprintf(name, len, "%s", parent);
        parent[0] = '\0';
    }
    if (parent[0] && oci_mkdir_in_root(rootfd, parent, 0755) < 0)
        return -1;
    fd = openat2_in(rootfd, parent, O_PATH | O_DIRECTORY, 0);
    return fd;
}

int oci_mkdir_in_root(int rootfd, const char *path, mode_t mode)
{
    char buf[4096];
    char *p;
    int fd;
    while (*path == '/')
        path++;
    snprintf(buf, sizeof buf, "%s", path);
    p = buf;
    for (;;) {
        char *slash = strchr(p, '/');
        char saved = 0;
        if (slash) {
            saved = *slash;
            *slash = '\0';
        }
        if (buf[0]) {
            fd = openat2_in(rootfd, buf, O_PATH | O_DIRECTORY, 0);
            if (fd < 0 && errno == ENOENT) {
                char name[256];
                int parent = open_parent(rootfd, buf, name, sizeof name);
                if (parent < 0)
                    return -1;
                if (mkdirat(parent, name, mode) < 0 && errno != EEXIST) {
                    close(parent);
                    return -1;
                }
                close(parent);
                fd = openat2_in(rootfd, buf, O_PATH | O_DIRECTORY, 0);
            }
            if (fd < 0)
                return -1;
            close(fd);
        }
        if (!slash)
            return 0;
        *slash = saved;
        p = slash + 1;
    }
}

int oci_make_target_in_root(int rootfd, const char *path, int is_dir)
{
    char name[256];
    int fd, parent;
    if (is_dir) {
        if (oci_mkdir_in_root(rootfd, path, 0755) < 0)
            return -1;
        return openat2_in(rootfd, path, O_PATH | O_DIRECTORY, 0);
    }
    fd = openat2_in(rootfd, path, O_PATH, 0);
    if (fd >= 0 || errno != ENOENT)
        return fd;
    parent = open_parent(rootfd, path, name, sizeof name);
    if (parent < 0)
        return -1;
    fd = openat(parent, name, O_CREAT | O_EXCL | O_WRONLY | O_NOFOLLOW | O_CLOEXEC, 0644);
    close(parent);
    if (fd < 0 && errno != EEXIST)
        return -1;
    if (fd >= 0)
        close(fd);
    return openat2_in(rootfd, path, O_PATH, 0);
}

void oci_fd_path(int fd, char *buf, size_t len)
{
    snprintf(buf, len, "/proc/self/fd/%d", fd);
}
