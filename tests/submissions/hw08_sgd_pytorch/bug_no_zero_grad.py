# question: q5
# bug: gradients are never reset, so each step uses the sum of all gradients so far
def train_linear(
    X_train,
    y_train,
    X_val,
    y_val,
    lr,
    momentum,
    weight_decay,
    epochs,
    batch_size,
    ema_decay,
    eta_min,
    seed,
):
    n, d = X_train.shape
    g = torch.Generator(device=X_train.device).manual_seed(seed)
    model = nn.Linear(d, 1, dtype=torch.float64, device=X_train.device)
    with torch.no_grad():
        model.weight.zero_()
        model.bias.zero_()
    opt = SGD(model.parameters(), lr=lr, momentum=momentum, weight_decay=weight_decay)
    ema = [p.detach().clone() for p in model.parameters()]
    hist = {"train_loss": [], "val_loss": [], "ema_val_loss": [], "lr": []}
    for k in range(epochs):
        lr_k = lr_schedule("cosine", k, lr, T_max=epochs, eta_min=eta_min)
        for group in opt.param_groups:
            group["lr"] = lr_k
        for idx in epoch_batches(n, batch_size, g):
            loss = mse(model(X_train[idx]).squeeze(-1), y_train[idx])
            loss.backward()
            opt.step()
            ema_update_(ema, list(model.parameters()), ema_decay)
        with torch.no_grad():
            hist["train_loss"].append(float(mse(model(X_train).squeeze(-1), y_train)))
            hist["val_loss"].append(float(mse(model(X_val).squeeze(-1), y_val)))
            hist["ema_val_loss"].append(
                float(mse(F.linear(X_val, ema[0], ema[1]).squeeze(-1), y_val))
            )
        hist["lr"].append(lr_k)
    return hist
