/* process.terminal: a pty from the container's own devpts; the master goes to the
 * --console-socket listener (SCM_RIGHTS), the slave becomes stdio and the ctty. */
#include "internal.h"
#include <sys/ioctl.h>
#include <termios.h>

#ifndef TIOCGPTPEER
#define TIOCGPTPEER _IO('T', 0x41)
#endif

void oci_setup_terminal(const struct oci_plan *plan)
{
    int master, slave, unlock = 0, ptn = 0;
    char name[64];
    if (!plan->terminal)
        return;
    master = open("/dev/ptmx", O_RDWR | O_NOCTTY | O_CLOEXEC);
    if (master < 0)
        oci_die_errno(plan->sync_fd, "open /dev/ptmx");
    if (ioctl(master, TIOCSPTLCK, &unlock) < 0 || ioctl(master, TIOCGPTN, &ptn) < 0)
        oci_die_errno(plan->sync_fd, "unlock pty");
    slave = ioctl(master, TIOCGPTPEER, O_RDWR | O_NOCTTY);
    if (slave < 0)
        oci_die_errno(plan->sync_fd, "open pty peer");
    if (plan->console_rows || plan->console_cols) {
        struct winsize ws = { .ws_row = plan->console_rows, .ws_col = plan->console_cols };
        ioctl(slave, TIOCSWINSZ, &ws);
    }
    snprintf(name, sizeof name, "/dev/pts/%d", ptn);
    if (plan->console_fd >= 0) {
        if (oci_send_fd(plan->console_fd, master, name) < 0)
            oci_die_errno(plan->sync_fd, "send the pty master to the console socket");
        close(plan->console_fd);
    }
    close(master);
    /* as runc's fixStdioPermissions: the process's user owns its terminal (the group stays
     * devpts' gid=); an owner or group not mapped in a user namespace is left as it is */
    if (plan->uid != 0 && fchown(slave, plan->uid, (gid_t)-1) < 0 && errno != EINVAL && errno != EPERM)
        oci_die_errno(plan->sync_fd, "chown the pty to uid %u", plan->uid);
    if (ioctl(slave, TIOCSCTTY, 0) < 0)
        oci_die_errno(plan->sync_fd, "set controlling terminal");
    for (int fd = 0; fd < 3; fd++)
        if (dup2(slave, fd) < 0)
            oci_die_errno(plan->sync_fd, "dup pty to stdio");
    if (slave > 2)
        close(slave);
}
