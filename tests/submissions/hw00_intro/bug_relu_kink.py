# question: q2
# bug: max(z, 0) written with relu: right values, but autograd's derivative at z = 0 is 0 (not ½), so training from w = 0 starts in the wrong direction (points are lost on q4)
import torch


def bce_with_logits(z, y):
    return (torch.relu(z) - y * z + torch.log1p(torch.exp(-torch.abs(z)))).mean()
