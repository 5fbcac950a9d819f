from autograder.runtime import probe_helpers
from autograder.testing import T1, probe


@probe
def trials_fig(ns):
    fig = ns.plot_best_vs_trials({"sgd": [0.5, 0.7, 0.3]})
    out = probe_helpers.figure_data(fig)
    ns.plt.close(fig)
    return out


def test_q6_public(grade):
    grade.compare(trials_fig, case="best-so-far of three trials", **T1)
