# question: q4
# bug: the notes' slip: weights each step by G_t without the factor gamma^t
def reinforce_gradient(theta, episodes, gamma, baseline=None):
    pi = softmax_policy(theta).detach()
    grad = torch.zeros_like(pi)
    for episode in episodes:
        G = 0.0
        for t in range(len(episode) - 1, -1, -1):
            s, a, r = episode[t]
            G = r + gamma * G
            weight = G - (float(baseline[s]) if baseline is not None else 0.0)
            grad[s] -= weight * pi[s]
            grad[s, a] += weight
    return grad / len(episodes)
