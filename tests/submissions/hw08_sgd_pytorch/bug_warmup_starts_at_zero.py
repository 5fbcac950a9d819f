# question: q3
# bug: the linear warm-up is lr0 · k / warmup (starts at 0) instead of lr0 · (k + 1) / warmup
def lr_schedule(kind, k, lr0, **kw):
    if kind == "step":
        return lr0 * kw["gamma"] ** (k // int(kw["s"]))
    if kind == "exponential":
        return lr0 * kw["gamma"] ** k
    if kind == "inverse_time":
        return lr0 / (1.0 + kw["beta"] * k)
    if kind == "cosine":
        T, eta_min = kw["T_max"], kw["eta_min"]
        if k >= T:
            return float(eta_min)
        return eta_min + 0.5 * (lr0 - eta_min) * (1.0 + math.cos(math.pi * k / T))
    if kind == "warmup_cosine":
        w = int(kw["warmup"])
        if k < w:
            return lr0 * k / w
        return lr_schedule("cosine", k - w, lr0, T_max=kw["T_max"] - w, eta_min=kw["eta_min"])
    raise ValueError(f"unknown schedule kind {kind!r}")
