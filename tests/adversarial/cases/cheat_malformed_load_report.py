# Writes a load report of its own (with fields of the wrong types) to the reply pipe
# before the real one: the grader must not turn that into a grader fault.
import fcntl
import os

from autograder.runtime import wire


def _reply_pipe():
    for fd in range(3, 256):
        try:
            flags = fcntl.fcntl(fd, fcntl.F_GETFL)
            target = os.readlink(f"/proc/self/fd/{fd}")
        except OSError:
            continue
        if flags & os.O_ACCMODE == os.O_WRONLY and target.startswith("pipe:"):
            return fd
    return None


class Forge:  # a class body runs when the grader loads the definitions
    fd = _reply_pipe()
    if fd is not None:
        bad = {"status": "loaded", "defined": 5, "problems": {"a": 1}, "findings": "x"}
        os.write(fd, wire.frame(*wire.encode(bad)))


def square(x):
    return x * x


def add(a, b):
    return a + b
