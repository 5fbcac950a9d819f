# question: q5
# bug: records the last mini-batch's loss as the training loss, not the whole training set's
def train_classifier(
    opt_name, hparams, steps, batch_size, seed, data, eval_every=50, hidden=(128,), n_classes=10
):
    X_tr, y_tr, X_val, y_val = data
    gen = torch.Generator().manual_seed(seed)
    model = make_mlp((X_tr.shape[1], *hidden, n_classes), gen, dtype=X_tr.dtype, device=X_tr.device)
    opt = make_optimizer(opt_name, model.parameters(), hparams)
    history = {"step": [], "train_loss": [], "val_loss": [], "val_acc": []}
    last = None

    def evaluate(k, batch_loss):
        with torch.no_grad():
            val_logits = model(X_val)
            history["step"].append(k)
            if batch_loss is None:
                batch_loss = F.cross_entropy(model(X_tr), y_tr)
            history["train_loss"].append(float(batch_loss))
            history["val_loss"].append(F.cross_entropy(val_logits, y_val).item())
            history["val_acc"].append((val_logits.argmax(dim=1) == y_val).double().mean().item())

    evaluate(0, None)
    for k in range(1, steps + 1):
        idx = torch.randint(0, X_tr.shape[0], (batch_size,), generator=gen).to(X_tr.device)
        last = F.cross_entropy(model(X_tr[idx]), y_tr[idx])
        opt.zero_grad()
        last.backward()
        opt.step()
        if k % eval_every == 0 or k == steps:
            evaluate(k, last.detach())
    return history
