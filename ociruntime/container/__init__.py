"""A container's life on this host: its state directory (state.py), the verbs that
create, start, signal and delete it (lifecycle.py), exec, the cgroup commands, and the
runtime's side of the C core's protocol (spawn.py, console.py, hooks.py, signals.py)."""
