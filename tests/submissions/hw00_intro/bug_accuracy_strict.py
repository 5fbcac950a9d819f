# question: q4
# bug: predicts spam only where z > 0 (strict), so a logit of exactly 0 (σ = ½) counts as legitimate
import torch


def accuracy(w, X, y):
    predictions = (X @ w > 0).to(y.dtype)
    return float((predictions == y).to(torch.float64).mean())
