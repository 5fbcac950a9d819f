# question: q4
# bug: σ² from torch.var's default (the unbiased 1/(n − 1) estimator), not the population
# variance (1/n) of the data set the indices are drawn from


def gradient_variance_theory(x, batch_size):
    return float(x.var()) / batch_size
