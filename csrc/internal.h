/* Shared declarations between the C files of the container init. */
#ifndef OCIRUNTIME_INTERNAL_H
#define OCIRUNTIME_INTERNAL_H

#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/wait.h>

#include "ociruntime.h"

#ifndef CLONE_NEWTIME
#define CLONE_NEWTIME 0x00000080
#endif
#ifndef CLONE_NEWCGROUP
#define CLONE_NEWCGROUP 0x02000000
#endif

/* The new mount API (Linux 5.2 / 5.12), not in every libc's headers: its syscall
 * numbers are the same on every architecture but alpha. */
#ifndef SYS_open_tree
#define SYS_open_tree 428
#endif
#ifndef SYS_move_mount
#define SYS_move_mount 429
#endif
#ifndef SYS_mount_setattr
#define SYS_mount_setattr 442
#endif
#ifndef OPEN_TREE_CLONE
#define OPEN_TREE_CLONE 1
#endif
#ifndef AT_RECURSIVE
#define AT_RECURSIVE 0x8000
#endif
#ifndef OPEN_TREE_CLOEXEC
#define OPEN_TREE_CLOEXEC O_CLOEXEC
#endif
#ifndef MOVE_MOUNT_F_EMPTY_PATH
#define MOVE_MOUNT_F_EMPTY_PATH 0x00000004
#endif
#ifndef MOVE_MOUNT_T_EMPTY_PATH
#define MOVE_MOUNT_T_EMPTY_PATH 0x00000040
#endif
#ifndef MOUNT_ATTR_IDMAP
#define MOUNT_ATTR_IDMAP 0x00100000
#endif
struct oci_mount_attr {       /* struct mount_attr of <linux/mount.h> */
    unsigned long long attr_set;
    unsigned long long attr_clr;
    unsigned long long propagation;
    unsigned long long userns_fd;
};

/* Report a failure to the runtime over the sync socket and exit the child.
 * The message becomes the runtime's one-line error. */
__attribute__((noreturn, format(printf, 2, 3)))
void oci_die(int sync_fd, const char *fmt, ...);
/* Same, with ": strerror(errno)" appended. */
__attribute__((noreturn, format(printf, 2, 3)))
void oci_die_errno(int sync_fd, const char *fmt, ...);

/* sync.c: "word" or "word payload" (payload NULL: none), one SOCK_SEQPACKET message */
int oci_sync_send(int fd, enum oci_sync_word word, const char *payload);
/* Send data with fd attached (SCM_RIGHTS). */
int oci_send_fd_with(int sock, int fd, const char *data, size_t len);
/* Receive one message; returns its length, -1 on error, 0 on EOF. */
int oci_sync_recv(int fd, char *buf, int len);
/* Wait for the message of `word` (its payload copied out); dies on anything else. */
void oci_sync_expect(int fd, enum oci_sync_word word, char *payload, int len);

/* namespaces.c */
void oci_open_namespaces(const struct oci_plan *plan, int *fds);
void oci_join_namespaces(const struct oci_plan *plan, int *fds, int only_user);
void oci_setup_time_offsets(const struct oci_plan *plan);
void oci_set_uts(const struct oci_plan *plan);
void oci_loopback_up(const struct oci_plan *plan);
void oci_apply_sysctl(const struct oci_plan *plan);

/* safe_path.c: resolution inside the rootfs without escaping it */
int oci_open_in_root(int rootfd, const char *path, int flags);
int oci_mkdir_in_root(int rootfd, const char *path, mode_t mode);
int oci_make_target_in_root(int rootfd, const char *path, int is_dir);
int oci_open_plain_dir_in_root(int rootfd, const char *path);
void oci_fd_path(int fd, char *buf, size_t len);

/* mounts.c */
void oci_prepare_rootfs(const struct oci_plan *plan, int rootfd);
void oci_open_mount_trees(struct oci_plan *plan);
void oci_mount_all(const struct oci_plan *plan, int rootfd);
void oci_create_devices(const struct oci_plan *plan, int rootfd);
void oci_finish_rootfs(const struct oci_plan *plan);

/* pivot.c */
void oci_enter_rootfs(const struct oci_plan *plan, int rootfd);
void oci_chroot_rootfs(const struct oci_plan *plan, int rootfd);

/* terminal.c */
void oci_setup_terminal(const struct oci_plan *plan);
void oci_create_dev_links(int rootfd);

/* process.c */
void oci_apply_process_attrs(const struct oci_plan *plan);
const char *oci_find_executable(const struct oci_plan *plan, char *buf, size_t len);
void oci_switch_user(const struct oci_plan *plan);
void oci_make_cwd(const struct oci_plan *plan);
void oci_default_home(struct oci_plan *plan);

/* caps.c */
void oci_drop_bounding(const struct oci_plan *plan);
void oci_apply_caps(const struct oci_plan *plan);

/* apparmor.c */
void oci_apply_apparmor(const struct oci_plan *plan);

/* hooks.c */
void oci_run_hooks(int sync_fd, const char *kind, const struct oci_hook *hooks, int n, char **envp, const char *state);

/* seccomp.c */
int oci_seccomp_load(const struct oci_seccomp *sc, int *notify_fd, char *err, int errlen);

#endif
