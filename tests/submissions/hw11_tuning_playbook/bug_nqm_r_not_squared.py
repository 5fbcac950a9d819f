# question: q4
# bug: the signal decays as r^k instead of r^(2k) (forgot that the risk is quadratic in w)
def steps_to_target_vs_batch(batch_sizes, alphas, target, nqm, k_max):
    h, c, w0 = nqm["h"], nqm["c"], nqm["w0"]
    start = 0.5 * h * w0**2
    k = torch.arange(k_max + 1, dtype=torch.float64, device=h.device)[:, None]
    curves = []
    for alpha in alphas:
        if float((alpha * h).max()) >= 2.0:
            curves.append(None)
            continue
        decay = (1.0 - alpha * h).abs() ** k
        A = (decay * start).sum(-1)
        F = ((1.0 - decay) * alpha * c / (2.0 * (2.0 - alpha * h))).sum(-1)
        curves.append((A, F))
    out = {}
    for B in batch_sizes:
        best_alpha, best_steps = math.nan, k_max + 1
        for alpha, curve in zip(alphas, curves):
            if curve is None:
                continue
            hit = torch.nonzero(curve[0] + curve[1] / B <= target)
            if len(hit) and int(hit[0, 0]) < best_steps:
                best_alpha, best_steps = float(alpha), int(hit[0, 0])
        out[int(B)] = (best_alpha, best_steps)
    return out
