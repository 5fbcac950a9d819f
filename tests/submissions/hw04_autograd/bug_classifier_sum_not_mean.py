# question: q5
# bug: the gradient of the summed BCE, not the mean: the 1/n is missing from ∂L/∂logit
import torch


def classifier_backward(params, X, y):
    hidden = torch.tanh(X @ params["W1"].T + params["b1"])
    p = torch.sigmoid(hidden @ params["w2"] + params["b2"])
    dz2 = p - y
    dz1 = dz2[:, None] * params["w2"][None, :] * (1.0 - hidden**2)
    return {"W1": dz1.T @ X, "b1": dz1.sum(dim=0), "w2": hidden.T @ dz2, "b2": dz2.sum()}
