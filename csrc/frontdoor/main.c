/* The `ociruntime` command: a small C front door to the Python layer.
 *
 * The calls engines make for every container (`state`, `start`, `kill`, `delete`,
 * and `--version`) are served here, from what `create` recorded in the state
 * directory (the layout: ociruntime/container/state.py), through the same C the
 * Python layer uses for those steps (csrc/container.c). Everything else, and every
 * case a recorded fact says needs Python, is handed over by execve() of the Python
 * layer (`ociruntime-py` beside this program) with the same arguments: no shell, no
 * extra process. Handing over is decided before anything is changed, so Python
 * always starts from what it would have found itself:
 *   - a flag, command or argument form this file does not parse itself (the Python
 *     layer then gives runc's usage errors, or does the work);
 *   - a state.json key this file does not know, a value of a shape it does not know
 *     (a cgroup driver other than cgroupfs v1/v2 and systemd, a string it could not
 *     copy verbatim), a status it does not serve ("creating"), a nesting deeper than
 *     it reads, a damaged state.json at `delete`;
 *   - `start` with poststart hooks; `delete` with poststop hooks, a network record or
 *     a systemd unit to stop; `kill --all` of a container without a cgroup;
 * Errors it gives itself are the Python layer's, word for word (tests/frontdoor). */
#include "../internal.h"
#include "json.h"
#include <limits.h>
#include <dirent.h>
#include <sys/file.h>
#include <time.h>

#define PYTHON_LAYER "ociruntime-py"
#define STATE_MAX (16 << 20)   /* ociruntime/container/state.py STATE_MAX */
#define MAX_DEPTH 500          /* deeper: the Python layer decides (its json recurses) */
#define MAX_CGROUP_DIRS 32

static char **g_argv;
static int g_damaged_to_python;  /* `delete`: a damaged state is the Python layer's to clean up */
static const char *g_log_path;
static int g_log_fd = -1;   /* --log, opened before anything is done (log.py Log) */
static int g_log_json;

/* --- handing over ------------------------------------------------------------------ */

__attribute__((noreturn)) static void handover(void)
{
    char self[PATH_MAX], *slash;
    ssize_t n = readlink("/proc/self/exe", self, sizeof self - sizeof PYTHON_LAYER - 1);
    if (n <= 0 || !(slash = memrchr(self, '/', (size_t) n))) {
        fprintf(stderr, "ociruntime: cannot find the Python layer: /proc/self/exe: %s\n", strerror(errno));
        exit(1);
    }
    strcpy(slash + 1, PYTHON_LAYER);
    /* fds this program opened are close-on-exec: the lock goes with them */
    execv(self, g_argv);
    fprintf(stderr, "ociruntime: cannot run the Python layer %s: %s\n", self, strerror(errno));
    exit(1);
}

/* --- errors, as ociruntime/log.py writes them -------------------------------------- */

/* Python's json.dumps(str) (ensure_ascii) of UTF-8 text: bad bytes become U+FFFD. */
static void put_json_string(FILE *f, const char *s)
{
    const unsigned char *p = (const unsigned char *) s;
    fputc('"', f);
    while (*p) {
        unsigned long c = *p;
        int n = 0;
        if (c >= 0xC2 && c <= 0xDF) { n = 1; c &= 0x1F; }
        else if (c >= 0xE0 && c <= 0xEF) { n = 2; c &= 0x0F; }
        else if (c >= 0xF0 && c <= 0xF4) { n = 3; c &= 0x07; }
        else if (c >= 0x80) { c = 0xFFFD; }
        for (int i = 1; i <= n; i++) {
            if ((p[i] & 0xC0) != 0x80) { c = 0xFFFD; n = i - 1; break; }
            c = (c << 6) | (p[i] & 0x3F);
        }
        p += n + 1;
        if (c == '"') fputs("\\\"", f);
        else if (c == '\\') fputs("\\\\", f);
        else if (c == '\n') fputs("\\n", f);
        else if (c == '\r') fputs("\\r", f);
        else if (c == '\t') fputs("\\t", f);
        else if (c == '\b') fputs("\\b", f);
        else if (c == '\f') fputs("\\f", f);
        else if (c >= 0x20 && c < 0x7f) fputc((int) c, f);
        else if (c < 0x10000) fprintf(f, "\\u%04lx", c);
        else {
            c -= 0x10000;
            fprintf(f, "\\u%04lx\\u%04lx", 0xD800 | (c >> 10), 0xDC00 | (c & 0x3FF));
        }
    }
    fputc('"', f);
}

