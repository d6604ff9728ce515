/* The container's filesystem: rootfs propagation and self-bind, every mount of
 * config.json in order, device nodes, and the masked/read-only paths after pivot. */
#include "internal.h"
#include <sys/statvfs.h>
#include <sys/sysmacros.h>

static unsigned long locked_flags(const char *path)
{
    struct statvfs st;
    unsigned long flags = 0;
    if (statvfs(path, &st) < 0)
        return 0;
    if (st.f_flag & ST_NOSUID)
        flags |= MS_NOSUID;
    if (st.f_flag & ST_NODEV)
        flags |= MS_NODEV;
    if (st.f_flag & ST_NOEXEC)
        flags |= MS_NOEXEC;
    if (st.f_flag & ST_NOATIME)
        flags |= MS_NOATIME;
    if (st.f_flag & ST_NODIRATIME)
        flags |= MS_NODIRATIME;
    if (st.f_flag & ST_RELATIME)
        flags |= MS_RELATIME;
    if (st.f_flag & ST_RDONLY)
        flags |= MS_RDONLY;
    return flags;
}

/* A bind remount keeps the flags the kernel locked (in a user namespace it must). */
static int remount_bind(const char *path, unsigned long flags)
{
    if (mount(NULL, path, NULL, MS_BIND | MS_REMOUNT | flags, NULL) == 0)
        return 0;
    if (errno != EPERM)
        return -1;
    return mount(NULL, path, NULL, MS_BIND | MS_REMOUNT | flags | locked_flags(path), NULL);
}

void oci_prepare_rootfs(const struct oci_plan *plan, int rootfd)
{
    char path[64];
    unsigned long prop = plan->rootfs_propagation ? plan->rootfs_propagation : (MS_SLAVE | MS_REC);
    /* pivot_root refuses shared parents and an unbindable tree cannot be bound:
     * either is applied to the new root after pivot (oci_finish_rootfs) */
    if (prop & (MS_SHARED | MS_UNBINDABLE))
        prop = MS_PRIVATE | MS_REC;
    if (mount(NULL, "/", NULL, prop, NULL) < 0)
        oci_die_errno(plan->sync_fd, "set propagation of /");
    oci_fd_path(rootfd, path, sizeof path);
    if (mount(path, path, NULL, MS_BIND | MS_REC, NULL) < 0)
        oci_die_errno(plan->sync_fd, "bind rootfs %s", plan->rootfs);
}

/* A user namespace with the given maps, for MOUNT_ATTR_IDMAP: a child made in a new
 * one only waits while its maps are written from here and its ns file is opened. */
static int userns_with_maps(const struct oci_plan *plan, const struct oci_mount *m)
{
    const char *maps[2][2] = { { "uid_map", m->idmap_uid_map }, { "gid_map", m->idmap_gid_map } };
    char path[64], c;
    int gate[2], fd = -1;
    pid_t pid;
    if (pipe2(gate, O_CLOEXEC) < 0)
        oci_die_errno(plan->sync_fd, "pipe");
    pid = (pid_t) syscall(SYS_clone, CLONE_NEWUSER | SIGCHLD, NULL, NULL, NULL, NULL);
    if (pid == 0) {
        close(gate[1]);
        while (read(gate[0], &c, 1) < 0 && errno == EINTR)
            ;
        _exit(0);
    }
    close(gate[0]);
    if (pid < 0)
        oci_die_errno(plan->sync_fd, "mount %s: clone a user namespace for its idmapping", m->destination);
    for (int i = 0; i < 2; i++) {
        snprintf(path, sizeof path, "/proc/%d/%s", (int) pid, maps[i][0]);
        fd = open(path, O_WRONLY | O_CLOEXEC);
        if (fd < 0 || write(fd, maps[i][1], strlen(maps[i][1])) < 0)
            oci_die_errno(plan->sync_fd, "mount %s: write the %s of its idmapping", m->destination, maps[i][0]);
        close(fd);
    }
    snprintf(path, sizeof path, "/proc/%d/ns/user", (int) pid);
    fd = open(path, O_RDONLY | O_CLOEXEC);
    close(gate[1]);
    waitpid(pid, NULL, 0);
    if (fd < 0)
        oci_die_errno(plan->sync_fd, "mount %s: open the user namespace of its idmapping", m->destination);
    return fd;
}

/* Stage 1, before the container's user namespace exists: each bind source the plan
 * marks is cloned into a detached tree (open_tree), so that the container's root, a
 * mapped id, need not be able to reach it (crun does the same); an idmap/ridmap
 * mount gets its idmapping on that tree (mount_setattr MOUNT_ATTR_IDMAP, Linux 5.12). */
