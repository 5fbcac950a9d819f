# question: q3
# bug: evaluates before the optimiser step of every eval_every-th step (one step early)
def train_fixed_budget(config, max_train_steps, eval_every, seed, data):
    X_train, y_train, X_val, y_val = data
    g = torch.Generator(device=X_train.device).manual_seed(seed)
    params = init_mlp(64, int(config["width"]), 10, g, device=X_train.device)
    opt = torch.optim.AdamW(params, lr=config["lr"], weight_decay=config["weight_decay"])
    n = len(y_train)
    curve = []
    for step in range(1, max_train_steps + 1):
        if step % eval_every == 0:
            with torch.no_grad():
                val = torch.nn.functional.cross_entropy(mlp_forward(params, X_val), y_val)
            curve.append((step, float(val)))
        idx = torch.randint(0, n, (int(config["batch_size"]),), generator=g, device=X_train.device)
        opt.zero_grad()
        loss = torch.nn.functional.cross_entropy(mlp_forward(params, X_train[idx]), y_train[idx])
        loss.backward()
        opt.step()
    best_step, best_val = retrospective_best(curve)
    return {
        "val_curve": curve,
        "best_step": best_step,
        "best_val": best_val,
        "final_val": curve[-1][1],
    }
