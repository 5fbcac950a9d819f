# question: q4
# bug: one parameter is reused for every λ, so each run starts where the previous one ended
def l2_vs_decoupled(w0, lr, weight_decays, steps):
    result = {}
    for key, opt_class in (("adam_l2", Adam), ("adamw", AdamW)):
        w = w0.detach().clone().requires_grad_(True)
        runs = []
        for lam in weight_decays:
            opt = opt_class([w], lr=lr, weight_decay=lam)
            path = [w.detach().clone()]
            for _ in range(steps):
                w.grad = torch.zeros_like(w)
                opt.step()
                path.append(w.detach().clone())
            runs.append(torch.stack(path))
        result[key] = torch.stack(runs)
    return result
