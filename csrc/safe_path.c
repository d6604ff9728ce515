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

/* Symlinks followed while creating one path: beyond this, ELOOP (as the kernel's 40). */
#define MAX_SYMLINKS 40

/* The root-relative directory part of `path` whose last component is `name`. */
static void dir_part(const char *path, const char *name, char *out, size_t len)
{
    int n = (int) (strlen(path) - strlen(name));
    snprintf(out, len, "%.*s", n > 0 ? n - 1 : 0, path);
}

/* If `name` in `parent` (the root-relative dir `dirpath`) is a symlink, write where it
 * points, as a root-relative path, followed by "/rest", to out and return 0. */
static int symlink_target(int parent, const char *dirpath, const char *name, const char *rest, char *out, size_t len)
{
    char link[4096];
    ssize_t n = readlinkat(parent, name, link, sizeof link - 1);
    if (n < 0)
        return -1;
    link[n] = '\0';
    snprintf(out, len, "%s%s%s%s%s", link[0] == '/' ? "" : dirpath, link[0] == '/' || !dirpath[0] ? "" : "/",
             link, rest && *rest ? "/" : "", rest ? rest : "");
    return 0;
}

static int mkdir_in_root(int rootfd, const char *path, mode_t mode, int links);

/* mkdirat(parent, name) found the name taken: by a dangling symlink, whose target is then
 * made inside the root (so a symlink to a host path never leads there, as in runc). */
static int mkdir_through_symlink(int rootfd, int parent, const char *buf, const char *name, const char *rest,
                                 mode_t mode, int links)
{
    char dirpath[4096], target[8192];
    dir_part(buf, name, dirpath, sizeof dirpath);
    if (symlink_target(parent, dirpath, name, rest, target, sizeof target) < 0) {
        errno = ENOTDIR;
        return -1;
    }
    if (links >= MAX_SYMLINKS) {
        errno = ELOOP;
        return -1;
    }
    return mkdir_in_root(rootfd, target, mode, links + 1);
}

static int mkdir_in_root(int rootfd, const char *path, mode_t mode, int links)
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
        if (slash)
            *slash = '\0';
        if (buf[0]) {
            fd = openat2_in(rootfd, buf, O_PATH | O_DIRECTORY, 0);
            if (fd < 0 && errno == ENOENT) {
                char name[256];
                int r, parent = open_parent(rootfd, buf, name, sizeof name);
                if (parent < 0)
                    return -1;
                if (mkdirat(parent, name, mode) < 0 && errno == EEXIST) {
                    r = mkdir_through_symlink(rootfd, parent, buf, name, slash ? slash + 1 : NULL, mode, links);
                    close(parent);
                    return r;
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
        *slash = '/';
        p = slash + 1;
    }
}

int oci_mkdir_in_root(int rootfd, const char *path, mode_t mode)
{
    return mkdir_in_root(rootfd, path, mode, 0);
}

static int make_target_in_root(int rootfd, const char *path, int is_dir, int links)
{
    char name[256], dirpath[4096], target[8192];
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
    if (fd < 0 && errno == EEXIST && links < MAX_SYMLINKS) {
        /* a dangling symlink: create its target inside the root */
        while (*path == '/')
            path++;
        dir_part(path, name, dirpath, sizeof dirpath);
        if (symlink_target(parent, dirpath, name, NULL, target, sizeof target) == 0) {
            close(parent);
            return make_target_in_root(rootfd, target, 0, links + 1);
        }
        errno = EEXIST;
    }
    close(parent);
    if (fd < 0 && errno != EEXIST)
        return -1;
    if (fd >= 0)
        close(fd);
    return openat2_in(rootfd, path, O_PATH, 0);
}

int oci_make_target_in_root(int rootfd, const char *path, int is_dir)
{
    return make_target_in_root(rootfd, path, is_dir, 0);
}

/* A directory whose last component is no symlink (made if missing), its parent resolved
 * in root: procfs or sysfs mounted through a symlink would land, unmasked, wherever the
 * rootfs points it (CVE-2019-19921). ENOTDIR: something else is there. */
int oci_open_plain_dir_in_root(int rootfd, const char *path)
{
    char name[256];
    int fd, parent = open_parent(rootfd, path, name, sizeof name);
    if (parent < 0)
        return -1;
    if (mkdirat(parent, name, 0755) < 0 && errno != EEXIST) {
        int saved = errno;
        close(parent);
        errno = saved;
        return -1;
    }
    /* O_PATH|O_NOFOLLOW would open a symlink itself: O_DIRECTORY then fails with ENOTDIR */
    fd = openat(parent, name, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    close(parent);
    return fd;
}

void oci_fd_path(int fd, char *buf, size_t len)
{
    snprintf(buf, len, "/proc/self/fd/%d", fd);
}
