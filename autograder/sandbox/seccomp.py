"""A seccomp filter for the sandbox child: no network, in every mode.

A private network namespace needs CAP_SYS_ADMIN, which Gradescope's and Docker's
containers lack. A seccomp filter needs nothing but ``no_new_privs`` (set before it), so
the child always gets one: ``socket()`` is refused for every family but ``AF_UNIX``
(with EAFNOSUPPORT, as on a machine without that protocol), and ``io_uring_setup`` (which
can open sockets without calling ``socket()``) with ENOSYS.

The filter is a small classic-BPF program written here (no dependency): refuse system
calls of another ABI (32-bit compat, x32), load the call's number, and for ``socket`` its
first argument. Every other call is allowed.
Architectures other than x86-64 and aarch64 get no filter (``install`` says so).
"""

from __future__ import annotations

import ctypes
import errno
import platform
import struct

__all__ = ["install", "supported"]

_PR_SET_SECCOMP, _SECCOMP_MODE_FILTER = 22, 2
_RET_ALLOW, _RET_ERRNO = 0x7FFF0000, 0x00050000
_LD_W_ABS, _JEQ_K, _JGE_K, _RET_K = 0x20, 0x15, 0x35, 0x06
_X32_BIT = 0x40000000  # x86-64's x32 system calls: numbers with this bit set
_AF_UNIX = 1
# seccomp_data: int nr; u32 arch; u64 instruction_pointer; u64 args[6]
_OFF_NR, _OFF_ARCH, _OFF_ARG0 = 0, 4, 16

# machine -> (AUDIT_ARCH_*, socket, io_uring_setup)
_SYSCALLS = {
    "x86_64": (0xC000003E, 41, 425),
    "aarch64": (0xC00000B7, 198, 425),
}


def supported() -> bool:
    return platform.machine() in _SYSCALLS


def _program() -> bytes:
    arch, nr_socket, nr_uring = _SYSCALLS[platform.machine()]

    def op(code: int, jt: int, jf: int, k: int) -> bytes:
        return struct.pack("HBBI", code, jt, jf, k)

    return b"".join(
        [
            op(_LD_W_ABS, 0, 0, _OFF_ARCH),
            op(_JEQ_K, 1, 0, arch),  # 32-bit compat calls (int 0x80, socketcall): refused
            op(_RET_K, 0, 0, _RET_ERRNO | errno.ENOSYS),
            op(_LD_W_ABS, 0, 0, _OFF_NR),
            op(_JGE_K, 0, 1, _X32_BIT),  # x32 calls: refused
            op(_RET_K, 0, 0, _RET_ERRNO | errno.ENOSYS),
            op(_JEQ_K, 0, 1, nr_uring),
            op(_RET_K, 0, 0, _RET_ERRNO | errno.ENOSYS),
            op(_JEQ_K, 1, 0, nr_socket),
            op(_RET_K, 0, 0, _RET_ALLOW),
            op(_LD_W_ABS, 0, 0, _OFF_ARG0),
            op(_JEQ_K, 0, 1, _AF_UNIX),
            op(_RET_K, 0, 0, _RET_ALLOW),
            op(_RET_K, 0, 0, _RET_ERRNO | errno.EAFNOSUPPORT),
        ]
    )


class _SockFprog(ctypes.Structure):
    _fields_ = [("len", ctypes.c_ushort), ("filter", ctypes.c_void_p)]


def install() -> bool:
    """Install the filter on the calling thread (and everything it starts later); call
    after ``PR_SET_NO_NEW_PRIVS``. False if it could not be installed."""
    if not supported():
        return False
    code = _program()
    buffer = ctypes.create_string_buffer(code, len(code))
    prog = _SockFprog(len(code) // 8, ctypes.addressof(buffer))
    libc = ctypes.CDLL(None, use_errno=True)
    return libc.prctl(_PR_SET_SECCOMP, _SECCOMP_MODE_FILTER, ctypes.byref(prog), 0, 0) == 0
