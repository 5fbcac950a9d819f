import copy

import torch

from autograder import probe_helpers
from autograder.compare import Tolerance, compare
from autograder.testing import T1, probe
from autograder.untrusted_text import escape_markdown


@probe
def spectrum_figure(ns, items):
    torch.set_num_threads(1)
    fig = ns.plot_svd_spectrum({name: S for name, S in items})
    data = probe_helpers.figure_data(fig)
    ns.plt.close(fig)
    # what this notebook's own relative_error (q5) gives, so that the right panel is judged
    # on what it draws, not on q5's answers again (None if relative_error fails)
    try:
        own = {
            name: [float(ns.relative_error(S, k)) for k in range(S.shape[0])] for name, S in items
        }
    except Exception:
        own = None
    return {"figure": data, "own relative errors": own}


@probe
def timing_figure(ns, sizes, items):
    fig = ns.plot_timing(sizes, {name: t for name, t in items})
    data = probe_helpers.figure_data(fig)
    ns.plt.close(fig)
    return data


def test_q6_spectrum(grade):
    for _i, gen in grade.cases(2):
        items = []
        for name in ("checkerboard", "low rank + noise", "digits"):
            r = int(torch.randint(3, 9, (1,), generator=gen))
            S = torch.rand(r, generator=gen, dtype=torch.float64).sort(descending=True).values
            items.append([name, S + 1e-3])
        case = "three random spectra"
        got, ref = grade.run_and_reference(spectrum_figure, items, case=case)
        if got is None:
            continue
        # The right panel's y must be what the notebook's own relative_error gives (q5
        # grades its values; a wrong q5 is not charged twice); everything else (axes,
        # scales, labels, the left panel, x) must match the reference's figure. Without a
        # usable relative_error, y must match the reference's.
        got = got if isinstance(got, dict) else {}
        expected = copy.deepcopy(ref["figure"])
        own = got.get("own relative errors")
        if isinstance(own, dict) and len(expected.get("axes", [])) == 2:
            for line in expected["axes"][1]["lines"]:
                if isinstance(own.get(line["label"]), list):
                    line["y"] = own[line["label"]]
        differs = _figure_differs(expected, got.get("figure"), T1)
        grade.check(differs is None, case=case, message=f"wrong figure: {differs}")


def test_q6_timing_structure(grade):
    # synthetic "times": the figure is graded for its structure and data, never for speed
    for _i, gen in grade.cases(2):
        sizes = [8, 16, 32, 64]
        items = [
            [name, (torch.rand(4, generator=gen, dtype=torch.float64) + 0.1).tolist()]
            for name in ("loops", "broadcast", "torch.matmul")
        ]
        _compare_figure(grade, timing_figure, sizes, items, case="three methods, four sizes", **T1)


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
