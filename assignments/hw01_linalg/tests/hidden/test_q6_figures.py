import copy

import torch

from autograder.testing import T1, figure_differs, probe, probe_helpers


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
        differs = figure_differs(expected, got.get("figure"), T1)
        grade.check(differs is None, case=case, message=f"wrong figure: {differs}")


def test_q6_timing_structure(grade):
    # synthetic "times": the figure is graded for its structure and data, never for speed
    for _i, gen in grade.cases(2):
        sizes = [8, 16, 32, 64]
        items = [
            [name, (torch.rand(4, generator=gen, dtype=torch.float64) + 0.1).tolist()]
            for name in ("loops", "broadcast", "torch.matmul")
        ]
        grade.compare_figure(timing_figure, sizes, items, case="three methods, four sizes", **T1)
