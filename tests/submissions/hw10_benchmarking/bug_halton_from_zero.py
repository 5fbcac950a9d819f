# question: q3
# bug: off by one: trial t uses Halton index seed + t, so seed 0 starts at the all-zero point
def sample_space(space, n_trials, seed, method="halton"):
    names = sorted(space)
    if method == "halton":
        u = [[halton(seed + t, PRIMES[j]) for j in range(len(names))] for t in range(n_trials)]
    else:
        g = torch.Generator().manual_seed(seed)
        u = torch.rand(n_trials, len(names), generator=g, dtype=torch.float64).tolist()
    out = []
    for row in u:
        point = {}
        for name, uj in zip(names, row):
            lo, hi, scale = space[name]
            if scale == "log":
                point[name] = math.exp(math.log(lo) + uj * (math.log(hi) - math.log(lo)))
            else:
                point[name] = lo + uj * (hi - lo)
        out.append(point)
    return out
