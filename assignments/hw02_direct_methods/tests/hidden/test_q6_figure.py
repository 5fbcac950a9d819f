import torch

from autograder.testing import T1, probe, probe_helpers


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
        grade.compare_figure(stability_figure, kappas, normal, qr, case=f"{k} values of κ", **T1)