static void log_line(const char *level, const char *msg)
{
    struct timespec now;
    struct tm tm;
    char stamp[64], *line = NULL;
    size_t len = 0;
    FILE *f;
    if (g_log_fd < 0)
        return;
    clock_gettime(CLOCK_REALTIME, &now);
    gmtime_r(&now.tv_sec, &tm);
    strftime(stamp, sizeof stamp, "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(stamp + strlen(stamp), sizeof stamp - strlen(stamp), ".%09ldZ", now.tv_nsec);
    if (!(f = open_memstream(&line, &len)))
        return;
    if (g_log_json) {
        fprintf(f, "{\"level\": \"%s\", \"msg\": ", level);
        put_json_string(f, msg);
        fprintf(f, ", \"time\": \"%s\"}\n", stamp);
    } else {
        fprintf(f, "time=\"%s\" level=%s msg=", stamp, level);
        put_json_string(f, msg);
        fputc('\n', f);
    }
    fclose(f);
    if (write(g_log_fd, line, len) != (ssize_t) len)
        fprintf(stderr, "ociruntime: cannot write log %s: %s\n", g_log_path, strerror(errno));
    free(line);
}

/* The one-line error (stderr and --log); the command's exit code, 1. */
__attribute__((format(printf, 1, 2))) static int fail(const char *fmt, ...)
{
    char *msg;
    va_list ap;
    va_start(ap, fmt);
    if (vasprintf(&msg, fmt, ap) < 0)
        msg = NULL;
    va_end(ap);
    log_line("error", msg ? msg : fmt);
    fprintf(stderr, "ociruntime: %s\n", msg ? msg : fmt);
    free(msg);
    return 1;
}

/* --- the state directory ------------------------------------------------------------ */

struct cgroup_dir {
    char *key;    /* v1 hierarchy ("cpu,cpuacct", "" for hybrid cgroup2); v2: "" */
    char *path;
};

struct container {
    const char *id;
    char dir[PATH_MAX];
    int dir_fd;
    char *text;                  /* state.json */
    struct jv state, bundle, rootfs, created, annotations, config;
    long long pid, start_time;
    int cgroup_version;          /* 0: none recorded */
    struct cgroup_dir cgroups[MAX_CGROUP_DIRS];
    int n_cgroups;
    int has_network, has_poststart, has_poststop, owns_pid_ns;
    int systemd_unit;            /* the systemd driver's record: its unit is Python's to stop */
};

static int check_id(const char *id)
{
    const char *p;
    if (!*id)
        return fail("container id cannot be empty");
    if (strlen(id) > 255)
        return fail("container id is longer than 255 bytes");
    for (p = id; *p; p++)
        if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') || strchr("_+-.", *p)))
            break;
    if (*p || !strcmp(id, ".") || !strcmp(id, ".."))
        return fail("invalid container id format: %s", id);
    return 0;
}

/* A copy of a string value known to need no unescaping (json_canonical_string plain). */
static char *plain_string(struct jv v)
{
    if (!json_canonical_string(v, 1))
        handover();
    return strndup(v.s + 1, (size_t) (v.e - v.s - 2));
}

/* state.cgroup: the cgroupfs drivers' records (ociruntime/cgroups, to_state()). */
static void read_cgroup(struct container *c, struct jv cg)
{
    const char *cursor = cg.s;
    struct jv k, v, paths = { 0 };
    if (!json_is(cg, '{'))
        handover();
    while (json_next_member(cg, &cursor, &k, &v)) {
        if (json_key_is(k, "version")) {
            c->cgroup_version = (int) json_uint(v, 2);
            if (c->cgroup_version < 1)
                handover();
        } else if (json_key_is(k, "path") || json_key_is(k, "paths")) {
            paths = v;
        } else if (json_key_is(k, "driver")) {
            if (!json_key_is(v, "systemd"))
                handover();  /* a driver this file does not know */
            c->systemd_unit = 1;
        } else if (!json_key_is(k, "mountpoint") && !json_key_is(k, "mountpoints") && !json_key_is(k, "unit")) {
            handover();
        }
    }
    if (c->systemd_unit && c->cgroup_version != 2)
        handover();
    if (c->cgroup_version == 2 && json_is(paths, '"')) {
        c->cgroups[0].key = strdup("");
        c->cgroups[0].path = plain_string(paths);
        c->n_cgroups = 1;
    } else if (c->cgroup_version == 1 && json_is(paths, '{')) {
        cursor = paths.s;
        while (json_next_member(paths, &cursor, &k, &v)) {
            if (c->n_cgroups == MAX_CGROUP_DIRS)
                handover();
            c->cgroups[c->n_cgroups].key = plain_string(k);
            c->cgroups[c->n_cgroups].path = plain_string(v);
            c->n_cgroups++;
        }
    } else {
        handover();
    }
}

/* Python's truth of a JSON value: false, null, 0, "", [] and {} are false. */
static int truthy(struct jv v)
{
    const char *cursor = v.s;
    struct jv k, x;
    if (json_is(v, '['))
        return json_next_element(v, &cursor, &x);
    if (json_is(v, '{'))
        return json_next_member(v, &cursor, &k, &x);
    return !(json_is(v, 'n') || json_is(v, 'f') || (json_is(v, '"') && v.e - v.s == 2)
             || (v.e - v.s == 1 && *v.s == '0'));
}

/* state.config: only what the served commands need to know (hooks to run, whether the
 * container has a pid namespace of its own), never re-read from the bundle. */
static void read_config(struct container *c)
{
    struct jv hooks, v, lin, nss, ns, type, path;
    const char *cursor;
    if (json_get(c->config, "hooks", &hooks) && truthy(hooks)) {
        if (!json_is(hooks, '{'))
            handover();
        c->has_poststart = json_get(hooks, "poststart", &v) && truthy(v);
        c->has_poststop = json_get(hooks, "poststop", &v) && truthy(v);
    }
    if (!json_get(c->config, "linux", &lin) || !json_get(lin, "namespaces", &nss))
        return;
    if (!json_is(nss, '['))
        handover();
    cursor = nss.s;
    while (json_next_element(nss, &cursor, &ns)) {
        if (!json_get(ns, "type", &type) || !json_key_is(type, "pid"))
            continue;
        if (!json_get(ns, "path", &path) || !truthy(path))
            c->owns_pid_ns = 1;
    }
}

/* A state.json that cannot be read: StateDir.load's error, or for `delete` the Python
 * layer (which may clean up from what else the directory holds). */
__attribute__((format(printf, 2, 3))) static int damaged(struct container *c, const char *fmt, ...)
{
    char why[256];
    va_list ap;
    if (g_damaged_to_python)
        handover();
    va_start(ap, fmt);
    vsnprintf(why, sizeof why, fmt, ap);
    va_end(ap);
    return fail("container %s: state is %s", c->id, why);
}

/* Check a state.json document and pick out what the served commands use; errors as
 * StateDir.load gives them, anything unexpected handed over. */
static int read_state(struct container *c)
{
    static const char *const known[] = { "id", "bundle", "rootfs", "created", "annotations", "config",
                                         "pid", "init_start_time", "cgroup", "network", NULL };
    const char *seen[16];
    const char *cursor;
    int n_seen = 0, rc;
    struct jv k, v;
    c->pid = c->start_time = -1;
    rc = json_parse(c->text, c->text + strlen(c->text), MAX_DEPTH, &c->state);
    if (rc == JSON_TOO_DEEP)
        handover();
    if (rc != JSON_OK || !json_is(c->state, '{') || !json_get(c->state, "config", &c->config) || !json_is(c->config, '{'))
        return damaged(c, "corrupt");
    cursor = c->state.s;
    while (json_next_member(c->state, &cursor, &k, &v)) {
        int i;
        for (i = 0; known[i] && !json_key_is(k, known[i]); i++)
            ;
        if (!known[i])
            handover();  /* "creating", or a field added since: the Python layer knows it */
        for (int j = 0; j < n_seen; j++)
            if (seen[j] == known[i])
                handover();  /* a repeated key: which one counts is the json module's business */
        seen[n_seen++] = known[i];
        if (!strcmp(known[i], "bundle")) c->bundle = v;
        else if (!strcmp(known[i], "rootfs")) c->rootfs = v;
        else if (!strcmp(known[i], "created")) c->created = v;
        else if (!strcmp(known[i], "annotations")) c->annotations = v;
        else if (!strcmp(known[i], "pid")) c->pid = json_uint(v, INT_MAX);
        else if (!strcmp(known[i], "init_start_time")) c->start_time = json_uint(v, LLONG_MAX);
        else if (!strcmp(known[i], "network")) c->has_network = !json_is(v, 'n');
        else if (!strcmp(known[i], "cgroup") && !json_is(v, 'n')) read_cgroup(c, v);
    }
    /* no init yet ("creating"), or a field missing or of another type */
    if (c->pid <= 0 || c->start_time < 0 || !json_canonical_string(c->bundle, 0)
        || !json_canonical_string(c->rootfs, 0) || !json_canonical_string(c->created, 0))
        handover();
    if (c->annotations.s) {
        if (!json_is(c->annotations, '{'))
            handover();
        cursor = c->annotations.s;
        while (json_next_member(c->annotations, &cursor, &k, &v))
            if (!json_canonical_string(k, 0) || !json_canonical_string(v, 0))
                handover();
    }
    read_config(c);
    return 0;
}

/* Open (and for every command but `state`, lock) the container's state dir and read
 * its state; 0, or the command's exit code after the error. 2: not found. */
static int load(struct container *c, const char *root, const char *id, int locked)
{
    struct stat st;
    ssize_t n;
    size_t used = 0;
    int fd;
    c->id = id;
    c->dir_fd = -1;
    if (check_id(id))
        return 1;
    if (snprintf(c->dir, sizeof c->dir, "%s%s%s", root, *root && root[strlen(root) - 1] != '/' ? "/" : "", id)
        >= (int) sizeof c->dir) {
        errno = ENAMETOOLONG;
        return fail("container %s: state is unreachable: %s", id, strerror(errno));
    }
    c->dir_fd = open(c->dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (c->dir_fd < 0 && (errno == ELOOP || errno == ENOTDIR) && lstat(c->dir, &st) == 0 && S_ISLNK(st.st_mode))
        return fail("container %s: state is not a directory (a symlink)", id);
    if (c->dir_fd < 0 && (errno == ENOENT || errno == ENOTDIR))
        return 2;
    if (c->dir_fd < 0)
        return fail("container %s: state is unreachable: %s", id, strerror(errno));
    if (locked) {
        flock(c->dir_fd, LOCK_EX);
        if (fstat(c->dir_fd, &st) == 0 && st.st_nlink == 0)  /* deleted while we waited */
            return 2;
    }
    fd = openat(c->dir_fd, "state.json", O_RDONLY | O_CLOEXEC);
    if (fd < 0 && errno == ENOENT)
        return damaged(c, "missing (no state.json)");
    if (fd < 0)
        return damaged(c, "unreadable: %s", strerror(errno));
    c->text = malloc(STATE_MAX + 2);
    if (!c->text)
        return damaged(c, "unreadable: %s", strerror(ENOMEM));
    while (used <= STATE_MAX && (n = read(fd, c->text + used, STATE_MAX + 1 - used)) != 0) {
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            close(fd);
            return damaged(c, "unreadable: %s", strerror(errno));
        }
        used += (size_t) n;
    }
    close(fd);
    if (used > STATE_MAX)
        return damaged(c, "too large (over %d bytes)", STATE_MAX);
    c->text[used] = 0;
    if (memchr(c->text, 0, used))
        return damaged(c, "corrupt");
    return read_state(c);
}

static int not_found(struct container *c)
{
    return fail("container %s does not exist", c->id);
}

static const char *freezer_dir(struct container *c)
{
    if (c->cgroup_version == 2)
        return c->cgroups[0].path;
    for (int i = 0; i < c->n_cgroups; i++) {
        char key[256], *tok, *save;
        snprintf(key, sizeof key, "%s", c->cgroups[i].key);
        for (tok = strtok_r(key, ",", &save); tok; tok = strtok_r(NULL, ",", &save))
            if (!strcmp(tok, "freezer"))
                return c->cgroups[i].path;
    }
    return NULL;
}

/* Where cgroup.procs lists the container's processes (the v1 driver's PIDS_SOURCES). */
static const char *procs_dir(struct container *c)
{
    static const char *const sources[] = { "pids", "freezer", "memory", "devices", NULL };
    if (c->cgroup_version == 2)
        return c->cgroups[0].path;
    for (int s = 0; sources[s]; s++)
        for (int i = 0; i < c->n_cgroups; i++) {
            char key[256], *tok, *save;
            snprintf(key, sizeof key, "%s", c->cgroups[i].key);
            for (tok = strtok_r(key, ",", &save); tok; tok = strtok_r(NULL, ",", &save))
                if (!strcmp(tok, sources[s]))
                    return c->cgroups[i].path;
        }
    return c->cgroups[0].path;
}

static const char *const STATUS_NAMES[] = { "", "stopped", "created", "paused", "running" };

static int status(struct container *c)
{
    char file[PATH_MAX];
    const char *freezer = c->cgroup_version ? freezer_dir(c) : NULL;
    if (freezer)
        snprintf(file, sizeof file, "%s/%s", freezer, c->cgroup_version == 2 ? "cgroup.freeze" : "freezer.state");
    return oci_container_status(c->dir_fd, (int) c->pid, (unsigned long long) c->start_time,
                                freezer ? file : NULL, c->cgroup_version == 2 ? "1" : "FROZEN");
}

static void put_span(FILE *f, struct jv v)
{
    fwrite(v.s, 1, (size_t) (v.e - v.s), f);
}

/* --- the commands ------------------------------------------------------------------- */

static int cmd_state(const char *root, const char *id)
{
    struct container c = { 0 };
    const char *cursor;
    struct jv k, v;
    int rc = load(&c, root, id, 0), st, first = 1;
    if (rc)
        return rc == 2 ? not_found(&c) : rc;
    st = status(&c);
    /* ociruntime/container/lifecycle.py public_state, as jsonio.dumps(indent=2) writes it */
    printf("{\n  \"ociVersion\": \"%s\",\n  \"id\": \"%s\",\n  \"pid\": %lld,\n  \"status\": \"%s\",\n  \"bundle\": ",
           OCI_SPEC_VERSION, id, st == OCI_STATUS_STOPPED ? 0 : c.pid, STATUS_NAMES[st]);
    put_span(stdout, c.bundle);
    fputs(",\n  \"rootfs\": ", stdout);
    put_span(stdout, c.rootfs);
    fputs(",\n  \"created\": ", stdout);
    put_span(stdout, c.created);
    fputs(",\n  \"owner\": \"\",\n  \"annotations\": {", stdout);
    if (c.annotations.s) {
        cursor = c.annotations.s;
        while (json_next_member(c.annotations, &cursor, &k, &v)) {
            fputs(first ? "\n    " : ",\n    ", stdout);
            put_span(stdout, k);
            fputs(": ", stdout);
            put_span(stdout, v);
            first = 0;
        }
    }
    fputs(first ? "}\n}\n" : "\n  }\n}\n", stdout);
    return 0;
}

/* The state handed to the init for its startContainer hooks (lifecycle.py _state_json). */
static char *init_state(struct container *c, const char *status_name)
{
    char *text = NULL;
    size_t len = 0;
    const char *cursor;
    struct jv k, v;
    int first = 1;
    FILE *f = open_memstream(&text, &len);
    if (!f)
        return NULL;
    fprintf(f, "{\"ociVersion\": \"%s\", \"id\": \"%s\", \"status\": \"%s\", \"pid\": %lld, \"bundle\": ",
            OCI_SPEC_VERSION, c->id, status_name, c->pid);
    put_span(f, c->bundle);
    fputs(", \"annotations\": {", f);
    if (c->annotations.s) {
        cursor = c->annotations.s;
        while (json_next_member(c->annotations, &cursor, &k, &v)) {
            fputs(first ? "" : ", ", f);
            put_span(f, k);
            fputs(": ", f);
            put_span(f, v);
            first = 0;
        }
    }
    fputs("}}", f);
    fclose(f);
    return text;
}

static int cmd_start(const char *root, const char *id)
{
    struct container c = { 0 };
    char reply[OCI_REPLY_LEN], *state, *errno_at;
    int rc = load(&c, root, id, 1), st;
    if (rc)
        return rc == 2 ? not_found(&c) : rc;
    if (c.has_poststart)
        handover();
    st = status(&c);
    if (st == OCI_STATUS_STOPPED)
        return fail("cannot start a container that has stopped");
    if (st != OCI_STATUS_CREATED)
        return fail("cannot start a container that is %s", STATUS_NAMES[st]);
    if (!(state = init_state(&c, "created")))
        return fail("start: %s", strerror(ENOMEM));
    rc = oci_start_connect(c.dir_fd);
    if (rc < 0) {
        free(state);
        return fail("the container's init is gone: %s", strerror(-rc));
    }
    rc = oci_start_release(rc, c.dir_fd, state, (int) c.pid, reply, sizeof reply);
    free(state);
    if (rc < 0)
        return fail("start: %s", reply);
    if (rc == 0)
        return 0;
    if (strncmp(reply, "error ", 6))
        return fail("%s", reply);
    /* spawn.py init_error: the exec stub has no strerror and ends with "errno N" */
    errno_at = strstr(reply, ": errno ");
    if (errno_at) {
        char *last;
        while ((last = strstr(errno_at + 1, ": errno ")))
            errno_at = last;
        if (errno_at[8] && strspn(errno_at + 8, "0123456789") == strlen(errno_at + 8)) {
            *errno_at = 0;
            return fail("%s: %s", reply + 6, strerror(atoi(errno_at + 8)));
        }
    }
    return fail("%s", reply + 6);
}

/* SIGTERM, TERM, 15, RTMIN+3 (signals.py parse_signal); -1: not one this file knows
 * (the Python layer then says why). */
static int parse_signal(const char *text)
{
    static const struct { const char *name; int num; } names[] = {
        { "HUP", SIGHUP }, { "INT", SIGINT }, { "QUIT", SIGQUIT }, { "ILL", SIGILL }, { "TRAP", SIGTRAP },
        { "ABRT", SIGABRT }, { "IOT", SIGIOT }, { "BUS", SIGBUS }, { "FPE", SIGFPE }, { "KILL", SIGKILL },
        { "USR1", SIGUSR1 }, { "SEGV", SIGSEGV }, { "USR2", SIGUSR2 }, { "PIPE", SIGPIPE }, { "ALRM", SIGALRM },
        { "TERM", SIGTERM }, { "STKFLT", SIGSTKFLT }, { "CHLD", SIGCHLD }, { "CLD", SIGCHLD }, { "CONT", SIGCONT },
        { "STOP", SIGSTOP }, { "TSTP", SIGTSTP }, { "TTIN", SIGTTIN }, { "TTOU", SIGTTOU }, { "URG", SIGURG },
        { "XCPU", SIGXCPU }, { "XFSZ", SIGXFSZ }, { "VTALRM", SIGVTALRM }, { "PROF", SIGPROF },
        { "WINCH", SIGWINCH }, { "IO", SIGIO }, { "POLL", SIGPOLL }, { "PWR", SIGPWR }, { "SYS", SIGSYS },
    };
    char up[32];
    const char *name;
    size_t i;
    long n;
    if (strlen(text) >= sizeof up)
        return -1;
    for (i = 0; text[i]; i++)
        up[i] = (char) (text[i] >= 'a' && text[i] <= 'z' ? text[i] - 32 : text[i]);
    up[i] = 0;
    if (up[0] >= '0' && up[0] <= '9') {
        if (strspn(up, "0123456789") != strlen(up) || strlen(up) > 3)
            return -1;
        n = atol(up);
        return n <= SIGRTMAX ? (int) n : -1;
    }
    name = strncmp(up, "SIG", 3) ? up : up + 3;
    for (i = 0; i < sizeof names / sizeof names[0]; i++)
        if (!strcmp(name, names[i].name))
            return names[i].num;
    return -1;
}

static int cmd_kill(const char *root, const char *id, const char *sig_text, int all)
{
    struct container c = { 0 };
    char err[OCI_ERR_LEN];
    int sig = parse_signal(sig_text), rc, st;
    if (sig < 0)
        handover();
    rc = load(&c, root, id, 1);
    if (rc)
        return rc == 2 ? not_found(&c) : rc;
    if (all && !c.cgroup_version)
        handover();
    st = status(&c);
    if (st == OCI_STATUS_STOPPED && !all)
        return fail("container not running");
    if (st == OCI_STATUS_STOPPED) {
        /* lifecycle.py _signal_leftovers: only without a pid namespace of its own */
        if (!c.owns_pid_ns && oci_cgroup_pid_count(procs_dir(&c)) > 0
            && oci_cgroup_kill_all(c.cgroup_version, procs_dir(&c), freezer_dir(&c), sig, err, sizeof err) < 0)
            return fail("%s", err);
    } else if (all) {
        if (sig == SIGKILL && st == OCI_STATUS_PAUSED
            && oci_cgroup_freeze(c.cgroup_version, freezer_dir(&c), 0, err, sizeof err) < 0)
            return fail("%s", err);
        if (oci_cgroup_kill_all(c.cgroup_version, procs_dir(&c), freezer_dir(&c), sig, err, sizeof err) < 0)
            return fail("%s", err);
    } else if (kill((pid_t) c.pid, sig) < 0) {
        return fail("kill: %s", strerror(errno));
    }
    return 0;
}

/* Remove the state dir (the lock goes with it), as StateDir.remove: state.json first,
 * recovery.json (when there is one) last, so that a delete cut short leaves a
 * directory that still says what it held. */
static int remove_state_dir(struct container *c)
{
    static const char *const last = "recovery.json";
    int fd = dup(c->dir_fd), rc = 0;
    DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
    struct dirent *e;
    if (!d)
        return fail("delete: %s: %s", c->dir, strerror(errno));
    if (unlinkat(c->dir_fd, "state.json", 0) < 0 && errno != ENOENT)
        rc = fail("delete: %s/state.json: %s", c->dir, strerror(errno));
    while (!rc && (e = readdir(d)))
        if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..") && strcmp(e->d_name, last)
            && unlinkat(c->dir_fd, e->d_name, 0) < 0 && errno != ENOENT)
            rc = fail("delete: %s/%s: %s", c->dir, e->d_name, strerror(errno));
    closedir(d);
    if (!rc && unlinkat(c->dir_fd, last, 0) < 0 && errno != ENOENT)
        rc = fail("delete: %s/%s: %s", c->dir, last, strerror(errno));
    if (!rc && rmdir(c->dir) < 0 && errno != ENOENT)
        rc = fail("delete: %s: %s", c->dir, strerror(errno));
    return rc;
}

