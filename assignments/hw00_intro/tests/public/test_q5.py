import torch

from autograder.testing import T1, probe, probe_helpers


@probe
def training_figure(ns, loss, acc, test_acc):
    def labelled(data):
        # only the labelled lines, which the docstring names: extra markers and
        # reference lines (unlabelled) are fine
        for ax in data.get("axes", []):
            ax["lines"] = [line for line in ax["lines"] if line["label"]]
        return data

    fig = ns.plot_training({"loss": loss, "acc": acc}, test_acc)
    data = labelled(probe_helpers.figure_data(fig))
    ns.plt.close(fig)
    return data


@probe
def penalty_figure(ns):
    def labelled(data):
        # only the labelled lines, which the docstring names: extra markers and
        # reference lines (unlabelled) are fine
        for ax in data.get("axes", []):
            ax["lines"] = [line for line in ax["lines"] if line["label"]]
        return data

    fig = ns.plot_ce_penalty()
    data = labelled(probe_helpers.figure_data(fig))
    ns.plt.close(fig)
    return data


def test_q5_public(grade):
    loss = torch.tensor([0.69, 0.5, 0.4], dtype=torch.float64)
    acc = torch.tensor([0.5, 0.75, 1.0], dtype=torch.float64)
    test_acc = torch.tensor([0.5, 0.5, 0.75], dtype=torch.float64)
    grade.compare(training_figure, loss, acc, test_acc, case="a run of 2 steps", **T1)
    grade.compare(penalty_figure, case="the penalty curves", **T1)
