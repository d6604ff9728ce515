/* The process: OOM score, rlimits, umask, personality, user and groups, and the
 * executable's lookup on the container's PATH. */
#include "internal.h"
#include <grp.h>
#include <sys/personality.h>
#include <sys/prctl.h>
#include <sys/resource.h>

void oci_apply_process_attrs(const struct oci_plan *plan)
{
    if (plan->has_oom_score_adj) {
        char buf[16];
        int fd = open("/proc/self/oom_score_adj", O_WRONLY | O_CLOEXEC);
        int n = snprintf(buf, sizeof buf, "%d", plan->oom_score_adj);
        if (fd < 0 || write(fd, buf, n) < 0)
            oci_die_errno(plan->sync_fd, "set oom_score_adj to %d", plan->oom_score_adj);
        close(fd);
    }
    for (int i = 0; i < plan->n_rlimits; i++) {
        const struct oci_rlimit *r = &plan->rlimits[i];
        struct rlimit lim = { .rlim_cur = r->soft, .rlim_max = r->hard };
        if (setrlimit(r->resource, &lim) < 0)
            oci_die_errno(plan->sync_fd, "setrlimit %d (soft %llu, hard %llu)", r->resource, r->soft, r->hard);
    }
    if (plan->personality >= 0 && personality((unsigned long) plan->personality) < 0)
        oci_die_errno(plan->sync_fd, "personality");
    if (plan->umask >= 0)
        umask((mode_t) plan->umask);
}

void oci_switch_user(const struct oci_plan *plan)
{
    gid_t gids[OCI_MAX_GIDS] = { 0 };
    int n = plan->n_additional_gids < OCI_MAX_GIDS ? plan->n_additional_gids : OCI_MAX_GIDS;
    for (int i = 0; i < n; i++)
        gids[i] = plan->additional_gids[i];
    /* in a user namespace with setgroups "deny" only an empty list is refused: fine */
    if (setgroups(n, gids) < 0 && !(errno == EPERM && n == 0))
        oci_die_errno(plan->sync_fd, "setgroups");
    if (setresgid(plan->gid, plan->gid, plan->gid) < 0)
        oci_die_errno(plan->sync_fd, "setgid %u", plan->gid);
    if (prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) < 0)
        oci_die_errno(plan->sync_fd, "prctl(PR_SET_KEEPCAPS)");
    if (setresuid(plan->uid, plan->uid, plan->uid) < 0)
        oci_die_errno(plan->sync_fd, "setuid %u", plan->uid);
    prctl(PR_SET_KEEPCAPS, 0, 0, 0, 0);
}

/* process.cwd is created if missing, as runc does; we are inside the rootfs already,
 * so a symlink on the way cannot lead out of it. */
void oci_make_cwd(const struct oci_plan *plan)
{
    char path[4096];
    if (!plan->cwd || plan->cwd[0] != '/')
        return;
    snprintf(path, sizeof path, "%s", plan->cwd);
    for (char *p = path + 1;; p++) {
        char c = *p;
        if (c != '/' && c != '\0')
            continue;
        *p = '\0';
        if (path[0] && mkdir(path, 0755) < 0 && errno != EEXIST)
            oci_die_errno(plan->sync_fd, "create cwd (\"%s\") set in config.json", plan->cwd);
        if (c == '\0')
            return;
        *p = c;
    }
}

/* The home directory of uid in the container's /etc/passwd; "/" when it is not there. */
static void passwd_home(unsigned int uid, char *home, size_t len)
{
    char line[1024];
    FILE *f = fopen("/etc/passwd", "re");
    snprintf(home, len, "/");
    while (f && fgets(line, sizeof line, f)) {
        char *field[7] = { line };
        int n = 1;
        for (char *p = line; *p && n < 7; p++)
            if (*p == ':') {
                *p = '\0';
                field[n++] = p + 1;
            }
        if (n == 7 && field[2][0] && strtoul(field[2], NULL, 10) == uid) {
            snprintf(home, len, "%s", field[5]);
            break;
        }
    }
    if (f)
        fclose(f);
}

/* Like runc: a process.env without HOME, or with an empty one, gets the user's home
 * from /etc/passwd (plan.py has left each name once). */
void oci_default_home(struct oci_plan *plan)
{
    static char home[1024 + 5];
    char **envp;
    int n = 0, at = -1;
    for (char **e = plan->envp; e && *e; e++, n++)
        if (strncmp(*e, "HOME=", 5) == 0) {
            if ((*e)[5])
                return;
            at = n;
        }
    envp = calloc((size_t) n + 2, sizeof *envp);
    if (!envp)
        oci_die(plan->sync_fd, "out of memory");
    memcpy(envp, plan->envp, (size_t) n * sizeof *envp);
    memcpy(home, "HOME=", 5);
    passwd_home(plan->uid, home + 5, sizeof home - 5);
    envp[at >= 0 ? at : n] = home;
    plan->envp = envp;
}

/* errno says why not (ENOENT, EACCES): the error for a program named by path. */
static int is_executable(const char *path)
{
    struct stat st;
    if (stat(path, &st) < 0)
        return 0;
    if (!S_ISREG(st.st_mode) || !(st.st_mode & 0111)) {
        errno = EACCES;
        return 0;
    }
    return access(path, X_OK) == 0;
}

static const char *env_path(const struct oci_plan *plan)
{
    for (char **e = plan->envp; e && *e; e++)
        if (strncmp(*e, "PATH=", 5) == 0)
            return *e + 5;
    return "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
}

const char *oci_find_executable(const struct oci_plan *plan, char *buf, size_t len)
{
    const char *name = plan->argv[0];
    const char *p;
    if (!name || !*name)
        return NULL;
    if (strchr(name, '/'))
        return is_executable(name) ? name : NULL;
    p = env_path(plan);
    for (;;) {
        const char *colon = strchr(p, ':');
        size_t dl = colon ? (size_t) (colon - p) : strlen(p);
        if (dl == 0)
            snprintf(buf, len, "%s", name);
        else
            snprintf(buf, len, "%.*s/%s", (int) dl, p, name);
        if (is_executable(buf))
            return buf;
        if (!colon)
            return NULL;
        p = colon + 1;
    }
}
