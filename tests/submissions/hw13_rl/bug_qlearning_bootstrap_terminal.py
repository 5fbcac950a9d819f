# question: q3
# bug: bootstraps from the next state even when it is terminal (ignores done)
def q_learning_update(Q, s, a, r, s_next, done, alpha, gamma):
    target = r + gamma * float(Q[s_next].max())
    new = Q.clone()
    new[s, a] = Q[s, a] + alpha * (target - Q[s, a])
    return new
