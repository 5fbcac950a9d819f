# question: q4
# bug: evaluates at steps 0, eval_every, 2 eval_every, ... (before the update of step 1),
# so every point of the validation curve is taken one optimiser step early
def run_trial(opt_name, hparams, workload, steps, eval_every, seed):
    g = torch.Generator().manual_seed(seed)
    params = init_params(workload, g)
    opt = make_optimizer(opt_name, params, hparams)
    Xtr, ytr = workload["X_train"], workload["y_train"]
    Xva, yva = workload["X_val"], workload["y_val"]
    n, bs = Xtr.shape[0], workload["batch_size"]
    losses, accs, at = [], [], []
    for step in range(steps):
        if step % eval_every == 0:
            with torch.no_grad():
                logits = forward(params, Xva)
                loss = float(F.cross_entropy(logits, yva))
                acc = float((logits.argmax(dim=1) == yva).to(torch.float64).mean())
            losses.append(loss if math.isfinite(loss) else math.inf)
            accs.append(acc)
            at.append(step)
        idx = torch.randint(n, (bs,), generator=g).to(Xtr.device)
        opt.zero_grad()
        F.cross_entropy(forward(params, Xtr[idx]), ytr[idx]).backward()
        opt.step()
    reached = time_to_result(
        torch.tensor(accs, dtype=torch.float64),
        workload["target_acc"],
        times=torch.tensor(at, dtype=torch.float64),
        mode="max",
    )
    return {
        "val_curve": losses,
        "val_acc": accs,
        "eval_steps": at,
        "steps_to_target": reached,
        "best_val": min(losses) if losses else math.inf,
    }