static int cmd_delete(const char *root, const char *id, int force)
{
    struct container c = { 0 };
    char err[OCI_ERR_LEN];
    int rc, st, i;
    g_damaged_to_python = 1;
    rc = load(&c, root, id, 1);
    if (rc == 2 && force)
        return 0;
    if (rc)
        return rc == 2 ? not_found(&c) : rc;
    if (c.has_network || c.has_poststop || c.systemd_unit)
        handover();  /* endpoints to tear down, hooks to run, a unit to stop: lifecycle.py destroy */
    st = status(&c);
    if ((st == OCI_STATUS_RUNNING || st == OCI_STATUS_PAUSED) && !force)
        return fail("cannot delete container %s that is not stopped: %s", id, STATUS_NAMES[st]);
    if (st != OCI_STATUS_STOPPED) {
        /* lifecycle.py _kill_init_and_wait */
        if (c.cgroup_version) {
            oci_cgroup_kill_all(c.cgroup_version, procs_dir(&c), freezer_dir(&c), SIGKILL, err, sizeof err);
            if (freezer_dir(&c))
                oci_cgroup_freeze(c.cgroup_version, freezer_dir(&c), 0, err, sizeof err);
        }
        kill((pid_t) c.pid, SIGKILL);
        if (!oci_wait_dead_or_exiting((int) c.pid, 10000))
            return fail("container %s: its init (pid %lld) is still there 10 s after SIGKILL; its state dir %s is kept",
                        id, c.pid, c.dir);
    } else if (c.cgroup_version && !c.owns_pid_ns && oci_cgroup_pid_count(procs_dir(&c)) > 0
               && oci_cgroup_kill_all(c.cgroup_version, procs_dir(&c), freezer_dir(&c), SIGKILL, err, sizeof err) < 0) {
        return fail("%s", err);
    }
    /* every hierarchy's directory is tried; the first failure is named, and the state stays */
    rc = 0;
    for (i = 0; i < c.n_cgroups; i++)
        if (oci_cgroup_remove_tree(c.cgroups[i].path, err, sizeof err) < 0 && !rc)
            rc = fail("container %s: could not remove its cgroup (%s); its state dir %s is kept", id, err, c.dir);
    return rc ? rc : remove_state_dir(&c);
}

