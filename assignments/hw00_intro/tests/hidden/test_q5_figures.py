import torch

from autograder.testing import T1, probe, probe_helpers


@probe
def training_figure(ns, loss, acc, test_acc):
    torch.set_num_threads(1)
    fig = ns.plot_training({"loss": loss, "acc": acc}, test_acc)
    data = probe_helpers.figure_data(fig)
    ns.plt.close(fig)
    return data


@probe
def penalty_figure(ns):
    torch.set_num_threads(1)
    fig = ns.plot_ce_penalty()
    data = probe_helpers.figure_data(fig)
    ns.plt.close(fig)
    return data


def test_q5_training_figure(grade):
    for _i, gen in grade.cases(2):
        k = int(torch.randint(5, 12, (1,), generator=gen))
        loss = torch.rand(k, generator=gen, dtype=torch.float64).sort(descending=True).values
        acc = torch.randint(0, 11, (k,), generator=gen).to(torch.float64) / 10
        test_acc = torch.randint(0, 11, (k,), generator=gen).to(torch.float64) / 10
        grade.compare_figure(
            training_figure, loss, acc, test_acc, case=f"a run of {k - 1} steps", **T1
        )


def test_q5_penalty_figure(grade):
    grade.compare_figure(penalty_figure, case="the two penalty curves and the three markers", **T1)
