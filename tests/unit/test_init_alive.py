"""StateDir.init_alive: the recorded init is that process (pid and start time) whatever the
status says, so that `delete` kills the init of a killed create ("creating") too."""
import os

from ociruntime.container.state import StateDir, process_start_time


def test_init_alive_while_creating_and_not_for_another_start_time(tmp_path):
    c = StateDir.make(str(tmp_path), "x")
    try:
        me = os.getpid()
        c.state = {"pid": me, "init_start_time": process_start_time(me)[1], "creating": True, "config": {}}
        assert c.status() == "creating" and c.init_alive()
        c.state["init_start_time"] += 1  # the pid now names another process
        assert not c.init_alive()
    finally:
        c.remove()
