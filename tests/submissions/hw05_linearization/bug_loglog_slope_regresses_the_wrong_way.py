# question: q5
# bug: the least-squares slope divides by Σ(b − b̄)² (log errs) instead of Σ(a − ā)²
# (log hs): it regresses log h on log err, so errs = 3h² gives ½, not 2
import torch


def loglog_slope(hs, errs):
    a, b = torch.log(hs), torch.log(errs)
    a_c, b_c = a - a.mean(), b - b.mean()
    return float((a_c * b_c).sum() / (b_c * b_c).sum())
