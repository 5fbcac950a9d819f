import torch

from autograder import probe_helpers
from autograder.compare import Tolerance, compare
from autograder.testing import T1, probe
from autograder.untrusted_text import escape_markdown


@probe
def noise_floor_figure(ns, items, decay):
    torch.set_num_threads(1)
    curves = {eta: mc for eta, mc, _ in items}
    theory = {eta: th for eta, _, th in items}
    fig = ns.plot_noise_floor(curves, theory, decay)
    data = probe_helpers.figure_data(fig)
    ns.plt.close(fig)
    return data


@probe
def minibatch_figure(ns, items):
    torch.set_num_threads(1)
    fig = ns.plot_minibatch({B: (eta, mse) for B, eta, mse in items})
    data = probe_helpers.figure_data(fig)
    ns.plt.close(fig)
    return data


def _curve(gen, K):
    return torch.rand(K + 1, generator=gen, dtype=torch.float64) + 0.01


def test_q6_noise_floor(grade):
    for i, gen in grade.cases(2):
        items = [[eta, _curve(gen, 12), _curve(gen, 12)] for eta in (0.5, 0.1, 0.01)]
        decay = _curve(gen, 12) if i == 1 else None
        what = "with" if i == 1 else "without"
        _compare_figure(
            grade,
            noise_floor_figure,
            items,
            decay,
            case=f"three step sizes, {what} the decaying curve",
            **T1,
        )


def test_q6_minibatch(grade):
    for i, gen in grade.cases(2):
        items = [[1, 5e-4, _curve(gen, 10)], [100, 5e-2, _curve(gen, 10)]]
        _compare_figure(grade, minibatch_figure, items, case=f"B = 1 and B = 100 (case {i})", **T1)


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
