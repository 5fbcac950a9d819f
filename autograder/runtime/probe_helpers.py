"""Helpers that probes may use; they run in the sandbox child and on the trusted side.

Keep this module small and free of anything secret: it is importable by student code.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

__all__ = ["figure_data", "probe_scope", "seed_all", "seeded"]


def figure_data(fig: Any) -> dict:
    """Reduce a matplotlib Figure to plain data that can be compared.

    Returns ``{"n_axes": int, "axes": [...]}`` where each axes is a dict with its x and y
    scales, whether its labels are set, its title, and its lines as
    ``{"label", "x", "y"}`` (``x``/``y`` as float64 lists), sorted by label. Styling is
    not part of it.
    """
    import numpy as np
    from matplotlib.figure import Figure

    if not isinstance(fig, Figure):
        return {"error": f"expected a matplotlib Figure, got {type(fig).__name__}"}
    axes = []
    for ax in fig.get_axes():
        lines = []
        for line in ax.get_lines():
            x = np.asarray(line.get_xdata(), dtype=np.float64).ravel().tolist()
            y = np.asarray(line.get_ydata(), dtype=np.float64).ravel().tolist()
            label = str(line.get_label())
            lines.append({"label": "" if label.startswith("_") else label, "x": x, "y": y})
        lines.sort(key=lambda d: (d["label"], d["x"][:1], d["y"][:1]))
        axes.append(
            {
                "xscale": ax.get_xscale(),
                "yscale": ax.get_yscale(),
                "has_xlabel": bool(ax.get_xlabel()),
                "has_ylabel": bool(ax.get_ylabel()),
                "lines": lines,
            }
        )
    return {"n_axes": len(axes), "axes": axes}


def seed_all(seed: int) -> None:
    """Seed torch's CPU generator, ``random`` and numpy's global state with ``seed``.

    This is what the grader does before every probe call, on both sides. CUDA generators
    are seeded too once CUDA is in use; before that, ``torch.manual_seed`` would queue
    a seeding call for each device type with a captured stack trace (about a millisecond
    a call, paid on every probe).
    """
    import random

    import numpy as np
    import torch

    torch.random.default_generator.manual_seed(seed)
    if torch.cuda.is_initialized():
        torch.cuda.manual_seed_all(seed)
    random.seed(seed)
    np.random.seed(seed % (2**32))


@contextlib.contextmanager
def seeded(seed: int) -> Iterator[None]:
    """Run the block under ``seed_all(seed)``; torch's, ``random``'s and numpy's global
    states are restored afterwards (the caller's notebook or process is left as it was)."""
    import random

    import numpy as np
    import torch

    py_state, np_state = random.getstate(), np.random.get_state()
    try:
        with torch.random.fork_rng(devices=[]):
            seed_all(seed)
            yield
    finally:
        random.setstate(py_state)
        np.random.set_state(np_state)


# Helpers modules by source: a batch grades many submissions with the same probes.
_HELPERS: dict[str, Any] = {}


def probe_scope(helpers_source: str | None = None) -> dict:
    """The globals a probe runs with, everywhere it runs (the trusted side, the sandbox
    child, the student's ``check()``): ``torch``, ``np``, ``math``, ``probe_helpers``, and
    ``helpers``, the assignment's ``tests/helpers.py`` compiled in this same scope, when the
    probe uses one."""
    import math
    import sys
    import types

    import numpy as np
    import torch

    scope: dict[str, Any] = {
        "torch": torch,
        "np": np,
        "numpy": np,
        "math": math,
        "probe_helpers": sys.modules[__name__],
        "__name__": "probe",
    }
    if helpers_source is not None:
        module = _HELPERS.get(helpers_source)
        if module is None:
            module = types.ModuleType("helpers")
            vars(module).update(probe_scope(), __name__="helpers")
            exec(compile(helpers_source, "<probe helpers>", "exec"), vars(module))
            if len(_HELPERS) >= 32:
                _HELPERS.clear()
            _HELPERS[helpers_source] = module
        scope["helpers"] = module
    return scope
