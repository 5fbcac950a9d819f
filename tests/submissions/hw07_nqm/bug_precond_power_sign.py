# question: q5
# bug: the preconditioner scales the step by h^p instead of h^(−p)
def precond_risk(h, c, alpha, B, p, w0, n_steps):
    return sgd_risk(h, c, alpha * h**p, B, w0, n_steps)
