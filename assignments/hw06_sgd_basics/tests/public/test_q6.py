import torch

from autograder.testing import T1, probe, probe_helpers


@probe
def q6_figures(ns):
    def labelled(data):
        # only the labelled lines, which the docstring names: extra markers and
        # reference lines (unlabelled) are fine
        for ax in data.get("axes", []):
            ax["lines"] = [line for line in ax["lines"] if line["label"]]
        return data

    c = torch.tensor([1.0, 0.5, 0.3, 0.25], dtype=torch.float64)
    f1 = ns.plot_noise_floor({0.1: c}, {0.1: c * 0.9}, c / 2)
    f2 = ns.plot_minibatch({1: (5e-4, c), 100: (5e-2, c / 3)})
    data = [labelled(probe_helpers.figure_data(f1)), labelled(probe_helpers.figure_data(f2))]
    ns.plt.close(f1)
    ns.plt.close(f2)
    return data


def test_q6_small(grade):
    grade.compare(q6_figures, case="both figures on 4-point curves", **T1)
