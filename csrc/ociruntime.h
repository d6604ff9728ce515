/* The plan: everything the container's init needs between clone() and
 * execve(), flattened by the Python layer (ociruntime/plan.py).
 *
 * This file is read twice: by the C compiler (through internal.h) and by
 * CFFI's cdef (ociruntime/_build.py), so it holds only declarations CFFI
 * can parse: no preprocessor lines, no macros.
 *
 * Inputs and outputs: the Python layer fills every field of these structs but
 * those under an "outputs" heading at the end of a struct, which C writes (the
 * Python layer leaves them as ffi.new made them, zero).
 * "Unset", one rule: a pointer is NULL, a count 0, an fd -1, a value with an
 * impossible -1 (umask, personality) is -1 ("leave"); a value whose whole range
 * means something (oom_score_adj, time offsets, caps) has its own has_X flag. */

/* Fixed sizes, one definition for C and for Python (lib.OCI_MAX_JOINS, ...): the plan
 * builder refuses a config over a limit with an error naming the field, so C never
 * truncates. An enum, not #define: CFFI's cdef reads this file too. */
enum {
    OCI_MAX_JOINS = 16,       /* namespaces joined (by path, or every one for exec) */
    OCI_MAX_GIDS = 256,       /* process.user.additionalGids */
    OCI_ERR_LEN = 512         /* the error buffer oci_spawn and oci_seccomp_export fill */
};

/* The runtime <-> init sync protocol (csrc/sync.c; ociruntime/container/spawn.py): one
 * SOCK_SEQPACKET message per step, a word of this table with, for some, " PAYLOAD":
 * stage1 (stage 1 is in its cgroups) -> go -> pid N (the init's host pid) -> hooks (the
 * init's mounts are made) -> state JSON\nJSON (for the listener, for the hooks) -> ready.
 * An `exec` whose profile has a seccomp listener: seccomp-state (asked by the process)
 * -> state PID JSON (its host pid, the container's state). error MSG ends it from either stage, and answers `start` on the start socket; the
 * freestanding exec stub (csrc/stub/exec_stub.c) writes its own "error exec ..." line. */
enum oci_sync_word {
    OCI_SYNC_STAGE1, OCI_SYNC_GO, OCI_SYNC_PID, OCI_SYNC_HOOKS, OCI_SYNC_STATE, OCI_SYNC_READY,
    OCI_SYNC_SECCOMP_STATE, OCI_SYNC_ERROR, OCI_SYNC_WORDS
};
extern const char *const oci_sync_words[OCI_SYNC_WORDS];

struct oci_join_ns {
    int type;                 /* CLONE_NEW* flag */
    const char *path;         /* /proc/PID/ns/X or a bind-mounted ns file */
};

struct oci_mount {
    const char *source;       /* NULL: none */
    const char *destination;  /* absolute path inside the rootfs */
    const char *type;         /* NULL or "bind": a bind mount */
    unsigned long flags;      /* MS_* flags for mount(2), MS_BIND/MS_REC included */
    unsigned long propagation;/* MS_SHARED|MS_SLAVE|MS_PRIVATE|MS_UNBINDABLE [|MS_REC], 0: none */
    const char *data;         /* fs-specific options, NULL: none */
    unsigned long long rec_attr_set;  /* MOUNT_ATTR_* set on the mount and all below it (rro, rnosuid, ...) */
    unsigned long long rec_attr_clr;  /* MOUNT_ATTR_* cleared so (rrw, rsuid, ...); both 0: no mount_setattr */
    int open_tree;            /* 1: stage 1 opens the bind source as a detached tree (open_tree) before the
                                 user namespace exists, so the container's root need not reach it (crun) */
    int tree_fd;              /* set by stage 1 when open_tree: the tree stage 2 attaches (move_mount) */
    const char *idmap_uid_map;/* idmap/ridmap: uid_map lines of the mount's idmapping, NULL: none */
    const char *idmap_gid_map;
    int idmap_recursive;      /* ridmap: the idmapping on every mount of the tree */
};

struct oci_device {
    const char *path;         /* absolute path inside the rootfs */
    int type;                 /* 'c', 'b', 'p' (fifo) */
    long long major;
    long long minor;
    unsigned int mode;        /* permission bits */
    unsigned int uid;
    unsigned int gid;
};

struct oci_rlimit {
    int resource;             /* RLIMIT_* number */
    unsigned long long soft;
    unsigned long long hard;
};

struct oci_hook {
    const char *path;
    char **argv;              /* NULL-terminated; NULL: { path, NULL } */
    char **envp;              /* NULL-terminated; NULL: the container process's (runc's in-container hooks) */
    int timeout;              /* seconds, 0: none */
};

