# question: q4
# bug: no max-subtraction: exp overflows for large logits (inf / inf = nan)
def softmax_policy(theta):
    e = torch.exp(theta)
    return e / e.sum(dim=1, keepdim=True)
