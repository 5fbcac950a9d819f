# question: q6
# bug: idle cells get no bar (only busy cells are drawn)
def plot_schedule(grid, title=""):
    colours = {"F": "tab:blue", "B": "tab:orange"}
    fig, ax = plt.subplots(figsize=(max(6.0, 0.35 * len(grid)), 0.6 * len(grid[0]) + 1.2))
    for t, row in enumerate(grid):
        for s, cell in enumerate(row):
            if cell is None:
                continue
            ax.barh(s, 1, left=t, height=0.8, color=colours[cell[0]], edgecolor="white")
            ax.text(t + 0.5, s, f"{cell[0]}{cell[1]}", ha="center", va="center", fontsize=7)
    ax.set_yticks(range(len(grid[0])))
    ax.invert_yaxis()
    ax.set_xlabel("time step")
    ax.set_ylabel("stage")
    fig.tight_layout()
    return fig
