# question: q1
# bug: the expected reward r_pi forgets to weight R(s, a, s') by P(s'|s, a)
def policy_evaluation(P, R, pi, gamma):
    P_pi = torch.einsum("sa,sat->st", pi, P)
    r_pi = torch.einsum("sa,sat->s", pi, R)
    eye = torch.eye(P.shape[0], dtype=P.dtype, device=P.device)
    return torch.linalg.solve(eye - gamma * P_pi, r_pi)