void oci_open_mount_trees(struct oci_plan *plan)
{
    for (int i = 0; i < plan->n_mounts; i++) {
        struct oci_mount *m = &plan->mounts[i];
        unsigned int flags = OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | ((m->flags & MS_REC) ? AT_RECURSIVE : 0);
        if (!m->open_tree)
            continue;
        m->tree_fd = (int) syscall(SYS_open_tree, AT_FDCWD, m->source, flags);
        if (m->tree_fd < 0 && errno == EPERM && !m->idmap_uid_map) {
            /* a rootless runtime may not clone trees of its mount namespace: stage 2
             * binds the path, which that runtime's own ids reach anyway */
            m->open_tree = 0;
            continue;
        }
        if (m->tree_fd < 0)
            oci_die_errno(plan->sync_fd, "bind mount %s to %s", m->source, m->destination);
        if (m->idmap_uid_map) {
            struct oci_mount_attr attr = { .attr_set = MOUNT_ATTR_IDMAP };
            int userns = userns_with_maps(plan, m);
            attr.userns_fd = (unsigned long long) userns;
            if (syscall(SYS_mount_setattr, m->tree_fd, "", AT_EMPTY_PATH | (m->idmap_recursive ? AT_RECURSIVE : 0),
                        &attr, sizeof attr) < 0)
                oci_die_errno(plan->sync_fd, "mount %s: idmap %s", m->destination, m->source);
            close(userns);
        }
    }
}

/* The bind source's type: the tree opened by stage 1, or the path. */
static int stat_source(const struct oci_mount *m, struct stat *st)
{
    return m->open_tree ? fstat(m->tree_fd, st) : stat(m->source, st);
}

static int is_dir_source(const struct oci_mount *m)
{
    struct stat st;
    if (!(m->flags & MS_BIND))
        return 1;
    return stat_source(m, &st) == 0 && S_ISDIR(st.st_mode);
}

static int reopen(int rootfd, const struct oci_mount *m, char *path, size_t len)
{
    int fd = oci_open_in_root(rootfd, m->destination, O_PATH);
    if (fd >= 0)
        oci_fd_path(fd, path, len);
    return fd;
}

/* A "symlink" step (the comounted cgroup v1 controllers: cpu -> cpu,cpuacct). */
static void symlink_one(const struct oci_plan *plan, int rootfd, const struct oci_mount *m)
{
    char dir[4096], *slash;
    int parent;
    snprintf(dir, sizeof dir, "%s", m->destination);
    slash = strrchr(dir, '/');
    *slash = '\0';
    parent = oci_open_in_root(rootfd, dir[0] ? dir : "/", O_PATH | O_DIRECTORY);
    if (parent < 0 || (symlinkat(m->source, parent, slash + 1) < 0 && errno != EEXIST))
        oci_die_errno(plan->sync_fd, "symlink %s -> %s", m->destination, m->source);
    close(parent);
}

/* The mount point of a proc or sysfs mount: refused unless an ordinary directory. */
static int kernel_fs_target(const struct oci_plan *plan, int rootfd, const struct oci_mount *m)
{
    int fd = oci_open_plain_dir_in_root(rootfd, m->destination);
    if (fd < 0 && errno == ENOTDIR)
        oci_die(plan->sync_fd, "error mounting \"%s\" to rootfs at \"%s\": filesystem \"%s\" must be mounted on "
                "ordinary directory", m->type, m->destination, m->type);
    return fd;
}

static int is_kernel_fs(const struct oci_mount *m)
{
    return m->type && (strcmp(m->type, "proc") == 0 || strcmp(m->type, "sysfs") == 0);
}

/* A tmpfs takes the mode of the directory it covers, as runc does: "mode=" of that
 * directory put first, so a mode= of the config's own (later in the string) wins.
 * Not there yet: the data as is (tmpfs's default 1777). */
static const char *tmpfs_data(const struct oci_plan *plan, int rootfd, const struct oci_mount *m,
                              char *buf, size_t len)
{
    struct stat st;
    int fd = oci_open_in_root(rootfd, m->destination, O_PATH);
    if (fd < 0)
        return m->data;
    if (fstat(fd, &st) < 0 || !S_ISDIR(st.st_mode)) {
        close(fd);
        return m->data;
    }
    close(fd);
    if ((size_t) snprintf(buf, len, "mode=%04o%s%s", st.st_mode & 07777, m->data ? "," : "",
                          m->data ? m->data : "") >= len)
        oci_die(plan->sync_fd, "mount %s: tmpfs options too long", m->destination);
    return buf;
}

/* The recursive options (rro, rnosuid, ...): mount(2) flags reach one mount only,
 * mount_setattr(2) with AT_RECURSIVE every mount of the tree, as runc 1.2 and crun. */
