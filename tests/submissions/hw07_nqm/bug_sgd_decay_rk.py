# question: q2
# bug: the transient decays like r^k instead of r^(2k) (the risk is quadratic in w)
def sgd_risk(h, c, alpha, B, w0, n_steps):
    r = 1.0 - alpha * h
    start = 0.5 * h * w0**2
    floor = sgd_steady_state(h, c, alpha, B)
    decay = torch.stack([r**k for k in range(n_steps + 1)])
    return decay * start + (1.0 - decay) * floor
