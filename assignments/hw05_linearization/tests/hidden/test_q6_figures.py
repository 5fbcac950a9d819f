import torch

from autograder import probe_helpers
from autograder.compare import Tolerance, compare
from autograder.testing import T1, probe
from autograder.untrusted_text import escape_markdown


@probe
def tangent_figure(ns, kind, a, xs):
    torch.set_num_threads(1)
    if kind == "cubic":
        fig = ns.plot_tangent(lambda x: 5 * x**3 - 2 * x + 7, lambda x: 15 * x**2 - 2, a, xs)
    else:
        fig = ns.plot_tangent(torch.sin, torch.cos, a, xs)
    data = probe_helpers.figure_data(fig)
    ns.plt.close(fig)
    return data


@probe
def error_figure(ns, items):
    torch.set_num_threads(1)
    fig = ns.plot_linearization_error({label: (hs, errs) for label, hs, errs in items})
    data = probe_helpers.figure_data(fig)
    ns.plt.close(fig)
    return data


def test_q6_tangent(grade):
    xs = torch.linspace(-1.0, 2.0, 31, dtype=torch.float64)
    _compare_figure(
        grade, tangent_figure, "cubic", 1.0, xs, case="lecture case f = 5x³ − 2x + 7, a = 1", **T1
    )
    for _i, gen in grade.cases(2):
        a = float(torch.rand(1, generator=gen)) * 3 - 1.5
        xs = torch.linspace(-3.0, 3.0, 25, dtype=torch.float64)
        _compare_figure(grade, tangent_figure, "sin", a, xs, case=f"f = sin, a = {a:.3f}", **T1)


def test_q6_error_figure(grade):
    for _i, gen in grade.cases(2):
        hs = torch.logspace(-4, -1, 8, dtype=torch.float64)
        smooth = hs**2 * (1 + 0.1 * torch.rand(8, generator=gen, dtype=torch.float64))
        items = [
            ["smooth f", hs, smooth],
            ["counterexample", hs, torch.full((8,), 0.5, dtype=torch.float64)],
        ]
        _compare_figure(grade, error_figure, items, case="two curves and the slope-2 guide", **T1)


def _compare_figure(grade, probe_, *args, case, rtol=0.0, atol=0.0):
    """One case: the figure's data against the reference's (see ``_figure_differs``)."""
    got, ref = grade.run_and_reference(probe_, *args, case=case)
    if got is not None:
        differs = _figure_differs(ref, got, {"rtol": rtol, "atol": atol})
        grade.check(differs is None, case=case, message=f"wrong figure: {differs}")


def _figure_differs(expected, actual, tol):
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
