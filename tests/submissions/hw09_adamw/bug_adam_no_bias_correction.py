# question: q2
# bug: bias_corrected divides by (1 − β) instead of (1 − β^t)
def bias_corrected(m, v, beta1, beta2, t):
    return m / (1.0 - beta1), v / (1.0 - beta2)
