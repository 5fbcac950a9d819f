# question: q4
# bug: the EMA update is not done under torch.no_grad(), so the averages join the autograd graph
def ema_update_(ema_params, params, decay):
    for e, p in zip(ema_params, params):
        e.mul_(decay).add_((1.0 - decay) * p)
