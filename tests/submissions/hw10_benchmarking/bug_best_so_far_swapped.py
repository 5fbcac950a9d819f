# question: q1
# bug: min and max swapped: the running best of a loss curve is its running maximum
def best_so_far(curve, mode="min"):
    if mode == "min":
        return torch.cummax(curve, dim=0).values
    return torch.cummin(curve, dim=0).values
