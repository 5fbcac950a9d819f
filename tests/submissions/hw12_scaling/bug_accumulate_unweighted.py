# question: q5
# bug: the micro-batch losses are not weighted by n_j / N: the gradients of the means add up
def accumulated_grad(model, loss_fn, X, Y, n_micro):
    params = list(model.parameters())
    for prm in params:
        prm.grad = None
    for xj, yj in zip(X.tensor_split(n_micro), Y.tensor_split(n_micro)):
        loss_fn(model(xj), yj).backward()
    return [prm.grad.detach().clone() for prm in params]