struct oci_seccomp_arg {
    unsigned int index;
    unsigned long long value;
    unsigned long long value_two;
    int op;                   /* libseccomp enum scmp_compare */
};

struct oci_seccomp_rule {
    const char *name;         /* syscall name */
    unsigned int action;      /* libseccomp SCMP_ACT_* value, errno folded in */
    struct oci_seccomp_arg *args;
    int n_args;
};

struct oci_seccomp {
    unsigned int default_action;
    char **architectures;     /* libseccomp arch names ("x86_64", "x86", ...) */
    int n_architectures;
    unsigned int flags;       /* SECCOMP_FILTER_FLAG_* */
    struct oci_seccomp_rule *rules;
    int n_rules;
    int notify;               /* some action is SCMP_ACT_NOTIFY: hand the fd to the listener */
    int listener_fd;          /* connected linux.seccomp.listenerPath socket, -1: none */
    const char *listener_head;/* the listener message's opening: '{"ociVersion":..,"fds":[..],"metadata":..' */
    const unsigned char *bpf; /* the filter compiled by the runtime (cached), loaded as is; NULL: build it here */
    int bpf_len;

    /* outputs, set by the init before loading */
    const char *state;        /* the runtime's state JSON (its "pid" is the host pid) */
    long pid;                 /* exec: the process's host pid for the listener; 0: the state's */
};

struct oci_plan {
    /* namespaces */
    int clone_flags;          /* CLONE_NEW* to create (CLONE_NEWUSER and CLONE_NEWTIME included) */
    struct oci_join_ns *joins;
    int n_joins;
    long long time_offsets[4];/* monotonic secs, nsecs, boottime secs, nsecs */
    int has_time_offsets;

    /* filesystem */
    const char *rootfs;       /* absolute host path */
    int rootfs_readonly;
    unsigned long rootfs_propagation;  /* applied to "/" before mounting, 0: MS_REC|MS_SLAVE */
    int no_pivot;
    int host_mount_ns;        /* 1: no mount namespace in the config: the host's mount table is never
                                 changed, the process is only chroot'ed into rootfs */
    struct oci_mount *mounts;
    int n_mounts;
    struct oci_device *devices;   /* default devices first, then linux.devices */
    int n_devices;
    int bind_devices;         /* in a user namespace mknod fails: bind the host's nodes */
    int dev_links;            /* /dev is ours (not a host bind): add the fd, stdio and ptmx links */
    int dev_readonly;         /* a read-only /dev mount: mounted rw, made read-only last (as runc) */
    char **masked_paths;
    int n_masked_paths;
    char **readonly_paths;
    int n_readonly_paths;
    const char *hostname;     /* NULL: leave as is */
    const char *domainname;
    char **sysctl;            /* "net/ipv4/ip_forward=1" pairs, key in /proc/sys path form */
    int n_sysctl;

    /* process */
    char **argv;
    char **envp;
    const char *cwd;
    unsigned int uid;
    unsigned int gid;
    unsigned int *additional_gids;
    int n_additional_gids;
    int umask;                /* -1: leave */
    struct oci_rlimit *rlimits;
    int n_rlimits;
    int oom_score_adj;
    int has_oom_score_adj;
    int no_new_privileges;
    unsigned long long caps[5];   /* effective, permitted, inheritable, bounding, ambient */
    int has_caps;
    int terminal;
    int console_fd;           /* connected --console-socket, -1: none */
    unsigned short console_rows;
    unsigned short console_cols;
    int preserve_fds;         /* fds 3 .. 3+N-1 survive exec */
    int personality;          /* -1: leave */
    struct oci_seccomp *seccomp;  /* NULL: none */
    const char *apparmor_profile; /* process.apparmorProfile, entered at the next execve; NULL: none */

    /* hooks run by the init itself, inside the container */
    struct oci_hook *create_container_hooks;
    int n_create_container_hooks;
    struct oci_hook *start_container_hooks;
    int n_start_container_hooks;

    /* cgroups, joined without a cgroup.procs write from the runtime (that write waits
     * for an RCU grace period, ~10 ms): stage 1 moves itself through each v1 `tasks`
     * file, and stage 2 is cloned into the cgroup2 directory (CLONE_INTO_CGROUP) */
    char **cgroup_tasks;
    int n_cgroup_tasks;
    const char *cgroup2_dir;  /* NULL: stay where stage 1 is */

    /* runtime plumbing */
    int state_dir_fd;         /* the container's state dir: the start socket is bound in it */
    int exec_only;            /* 1: `exec` into a running container (no rootfs work, no start wait) */

