# question: q1
# bug: computes the gradient as XᵀX w − Xᵀy, forming the p × p matrix XᵀX (the memory wall)
def ls_gradient(X, y, w):
    return (X.T @ X) @ w - X.T @ y