static void set_recursive_attrs(const struct oci_plan *plan, int rootfd, const struct oci_mount *m)
{
    struct oci_mount_attr attr = { .attr_set = m->rec_attr_set, .attr_clr = m->rec_attr_clr };
    char target[64];
    int fd = reopen(rootfd, m, target, sizeof target);
    if (fd < 0 || syscall(SYS_mount_setattr, fd, "", AT_EMPTY_PATH | AT_RECURSIVE, &attr, sizeof attr) < 0)
        oci_die_errno(plan->sync_fd, "mount %s: set its recursive options", m->destination);
    close(fd);
}

static void mount_one(const struct oci_plan *plan, int rootfd, const struct oci_mount *m)
{
    char target[64], tmpfs_buf[4096];
    int fd, is_bind = (m->flags & MS_BIND) != 0;
    const char *data = m->data;
    struct stat st;

    if (m->type && strcmp(m->type, "symlink") == 0) {
        symlink_one(plan, rootfd, m);
        return;
    }
    if (m->flags & MS_REMOUNT) {
        /* a remount step (the read-only cgroup tmpfs): new flags for what is already there */
        fd = reopen(rootfd, m, target, sizeof target);
        if (fd < 0 || remount_bind(target, m->flags & ~(MS_REMOUNT | MS_BIND | MS_REC)) < 0)
            oci_die_errno(plan->sync_fd, "remount %s", m->destination);
        close(fd);
        return;
    }

    if (is_bind && stat_source(m, &st) < 0)
        oci_die_errno(plan->sync_fd, "mount %s: bind source %s", m->destination, m->source);
    if (!is_bind && strcmp(m->type, "tmpfs") == 0)
        data = tmpfs_data(plan, rootfd, m, tmpfs_buf, sizeof tmpfs_buf);
    if (!is_bind && is_kernel_fs(m))
        fd = kernel_fs_target(plan, rootfd, m);
    else
        fd = oci_make_target_in_root(rootfd, m->destination, is_dir_source(m));
    if (fd < 0)
        oci_die_errno(plan->sync_fd, "mount %s: create mount point in rootfs", m->destination);
    oci_fd_path(fd, target, sizeof target);

    if (is_bind) {
        if (m->open_tree) {
            if (syscall(SYS_move_mount, m->tree_fd, "", fd, "", MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) < 0)
                oci_die_errno(plan->sync_fd, "bind mount %s to %s", m->source, m->destination);
            close(m->tree_fd);
        } else if (mount(m->source, target, NULL, m->flags & (MS_BIND | MS_REC), NULL) < 0) {
            oci_die_errno(plan->sync_fd, "bind mount %s to %s", m->source, m->destination);
        }
        close(fd);
        if (m->flags & ~(MS_BIND | MS_REC)) {
            fd = reopen(rootfd, m, target, sizeof target);
            if (fd < 0 || remount_bind(target, m->flags & ~(MS_BIND | MS_REC)) < 0)
                oci_die_errno(plan->sync_fd, "remount %s with its options", m->destination);
            close(fd);
        }
    } else {
        const char *src = m->source ? m->source : m->type;
        if (mount(src, target, m->type, m->flags, data) < 0) {
            /* sysfs needs a network namespace of our own: fall back to a bind as runc does */
            if (!(errno == EPERM && strcmp(m->type, "sysfs") == 0) ||
                mount("/sys", target, NULL, MS_BIND | MS_REC, NULL) < 0)
                oci_die_errno(plan->sync_fd, "mount %s (%s) to %s", src, m->type, m->destination);
            close(fd);
            fd = reopen(rootfd, m, target, sizeof target);
            if (fd < 0 || remount_bind(target, (m->flags & ~MS_REC) | MS_RDONLY) < 0)
                oci_die_errno(plan->sync_fd, "remount %s read-only", m->destination);
        }
        close(fd);
    }
    if (m->propagation) {
        fd = reopen(rootfd, m, target, sizeof target);
        if (fd < 0 || mount(NULL, target, NULL, m->propagation, NULL) < 0)
            oci_die_errno(plan->sync_fd, "set propagation of %s", m->destination);
        close(fd);
    }
    if (m->rec_attr_set || m->rec_attr_clr)
        set_recursive_attrs(plan, rootfd, m);
}


void oci_mount_all(const struct oci_plan *plan, int rootfd)
{
    for (int i = 0; i < plan->n_mounts; i++)
        mount_one(plan, rootfd, &plan->mounts[i]);
}

static void bind_device(const struct oci_plan *plan, int rootfd, const struct oci_device *d)
{
    char target[64];
    int fd = oci_make_target_in_root(rootfd, d->path, 0);
    if (fd < 0)
        oci_die_errno(plan->sync_fd, "create %s", d->path);
    oci_fd_path(fd, target, sizeof target);
    if (mount(d->path, target, NULL, MS_BIND, NULL) < 0)
        oci_die_errno(plan->sync_fd, "bind device %s", d->path);
    close(fd);
}

