# question: q1
# bug: a point equal to the target does not count as reached (strict < / > instead of <= / >=)
def time_to_result(curve, target, times=None, mode="min"):
    hit = curve < target if mode == "min" else curve > target
    idx = torch.nonzero(hit).flatten()
    if idx.numel() == 0:
        return math.inf
    i = int(idx[0])
    return float(times[i]) if times is not None else float(i)
