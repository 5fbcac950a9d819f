# question: q6
# bug: the perfect-scaling guide is anchored at the largest batch size instead of the smallest
def plot_batch_scaling(table):
    bs = sorted(table)
    steps = [float(table[b][1]) for b in bs]
    fig, ax = plt.subplots(figsize=(5.5, 4))
    ax.plot(bs, steps, "o-", label="NQM, lr re-tuned per B")
    ax.plot(bs, [steps[-1] * bs[-1] / b for b in bs], "k--", label="perfect scaling")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("batch size B")
    ax.set_ylabel("steps to target")
    ax.legend()
    return fig
