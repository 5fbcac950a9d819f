# question: q3
# bug: the backward pass walks the layers in reverse but pairs them with the stored inputs
# in forward order, so each vjp_at is evaluated at another layer's input
def chain_vjp(layers, x, u):
    inputs = []
    for forward, _, _ in layers:
        inputs.append(x)
        x = forward(x)
    for (_, _, vjp_at), x_k in zip(reversed(layers), inputs):
        u = vjp_at(x_k, u)
    return u
