# question: q6
# bug: episodes on the x axis start at 0 instead of 1
def plot_learning_curves(returns):
    fig, ax = plt.subplots(figsize=(6, 4))
    for name, curves in returns.items():
        curves = curves.detach().cpu()
        mean, std = curves.mean(0), curves.std(0)
        x = list(range(curves.shape[1]))
        ax.plot(x, mean.tolist(), label=name)
        ax.fill_between(x, (mean - std).tolist(), (mean + std).tolist(), alpha=0.2)
    ax.set_xlabel("episode")
    ax.set_ylabel("return G₀")
    ax.legend()
    return fig
