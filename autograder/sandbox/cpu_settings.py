"""The CPU settings that must be the same on both sides of a comparison.

MKL, oneDNN, OpenBLAS and ATen pick their kernels by instruction set, and a reduction's
rounding depends on the kernel and on the number of threads. The grader compares the
student's values with the reference's computed on the same machine in the same run, which
is only meaningful if the sandbox child and the trusted process run the same kernels: the
child gets these variables (none is secret) and the same thread count.

``make matrix`` sets them to emulate other CPUs on one machine.
"""

from __future__ import annotations

import os

__all__ = ["DISPATCH_VARIABLES", "dispatch_env", "grading_threads"]

#: Environment variables that choose floating-point kernels. Each is read once, when its
#: library first runs, so they must be set before torch is imported.
DISPATCH_VARIABLES: tuple[str, ...] = (
    "MKL_ENABLE_INSTRUCTIONS",  # highest instruction set MKL may use (SSE4_2, AVX2, ...)
    "MKL_CBWR",  # MKL's conditional bitwise reproducibility branch (COMPATIBLE, AVX2, ...)
    "MKL_DEBUG_CPU_TYPE",  # older MKL: force a code path on AMD processors
    "ATEN_CPU_CAPABILITY",  # ATen's vectorised kernels: default, avx2, avx512
    "ONEDNN_MAX_CPU_ISA",  # oneDNN (convolutions, some matmuls)
    "DNNL_MAX_CPU_ISA",  # the same, older name
    "OPENBLAS_CORETYPE",  # OpenBLAS (numpy): kernels for this core type
    "OPENBLAS_L2_SIZE",
)


def dispatch_env(environ: os._Environ[str] | dict[str, str] | None = None) -> dict[str, str]:
    """The kernel-choosing variables set in ``environ`` (default: this process's)."""
    environ = os.environ if environ is None else environ
    return {key: environ[key] for key in DISPATCH_VARIABLES if key in environ}


def grading_threads() -> int:
    """Torch's intra-op thread count on both sides of a comparison.

    ``AUTOGRADE_THREADS`` (default 1). One thread keeps several sandboxes side by side
    from oversubscribing the machine; whatever the number, the trusted side and the child
    use the same one, because a parallel reduction rounds differently from a serial one.
    """
    raw = os.environ.get("AUTOGRADE_THREADS", "1")
    try:
        return max(1, min(int(raw), 64))
    except ValueError:
        return 1
