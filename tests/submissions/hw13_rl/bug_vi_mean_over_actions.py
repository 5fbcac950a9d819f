# question: q2
# bug: averages Q over the actions (evaluates the uniform policy) instead of maximising
def value_iteration(P, R, gamma, tol=1e-10, max_iter=10_000):
    V = torch.zeros(P.shape[0], dtype=P.dtype, device=P.device)
    for _ in range(max_iter):
        V_new = q_from_v(P, R, V, gamma).mean(dim=1)
        done = float((V_new - V).abs().max()) < tol
        V = V_new
        if done:
            break
    Q = q_from_v(P, R, V, gamma)
    return V, Q, Q.argmax(dim=1)
