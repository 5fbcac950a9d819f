# question: q1
# bug: the noise draw hard-codes the lecture's 20 coordinates instead of the size of h
def simulate_nqm(
    h, c, alpha, B, w0, n_steps, n_runs, generator, method="sgd", beta=0.0, gamma=0.0, p=0.0
):
    w = w0.to(h.device).expand(n_runs, h.shape[0]).clone()
    state = {}
    risks = [0.5 * h * (w**2).mean(0)]
    for _ in range(n_steps):
        z = torch.randn(n_runs, 20, generator=generator, dtype=torch.float64).to(h.device)
        w, state = nqm_step(w, state, h, c, alpha, B, z, method, beta, gamma, p)
        x = state["ema"] if method == "ema" else w
        risks.append(0.5 * h * (x**2).mean(0))
    return torch.stack(risks)
