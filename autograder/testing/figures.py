"""Comparing a figure's data (``probe_helpers.figure_data``) with the reference's, leniently:
only what the docstring names."""

from __future__ import annotations

from typing import Any

from ..runtime.compare import Mismatch, Tolerance, compare
from ..untrusted_text import escape_markdown

__all__ = ["figure_differs"]


def figure_differs(expected: Any, actual: Any, tol: dict) -> str | None:
    """How a figure's data (``probe_helpers.figure_data``) differ from the reference's, in
    words (None: they agree), on what the docstrings name: the number of axes, each axes'
    scales and whether its axis labels are set, and each of its labelled lines, found by
    its label, with its x and y. Extra lines (markers, reference lines) are fine, and so is
    any styling. Decided here, on the trusted side."""
    if not isinstance(actual, dict) or not isinstance(actual.get("axes"), list):
        error = actual.get("error") if isinstance(actual, dict) else None
        return escape_markdown(str(error)) if error else "no figure data came back"
    n = expected["n_axes"]
    if actual.get("n_axes") != n or len(actual["axes"]) != n:
        return f"expected {n} axes, got {escape_markdown(repr(actual.get('n_axes')))}"
    for i, (want, got) in enumerate(zip(expected["axes"], actual["axes"])):
        where = f"axes {i}" if n > 1 else "the axes"
        got = got if isinstance(got, dict) else {}
        for key in ("xscale", "yscale", "has_xlabel", "has_ylabel"):
            if got.get(key) != want[key]:
                return (
                    f"{where}: {key} should be {want[key]!r}, got "
                    f"{escape_markdown(repr(got.get(key)))}"
                )
        lines = [ln for ln in got.get("lines") or [] if isinstance(ln, dict)]
        for line in want["lines"]:
            same = [ln for ln in lines if ln.get("label") == line["label"]]
            if not same:
                labels = escape_markdown(repr([ln.get("label") for ln in lines]))
                return f"{where}: no line labelled {line['label']!r} (its lines: {labels})"
            mismatches = []
            for candidate in same:
                mismatch: Mismatch | str | None
                try:
                    mismatch = compare(
                        {"x": line["x"], "y": line["y"]},
                        {"x": candidate.get("x"), "y": candidate.get("y")},
                        Tolerance(**tol),
                    )
                except Exception as exc:  # whatever the student sent, it does not match
                    mismatch = f"unreadable ({type(exc).__name__})"
                if mismatch is None:
                    break
                mismatches.append(mismatch)
            else:
                return f"{where}, line {line['label']!r}: {escape_markdown(str(mismatches[0]))}"
    return None