/* --- the command line (cli/args.py's conventions) ----------------------------------- */

/* A flag's name and value: "--root=/x" or "--root" "/x". 0: not this flag. */
static int value_flag(char **argv, int *i, const char *names, const char **value)
{
    const char *arg = argv[*i], *name = arg + strspn(arg, "-"), *eq = strchr(name, '=');
    size_t len = eq ? (size_t) (eq - name) : strlen(name);
    char list[64], *tok, *save;
    snprintf(list, sizeof list, "%s", names);
    for (tok = strtok_r(list, ",", &save); tok; tok = strtok_r(NULL, ",", &save))
        if (strlen(tok) == len && !strncmp(tok, name, len)) {
            if (eq) {
                *value = eq + 1;
            } else {
                if (!argv[*i + 1])
                    handover();  /* "flag needs an argument" */
                *value = argv[++*i];
            }
            return 1;
        }
    return 0;
}

static int bool_flag(const char *arg, const char *names)
{
    const char *name = arg + strspn(arg, "-");
    char list[64], *tok, *save;
    snprintf(list, sizeof list, "%s", names);
    for (tok = strtok_r(list, ",", &save); tok; tok = strtok_r(NULL, ",", &save))
        if (!strcmp(tok, name))
            return 1;
    if (strchr(name, '=')) {
        char bare[64];
        snprintf(bare, sizeof bare, "%.*s", (int) (strchr(name, '=') - name), name);
        snprintf(list, sizeof list, "%s", names);
        for (tok = strtok_r(list, ",", &save); tok; tok = strtok_r(NULL, ",", &save))
            if (!strcmp(tok, bare))
                handover();  /* --flag=value on a boolean: the Python parser reads the value */
    }
    return 0;
}

