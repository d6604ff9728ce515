"""Bring `lo` up inside a container with two ioctls: `none` networking (and every plain
create, through lifecycle) needs no netlink library. `_socket`, not `socket`: the wrapper
module's import (enum, selectors) would cost ~3 ms of every create."""
import _socket
import fcntl
import struct

from ociruntime.network import netns

SIOCGIFFLAGS = 0x8913
SIOCSIFFLAGS = 0x8914
IFF_UP = 0x1
IFREQ = "16sH22x"


def bring_up_loopback(netns_fd):
    with netns.entered(netns_fd):
        sock = _socket.socket(_socket.AF_INET, _socket.SOCK_DGRAM)
    try:
        request = struct.pack(IFREQ, b"lo", 0)
        _, flags = struct.unpack(IFREQ, fcntl.ioctl(sock.fileno(), SIOCGIFFLAGS, request))
        fcntl.ioctl(sock.fileno(), SIOCSIFFLAGS, struct.pack(IFREQ, b"lo", flags | IFF_UP))
    finally:
        sock.close()
