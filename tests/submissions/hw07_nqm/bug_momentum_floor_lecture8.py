# question: q4
# bug: the momentum floor uses lecture 8's approximation (1 + β)/(1 − β) × SGD's floor
def momentum_steady_state(h, c, alpha, B, beta):
    return (1 + beta) / (1 - beta) * alpha * c / (2.0 * B * (2.0 - alpha * h))
