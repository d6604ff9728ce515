"""Bring `lo` up inside a container with two ioctls: `none` networking needs no netlink library."""
import fcntl
import socket
import struct

from ociruntime.network import netns

SIOCGIFFLAGS = 0x8913
SIOCSIFFLAGS = 0x8914
IFF_UP = 0x1
IFREQ = "16sH22x"


def bring_up_loopback(netns_fd):
    with netns.entered(netns_fd):
        sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    with sock:
        request = struct.pack(IFREQ, b"lo", 0)
        _, flags = struct.unpack(IFREQ, fcntl.ioctl(sock, SIOCGIFFLAGS, request))
        fcntl.ioctl(sock, SIOCSIFFLAGS, struct.pack(IFREQ, b"lo", flags | IFF_UP))