    /* outputs, set by oci_spawn and the stages */
    int sync_fd;              /* child end of the SOCK_SEQPACKET pair */
    int exec_stub_fd;         /* sealed memfd of csrc/stub/exec_stub.c, -1: none; exec: made by oci_spawn;
                                 create: received with the state at start (nothing held across the wait) */
};

/* Fork the runtime's side of a new container (or `exec` process): returns 0 and the
 * first-stage pid and the runtime's end of the sync socket; the init reports on it. */
int oci_spawn(struct oci_plan *plan, int *pid_out, int *sync_out, char *err, int errlen);
/* The exec stub (csrc/stub/exec_stub.c) in a new sealed memfd, close-on-exec; -1: none
 * (not x86_64). `start` sends it to the waiting init with the state. */
int oci_exec_stub_memfd(void);
/* Compile a filter to classic BPF into fd (the runtime caches it: see seccomp.py). */
int oci_seccomp_export(const struct oci_seccomp *sc, int fd, char *err, int errlen);
unsigned int oci_seccomp_version(void);
int oci_recv_fd(int sock);
int oci_send_fd(int sock, int fd, const char *name);

/* The container's state, acted on: one implementation for the `ociruntime` front door
 * (csrc/frontdoor/) and for the Python layer (ociruntime/container/), so the two
 * cannot drift. csrc/container.c. */
enum {
    OCI_STATUS_STOPPED = 1,
    OCI_STATUS_CREATED = 2,   /* the init waits on its start socket */
    OCI_STATUS_PAUSED = 3,
    OCI_STATUS_RUNNING = 4,
    OCI_REPLY_LEN = 4096      /* the reply buffer of oci_start_init */
};
/* A pid's /proc state letter and start time (clock ticks); -1 if it is gone. */
int oci_proc_start(int pid, char *state_letter, unsigned long long *start_time);
/* The status of a container whose init was recorded as (pid, start_time): stopped if
 * that process is gone (or a zombie), created while its start socket is in the state
 * dir, paused if freezer_file (NULL: none) reads frozen_value, else running. */
int oci_container_status(int state_dir_fd, int pid, unsigned long long start_time,
                         const char *freezer_file, const char *frozen_value);
/* Wait until pid (any process, not only a child) exits: 1 if it did, 0 after timeout_ms (-1: no limit). */
int oci_wait_exit(int pid, int timeout_ms);
/* Wait until a SIGKILLed pid is gone or exiting (PF_EXITING: it runs no more user code;
 * a pid namespace's init stays so until every zombie of its namespace is reaped, maybe
 * by a reaper outside the container): 1, or 0 after timeout_ms. */
int oci_wait_dead_or_exiting(int pid, int timeout_ms);
/* Signal every process of a cgroup tree. procs_dir: where the cgroup.procs files are;
 * freezer_dir: v1 freezer dir or v2 cgroup dir, NULL: none (no freeze). Frozen while
 * signalling (nothing forks past it); a paused one stays so, except for SIGKILL,
 * which thaws afterwards. v2 SIGKILL goes through cgroup.kill. 0, or -1 and err. */
int oci_cgroup_kill_all(int version, const char *procs_dir, const char *freezer_dir, int signum,
                        char *err, int errlen);
/* How many processes a cgroup tree holds (cgroup.procs of it and its descendants). */
int oci_cgroup_pid_count(const char *procs_dir);
/* Freeze (1) or thaw (0) a cgroup and wait until the kernel reports it; 0, or -1 and err. */
int oci_cgroup_freeze(int version, const char *freezer_dir, int frozen, char *err, int errlen);
/* rmdir a cgroup tree leaf-first, retrying while dying tasks still hold it; absent is fine. */
int oci_cgroup_remove_tree(const char *dir, char *err, int errlen);
/* Put the file tmp in place of name (both in dir_fd), atomically; tmp is gone after.
 * 0, or -1 and errno. */
int oci_replace_file(int dir_fd, const char *tmp, const char *name);
/* Release a created container's init, in two steps (a caller may trace between them):
 * connect to its start socket in the state dir: the connected socket, or -errno when
 * no init listens; then remove the socket file, send the state (and the exec stub
 * riding on it), read the reply and close: 0: started; 1: the init answered (reply:
 * its text; the init is waited for, up to 2 s, so that the failed start reads as
 * stopped at once); -1: the connection broke (reply: why). */
int oci_start_connect(int state_dir_fd);
int oci_start_release(int sock, int state_dir_fd, const char *state_json, int init_pid, char *reply, int replylen);
