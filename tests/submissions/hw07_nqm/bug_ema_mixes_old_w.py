# question: q3
# bug: the EMA's second moments mix the old w (E[w_k w̃_k], E[w_k²]) instead of the new w_{k+1}
def ema_risk(h, c, alpha, B, gamma, w0, n_steps):
    r = 1.0 - alpha * h
    q = alpha**2 * c / B
    ww = torch.zeros_like(r * gamma) + w0**2
    we, ee = ww.clone(), ww.clone()
    risks = [0.5 * h * ee]
    for _ in range(n_steps):
        ee = gamma**2 * ee + 2 * gamma * (1 - gamma) * we + (1 - gamma) ** 2 * ww
        we = gamma * r * we + (1 - gamma) * r * ww
        ww = r**2 * ww + q
        risks.append(0.5 * h * ee)
    return torch.stack(risks)
