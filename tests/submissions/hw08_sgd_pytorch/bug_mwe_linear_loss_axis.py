# question: q6
# bug: the loss panel keeps a linear y axis (the docstring asks for a log scale)
def plot_mwe(history):
    fig, (ax0, ax1) = plt.subplots(1, 2, figsize=(10, 4))
    epochs = list(range(1, len(history["train_loss"]) + 1))
    ax0.plot(epochs, history["train_loss"], label="train")
    ax0.plot(epochs, history["val_loss"], label="val")
    ax0.plot(epochs, history["ema_val_loss"], label="EMA val")
    ax0.set_xlabel("epoch")
    ax0.set_ylabel("MSE loss")
    ax0.legend()
    ax1.plot(epochs, history["lr"], label="lr")
    ax1.set_xlabel("epoch")
    ax1.set_ylabel("learning rate")
    return fig
