# question: q6
# bug: plots each trial's own loss instead of the best so far (forgot best_so_far)
def plot_best_vs_trials(results):
    fig, ax = plt.subplots(figsize=(6, 4))
    for label, vals in results.items():
        ax.plot(list(range(1, len(vals) + 1)), list(vals), label=label)
    ax.set_yscale("log")
    ax.set_xlabel("trial")
    ax.set_ylabel("best validation loss so far")
    ax.legend()
    fig.tight_layout()
    return fig
