# question: q6
# bug: counts the steps to target from 1 (the index of the first hit plus one)
def steps_to_target(method, h, c, B, w0, target, grid, k_max):
    risk_fns = {"momentum": momentum_risk, "ema": ema_risk, "precond": precond_risk}
    names = list(grid)
    settings = list(itertools.product(*(grid[name] for name in names)))
    cols = {
        name: torch.tensor([s[j] for s in settings], dtype=torch.float64)[:, None]
        for j, name in enumerate(names)
    }
    extra = [cols[name] for name in names if name != "alpha"]
    if method == "sgd":
        risk = sgd_risk(h, c, cols["alpha"], B, w0, k_max)
    else:
        risk = risk_fns[method](h, c, cols["alpha"], B, extra[0], w0, k_max)
    hit = risk.sum(-1) <= target
    first = torch.where(hit.any(0), hit.to(torch.int64).argmax(0) + 1, k_max + 1)
    best = int(first.argmin())
    if int(first[best]) > k_max:
        return k_max + 1, {}
    return int(first[best]), {name: float(v) for name, v in zip(names, settings[best])}
