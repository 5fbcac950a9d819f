# question: q5
# bug: counts the first check as iteration 1, so the count is one too many
def iterations_to_tol(kappa, step_scale, tol=1e-6, max_iter=100_000):
    a = (1.0 - step_scale) ** 2
    b = (1.0 - step_scale / kappa) ** 2
    pa, pb = 1.0, 1.0
    k = 1
    while 0.5 * (pa + pb) > tol:
        if k >= max_iter:
            return max_iter
        pa, pb = pa * a, pb * b
        k += 1
    return k
