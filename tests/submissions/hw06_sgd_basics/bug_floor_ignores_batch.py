# question: q2
# bug: the noise floor ησ²/(2 − η) without the 1/B of a mini-batch
def mse_floor(sigma2, eta, batch_size=1):
    return eta * sigma2 / (2.0 - eta)
