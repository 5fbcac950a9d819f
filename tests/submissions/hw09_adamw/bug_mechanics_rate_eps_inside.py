# question: q6
# bug: the effective rate uses √(G + ε) instead of √G + ε
def mechanics_data(
    grads, lr=0.1, eps=1e-10, beta2s=(0.9, 0.99, 0.999), betas=(0.9, 0.999), g_const=1.0
):
    T = grads.shape[0]
    like = {"dtype": grads.dtype, "device": grads.device}
    G_all = torch.cumsum(grads**2, dim=0)
    g0_sq = grads[:, 0] ** 2
    v_rows = []
    for beta2 in beta2s:
        v, row = torch.zeros((), **like), []
        for t in range(T):
            v = beta2 * v + (1.0 - beta2) * g0_sq[t]
            row.append(v)
        v_rows.append(torch.stack(row))
    beta1, beta2 = betas
    m = v = torch.zeros((), **like)
    ms, vs = [], []
    for _ in range(T):
        m = beta1 * m + (1.0 - beta1) * g_const
        v = beta2 * v + (1.0 - beta2) * g_const**2
        ms.append(m)
        vs.append(v)
    t = torch.arange(1, T + 1, **like)
    m_t, v_t = torch.stack(ms), torch.stack(vs)
    return {
        "t": t,
        "rate": lr / (G_all + eps).sqrt(),
        "G": G_all[:, 0],
        "v": torch.stack(v_rows),
        "beta2s": torch.tensor(beta2s, **like),
        "m": m_t,
        "v_const": v_t,
        "m_hat": m_t / (1.0 - beta1**t),
        "v_hat": v_t / (1.0 - beta2**t),
    }
