# question: q1
# bug: bootstraps from V of the current state s instead of the next state s'
def q_from_v(P, R, V, gamma):
    return (P * R).sum(-1) + gamma * V[:, None]
