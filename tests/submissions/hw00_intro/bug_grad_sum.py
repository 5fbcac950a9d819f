# question: q3
# bug: the gradient sums over the examples instead of averaging (missing 1/n)
def bce_grad(w, X, y):
    return X.T @ (sigmoid(X @ w) - y)
