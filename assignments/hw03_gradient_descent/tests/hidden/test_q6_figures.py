import torch

from autograder.testing import T1, figure_differs, probe, probe_helpers


@probe
def zigzag_figure(ns, items):
    torch.set_num_threads(1)
    fig = ns.plot_zigzag({(k, s): p for k, s, p in items})
    data = probe_helpers.figure_data(fig)
    ns.plt.close(fig)
    return data


@probe
def zigzag_contours(ns, items):
    # The figure's data, and per axes (in fig.get_axes() order) its title and what its
    # line contours (ContourSets that are not filled) draw: each level with up to 40 of
    # the vertices on it. Whether they lie on the level sets of f is decided by the test.
    torch.set_num_threads(1)
    import numpy as np

    fig = ns.plot_zigzag({(k, s): p for k, s, p in items})
    data = probe_helpers.figure_data(fig)
    panels = []
    for ax in fig.get_axes():
        levels = []
        for cs in ax.collections:
            if not hasattr(cs, "levels") or getattr(cs, "filled", False):
                continue
            for level, path in zip(np.asarray(cs.levels).ravel().tolist(), cs.get_paths()):
                v = np.asarray(path.vertices, dtype=np.float64).reshape(-1, 2)
                if path.codes is not None:  # CLOSEPOLY's vertex is not on the curve
                    v = v[np.asarray(path.codes) != path.CLOSEPOLY]
                if len(v):
                    step = max(1, len(v) // 40)
                    levels.append({"level": float(level), "vertices": v[::step].tolist()})
        panels.append({"title": str(ax.get_title()), "levels": levels})
    ns.plt.close(fig)
    return {"figure": data, "panels": panels}


@probe
def quadratic_of(ns, kappa):
    return ns.make_quadratic(kappa)


@probe
def convergence_figure(ns, by_step, by_kappa):
    torch.set_num_threads(1)
    fig = ns.plot_convergence(dict(by_step), dict(by_kappa))
    data = probe_helpers.figure_data(fig)
    ns.plt.close(fig)
    return data


def test_q6_zigzag(grade):
    for i, gen in grade.cases(2):
        items = [
            [kappa, scale, torch.randn(6, 2, generator=gen, dtype=torch.float64)]
            for kappa in (2.0, 50.0)
            for scale in (0.1, 1.8)
        ]
        grade.compare_figure(zigzag_figure, items, case=f"2×2 grid of paths (case {i})", **T1)
    _zigzag_contours(grade)


def _zigzag_contours(grade):
    # (part of test_q6_zigzag: q6's 10 points stay split in two.) Grids that are not square, with the paths given in descending order: one row per κ
    # and one column per scale, each sorted ascending. Then, per panel, the contours: the
    # vertices of each drawn level must lie on the level set {w: ½wᵀAw = level} of the
    # panel's A (up to the interpolation of a contour grid), and they must reach out to
    # the path (at least half its extent); and the panel has a title.
    for i, gen in grade.cases(2):
        kappas, scales = ((10.0,), (0.5, 1.0, 1.9)) if i == 0 else ((2.0, 5.0, 50.0), (0.2, 1.5))
        items = [
            [kappa, scale, torch.randn(6, 2, generator=gen, dtype=torch.float64)]
            for kappa in reversed(kappas)
            for scale in reversed(scales)
        ]
        grid = f"{len(kappas)}×{len(scales)} grid (κ = {kappas}, scales {scales})"
        got, ref = grade.run_and_reference(zigzag_contours, items, case=f"{grid}: paths")
        if got is None:
            continue
        got = got if isinstance(got, dict) else {}
        differs = figure_differs(ref["figure"], got.get("figure"), T1)
        grade.check(differs is None, case=f"{grid}: paths", message=f"wrong figure: {differs}")
        panels = got.get("panels")
        n = len(kappas) * len(scales)
        if not isinstance(panels, list) or len(panels) != n:
            for what in ("contours", "titles"):
                grade.check(False, case=f"{grid}: {what}", message=f"expected {n} axes")
            continue
        paths = {(k, s): p for k, s, p in items}
        problems = []
        for idx, panel in enumerate(panels):
            kappa, scale = kappas[idx // len(scales)], scales[idx % len(scales)]
            where = f"the panel of κ = {kappa:g}, scale {scale:g} (axes {idx})"
            problem = _contour_problem(
                grade.reference(quadratic_of, kappa), paths[(kappa, scale)], panel
            )
            if problem:
                problems.append(f"{where}: {problem}")
        grade.check(
            not problems,
            case=f"{grid}: contours of f",
            message="; ".join(problems[:2]),
        )
        untitled = [j for j, panel in enumerate(panels) if not str(panel.get("title", "")).strip()]
        grade.check(
            not untitled,
            case=f"{grid}: titles",
            message=f"axes {untitled} have no title (each names κ and α)",
        )


def _contour_problem(A, path, panel):
    """What is wrong with one panel's contours (None: they are level sets of ½wᵀAw that
    reach out to the path), decided on the trusted side."""
    levels = [lv for lv in panel.get("levels") or [] if isinstance(lv, dict)]
    if len(levels) < 3:
        return f"{len(levels)} contour levels drawn with ax.contour, expected several"
    try:
        top = max(abs(float(lv["level"])) for lv in levels)
        worst, reach = 0.0, 0.0
        for lv in levels:
            v = torch.tensor(lv["vertices"], dtype=torch.float64).reshape(-1, 2)
            f = 0.5 * ((v @ A) * v).sum(1)
            worst = max(worst, float((f - float(lv["level"])).abs().max()))
            reach = max(reach, float(v.abs().max()))
    except Exception as exc:  # whatever the student drew, it is not readable
        return f"unreadable contours ({type(exc).__name__})"
    if not worst <= 0.01 * top:  # nan fails too
        return (
            f"a contour vertex w has ½wᵀAw {worst:.3g} away from its level (levels up to "
            f"{top:.3g}): the contours are not those of f(w) = ½wᵀAw"
        )
    extent = float(path.abs().max())
    if not reach >= 0.5 * extent:
        return f"the contours reach |w_i| ≤ {reach:.3g} only, while the path reaches {extent:.3g}"
    return None


def test_q6_convergence(grade):
    for i, gen in grade.cases(2):
        by_step = [[s, torch.rand(8, generator=gen, dtype=torch.float64)] for s in (0.1, 1.0, 1.8)]
        by_kappa = [
            [k, torch.rand(8, generator=gen, dtype=torch.float64)] for k in (2.0, 10.0, 100.0)
        ]
        grade.compare_figure(
            convergence_figure, by_step, by_kappa, case=f"two panels (case {i})", **T1
        )
