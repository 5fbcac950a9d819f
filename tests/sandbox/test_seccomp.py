"""The child's seccomp filter: no sockets but AF_UNIX, whatever the privileges (it is what
keeps the network away where no network namespace can be made, as on Gradescope)."""

from __future__ import annotations

import os
import socket

import pytest

from autograder.sandbox import seccomp

pytestmark = pytest.mark.skipif(not seccomp.supported(), reason="no filter for this machine")

CHECK = """
import ctypes, errno, os, socket, sys
from autograder.sandbox import seccomp
ctypes.CDLL(None).prctl(38, 1, 0, 0, 0)  # PR_SET_NO_NEW_PRIVS, as the sandbox does first
assert seccomp.install()
for family in (socket.AF_INET, socket.AF_INET6, socket.AF_NETLINK):
    try:
        socket.socket(family, socket.SOCK_DGRAM)
    except OSError as exc:
        assert exc.errno == errno.EAFNOSUPPORT, exc
    else:
        sys.exit(f"opened family {family}")
a, b = socket.socketpair(socket.AF_UNIX)
a.sendall(b"ok")
assert b.recv(2) == b"ok"
with open("/proc/self/status") as fh:
    assert "Seccomp:\\t2" in fh.read()
print("filtered")
"""


def test_the_filter_refuses_network_sockets_and_keeps_local_ones():
    import subprocess
    import sys

    proc = subprocess.run([sys.executable, "-c", CHECK], capture_output=True, text=True)
    assert proc.returncode == 0 and "filtered" in proc.stdout, proc.stderr
    # this process is untouched
    socket.socket(socket.AF_INET, socket.SOCK_DGRAM).close()
    assert os.path.exists("/proc/self/status")
