# question: q1
# bug: the loss is ‖Xw − y‖² without the factor ½ (inconsistent with the gradient Xᵀ(Xw − y))
def ls_loss(X, y, w):
    r = X @ w - y
    return r @ r
