"""The systemd cgroup driver (--systemd-cgroup): transient units through systemd's D-Bus API
(manager.py), cgroupsPath "slice:prefix:name" (naming.py), resources as unit properties
(properties.py), and the D-Bus client they use (dbus.py). Imported only for such containers."""