void oci_create_devices(const struct oci_plan *plan, int rootfd)
{
    for (int i = 0; i < plan->n_devices; i++) {
        const struct oci_device *d = &plan->devices[i];
        char dir[4096], *slash;
        const char *name;
        mode_t kind = d->type == 'b' ? S_IFBLK : d->type == 'p' ? S_IFIFO : S_IFCHR;
        int parent;

        if (plan->bind_devices) {
            bind_device(plan, rootfd, d);
            continue;
        }
        snprintf(dir, sizeof dir, "%s", d->path);
        slash = strrchr(dir, '/');
        name = slash ? slash + 1 : dir;
        if (slash)
            *slash = '\0';
        if (oci_mkdir_in_root(rootfd, dir, 0755) < 0 ||
            (parent = oci_open_in_root(rootfd, dir, O_PATH | O_DIRECTORY)) < 0)
            oci_die_errno(plan->sync_fd, "create the directory of device %s", d->path);
        unlinkat(parent, name, 0);
        if (mknodat(parent, name, kind | (d->mode & 07777), makedev(d->major, d->minor)) < 0)
            oci_die_errno(plan->sync_fd, "mknod %s", d->path);
        if (fchownat(parent, name, d->uid, d->gid, AT_SYMLINK_NOFOLLOW) < 0)
            oci_die_errno(plan->sync_fd, "chown %s", d->path);
        close(parent);
    }
}

void oci_create_dev_links(int rootfd)
{
    static const char *links[][2] = {
        { "/proc/self/fd", "fd" }, { "/proc/self/fd/0", "stdin" },
        { "/proc/self/fd/1", "stdout" }, { "/proc/self/fd/2", "stderr" },
    };
    int dev = oci_open_in_root(rootfd, "/dev", O_PATH | O_DIRECTORY);
    if (dev < 0)
        return;
    for (size_t i = 0; i < sizeof links / sizeof links[0]; i++)
        symlinkat(links[i][0], dev, links[i][1]);
    if (access("/proc/kcore", F_OK) == 0)
        symlinkat("/proc/kcore", dev, "core");
    /* the container's own devpts instance serves /dev/ptmx */
    unlinkat(dev, "ptmx", 0);
    symlinkat("pts/ptmx", dev, "ptmx");
    close(dev);
}

static void readonly_path(const struct oci_plan *plan, const char *path)
{
    if (mount(path, path, NULL, MS_BIND | MS_REC, NULL) < 0) {
        if (errno == ENOENT)
            return;
        oci_die_errno(plan->sync_fd, "bind readonly path %s", path);
    }
    /* as runc: the mount's own flags (nosuid, nodev, noexec, atime) stay, only ro is added */
    if (remount_bind(path, MS_RDONLY | MS_REC | locked_flags(path)) < 0)
        oci_die_errno(plan->sync_fd, "remount readonly path %s", path);
}

static void mask_path(const struct oci_plan *plan, const char *path)
{
    struct stat st;
    if (stat(path, &st) < 0) {
        if (errno == ENOENT)
            return;
        oci_die_errno(plan->sync_fd, "mask path %s", path);
    }
    if (S_ISDIR(st.st_mode)) {
        if (mount("tmpfs", path, "tmpfs", MS_RDONLY, NULL) < 0)
            oci_die_errno(plan->sync_fd, "mask directory %s", path);
    } else if (mount("/dev/null", path, NULL, MS_BIND, NULL) < 0) {
        oci_die_errno(plan->sync_fd, "mask file %s", path);
    }
}

void oci_finish_rootfs(const struct oci_plan *plan)
{
    for (int i = 0; i < plan->n_readonly_paths; i++)
        readonly_path(plan, plan->readonly_paths[i]);
    for (int i = 0; i < plan->n_masked_paths; i++)
        mask_path(plan, plan->masked_paths[i]);
    /* after the read-only and masking binds: an (r)unbindable tree can no longer be bound */
    if (plan->rootfs_propagation && mount(NULL, "/", NULL, plan->rootfs_propagation, NULL) < 0)
        oci_die_errno(plan->sync_fd, "set rootfs propagation");
    if (plan->dev_readonly && remount_bind("/dev", MS_RDONLY | locked_flags("/dev")) < 0)
        oci_die_errno(plan->sync_fd, "remount /dev read-only");
    if (plan->rootfs_readonly && remount_bind("/", MS_RDONLY) < 0)
        oci_die_errno(plan->sync_fd, "remount / read-only");
}
