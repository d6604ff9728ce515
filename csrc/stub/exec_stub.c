/* The last step of every container process: a freestanding x86_64 program that
 * ociruntime runs from a sealed memfd (csrc/spawn.c), so that at the final execve
 * /proc/self/exe names no host file (the CVE-2019-5736 class: a `#!/proc/self/exe`
 * program would otherwise run, and let the container reopen, the runtime's own
 * interpreter). Built by ociruntime/_build.py, embedded in the extension.
 *
 * argv: ["ociruntime-exec", report_fd, path, arg0, arg1, ...]; the environment passes
 * through. Called any other way (as a script's interpreter), it exits 127.
 * report_fd becomes close-on-exec (EOF tells the runtime the program started);
 * if execve fails, "error exec PATH: errno N" is written to it (the runtime words
 * the errno: ociruntime/spawn.py init_error). */
#define SYS_write 1
#define SYS_fcntl 72
#define SYS_execve 59
#define SYS_exit 60
static long sys3(long n, long a, long b, long c)
{
    long r;
    __asm__ volatile("syscall" : "=a"(r) : "a"(n), "D"(a), "S"(b), "d"(c) : "rcx", "r11", "memory");
    return r;
}
__attribute__((used)) void stub_main(long *sp)
{
    long argc = sp[0];
    char **argv = (char **) (sp + 1);
    char **envp = argv + argc + 1;
    long fd = 0, err;
    char msg[4200]; /* not initialised: a freestanding build has no memset to call */
    int i = 0;
    /* only ociruntime calls it so: run as an interpreter (`#!/proc/self/exe`), refuse */
    const char *marker = "ociruntime-exec";
    for (int k = 0; argc < 3 || argv[0][k] != 0 || marker[k] != 0; k++)
        if (argc < 3 || argv[0][k] != marker[k])
            sys3(SYS_exit, 127, 0, 0);
    for (char *p = argv[1]; *p; p++) {
        if (*p < '0' || *p > '9')
            sys3(SYS_exit, 127, 0, 0);
        fd = fd * 10 + (*p - '0');
    }
    sys3(SYS_fcntl, fd, 2 /* F_SETFD */, 1 /* FD_CLOEXEC */);
    err = -sys3(SYS_execve, (long) argv[2], (long) (argv + 3), (long) envp);
    for (const char *p = "error exec "; *p; p++)
        msg[i++] = *p;
    for (const char *p = argv[2]; *p && i < 4096; p++)
        msg[i++] = *p;
    for (const char *p = ": errno "; *p; p++)
        msg[i++] = *p;
    if (err >= 100) msg[i++] = '0' + err / 100 % 10;
    if (err >= 10) msg[i++] = '0' + err / 10 % 10;
    msg[i++] = '0' + err % 10;
    sys3(SYS_write, fd, (long) msg, i);
    sys3(SYS_exit, 127, 0, 0);
}
__asm__(".globl _start\n_start:\n mov %rsp, %rdi\n and $-16, %rsp\n call stub_main\n hlt\n");