int main(int argc, char **argv)
{
    const char *root = getenv("OCIRUNTIME_ROOT"), *log_format = "text", *value, *trace = getenv("OCIRUNTIME_TRACE");
    const char *cmd, *args[3];
    int i, n_args = 0, version = 0, all = 0, force = 0, rc;
    g_argv = argv;
    if (!root)
        root = "/run/ociruntime";
    if (trace && *trace)
        handover();
    for (i = 1; i < argc; i++) {
        const char *arg = argv[i];
        if (arg[0] != '-' || !strcmp(arg, "-") || !strcmp(arg, "--"))
            break;
        if (value_flag(argv, &i, "root", &value)) root = value;
        else if (value_flag(argv, &i, "log", &value)) g_log_path = value;
        else if (value_flag(argv, &i, "log-format", &value)) log_format = value;
        else if (value_flag(argv, &i, "rootless,criu", &value)) continue;
        else if (bool_flag(arg, "v,version")) version = 1;
        else if (bool_flag(arg, "systemd-cgroup")) continue;  /* the state knows its driver */
        else handover();  /* --debug (its lines are the Python layer's), --trace, --help, a flag unknown here */
    }
    /* an unknown format or a log that cannot be opened: refused by the Python layer in runc's words */
    if (strcmp(log_format, "text") && strcmp(log_format, "json"))
        handover();
    g_log_json = !strcmp(log_format, "json");
    if (g_log_path && (g_log_fd = open(g_log_path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644)) < 0)
        handover();
    if (version) {
        printf("ociruntime version %s\ncommit: %s\nspec: %s\n", OCI_VERSION, OCI_VERSION, OCI_SPEC_VERSION);
        return 0;
    }
    if (i >= argc || !strcmp(argv[i], "--"))
        handover();
    cmd = argv[i++];
    if (strcmp(cmd, "state") && strcmp(cmd, "start") && strcmp(cmd, "kill") && strcmp(cmd, "delete"))
        handover();
    for (; i < argc; i++) {
        const char *arg = argv[i];
        if (arg[0] != '-' || !strcmp(arg, "-") || !strcmp(arg, "--"))
            break;
        if (!strcmp(cmd, "kill") && bool_flag(arg, "a,all")) all = 1;
        else if (!strcmp(cmd, "delete") && bool_flag(arg, "f,force")) force = 1;
        else handover();  /* --help, a flag unknown here */
    }
    if (i < argc && !strcmp(argv[i], "--"))
        i++;
    for (; i < argc; i++) {
        if (n_args == 2 || argv[i][0] == '-')
            handover();  /* usage errors, and flags after the id (runc reorders them), are the Python layer's */
        args[n_args++] = argv[i];
    }
    if (n_args == 0 || (n_args == 2 && strcmp(cmd, "kill")))
        handover();
    if (!strcmp(cmd, "state")) rc = cmd_state(root, args[0]);
    else if (!strcmp(cmd, "start")) rc = cmd_start(root, args[0]);
    else if (!strcmp(cmd, "kill")) rc = cmd_kill(root, args[0], n_args == 2 ? args[1] : "SIGTERM", all);
    else rc = cmd_delete(root, args[0], force);
    if (fflush(stdout) != 0 && !rc)
        rc = 1;
    return rc;
}
