import torch

from autograder import probe_helpers
from autograder.compare import Tolerance, compare
from autograder.testing import T1, probe
from autograder.untrusted_text import escape_markdown


@probe
def stability_figure(ns, kappas, normal, qr):
    fig = ns.plot_stability(kappas, {"normal": normal, "qr": qr})
    data = probe_helpers.figure_data(fig)
    ns.plt.close(fig)
    return data


def test_q6_stability_figure(grade):
    for _i, gen in grade.cases(3):
        k = int(torch.randint(3, 7, (1,), generator=gen))
        kappas = [10.0**j for j in range(1, k + 1)]
        normal = torch.rand(k, generator=gen, dtype=torch.float64).sort().values
        qr = torch.rand(k, generator=gen, dtype=torch.float64).sort().values / 100
        _compare_figure(grade, stability_figure, kappas, normal, qr, case=f"{k} values of κ", **T1)


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
