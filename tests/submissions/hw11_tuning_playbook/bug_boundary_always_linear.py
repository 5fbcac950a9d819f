# question: q2
# bug: ignores log_scale: positions are always measured on a linear scale
def boundary_check(trials, hparam, metric, bounds, log_scale=True, top_k=3, edge_frac=0.1):
    lo, hi = bounds
    order = sorted(range(len(trials)), key=lambda i: trials[i][metric])
    low = high = False
    for i in order[:top_k]:
        u = (trials[i][hparam] - lo) / (hi - lo)
        low = low or u <= edge_frac
        high = high or u >= 1.0 - edge_frac
    if low and high:
        return "expand_both"
    if low:
        return "expand_low"
    if high:
        return "expand_high"
    return "ok"
