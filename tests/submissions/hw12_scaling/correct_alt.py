# An independent correct solution, written differently from the reference:
# - the saved-tensor counters are small classes; the peak measurement records each
#   recompute's total when the next one starts (the counts only grow within a segment);
# - segment_bounds accumulates segment lengths; the checkpointed backward differentiates
#   with respect to every input that needs a gradient through one index map;
# - asap_schedule computes each op's start time as a longest path (a fixpoint over the
#   stage orders) and then fills the grid; GPipe's grid is written in closed form
#   (F_j on stage s at s + j, B_j at m + p − 1 + (p − 1 − s) + j);
# - validate_schedule collects the op times first and checks everything afterwards;
# - accumulated_grad sums torch.autograd.grad of the unweighted micro-batch losses,
#   weighted afterwards, and writes the sums into .grad; allreduce_mean stacks and
#   averages; tp_mlp slices the shards by hand and sums the partial outputs with a stack;
# - loss_grad scales the gradient of the unweighted loss; run_schedule keeps one inbox
#   keyed by (stage, kind, micro-batch);
# - the schedule chart draws all bars with one vectorised barh call.
import math

import matplotlib.pyplot as plt
import torch


class _StorageTally:
    def __init__(self, exclude=()):
        self.skip = {t.untyped_storage().data_ptr() for t in exclude}
        self.sizes = {}

    def pack(self, t):
        st = t.untyped_storage()
        if st.data_ptr() not in self.skip:
            self.sizes.setdefault(st.data_ptr(), st.nbytes())
        return t

    @staticmethod
    def unpack(t):
        return t

    def total(self):
        return sum(self.sizes.values())


def saved_activation_bytes(fn, x, exclude=()):
    tally = _StorageTally(exclude)
    with torch.autograd.graph.saved_tensors_hooks(tally.pack, tally.unpack):
        fn(x)
    return int(tally.total())


def plain_saved_bytes(n_layers, batch, width, element_size):
    one = batch * width * element_size
    return one + sum(one for _ in range(n_layers))  # the input, then one tanh output per block


def segment_bounds(n_layers, n_segments):
    if n_segments < 1 or n_segments > n_layers:
        raise ValueError("n_segments must lie in 1..n_layers")
    bounds = [0]
    for i in range(1, n_segments + 1):
        bounds.append(
            bounds[-1] + (i * n_layers) // n_segments - ((i - 1) * n_layers) // n_segments
        )
    return bounds


def _run_blocks(layers, start, end, h):
    for idx in range(start, end):
        h = layers[idx](h)
    return h


class SegmentFunction(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x, layers, start, end, *params):
        ctx.save_for_backward(x)
        ctx.layers, ctx.start, ctx.end = layers, start, end
        return _run_blocks(layers, start, end, x)

    @staticmethod
    def backward(ctx, grad_out):
        (saved,) = ctx.saved_tensors
        flags = ctx.needs_input_grad
        params = [p for idx in range(ctx.start, ctx.end) for p in ctx.layers[idx].parameters()]
        inp = saved.detach()
        if flags[0]:
            inp.requires_grad_(True)
        with torch.enable_grad():
            out = _run_blocks(ctx.layers, ctx.start, ctx.end, inp)
        candidates = [inp, *params]
        candidate_flags = [flags[0], *flags[4:]]
        wanted = [i for i, f in enumerate(candidate_flags) if f]
        result = [None] * len(candidates)
        if wanted:
            found = torch.autograd.grad(
                out, [candidates[i] for i in wanted], grad_out, allow_unused=True
            )
            for i, g in zip(wanted, found):
                result[i] = g
        return (result[0], None, None, None, *result[1:])


def checkpointed_forward(layers, x, n_segments):
    b = segment_bounds(len(layers), n_segments)
    h = x
    for i in range(n_segments):
        params = []
        for layer in layers[b[i] : b[i + 1]]:
            params.extend(layer.parameters())
        h = SegmentFunction.apply(h, layers, b[i], b[i + 1], *params)
    return h


def peak_saved_units(n_layers, n_segments):
    longest = -(-n_layers // n_segments)
    return 1 + longest + n_segments


def best_n_segments(n_layers):
    best_k, best_units = 1, peak_saved_units(n_layers, 1)
    for k in range(2, n_layers + 1):
        units = peak_saved_units(n_layers, k)
        if units < best_units:
            best_k, best_units = k, units
    return best_k


class _PhaseTally:
    def __init__(self, params):
        self.skip = {p.untyped_storage().data_ptr() for p in params}
        self.in_backward = False
        self.forward = {}
        self.segments = []  # one dict per recompute

    def pack(self, t):
        st = t.untyped_storage()
        ptr = st.data_ptr()
        if ptr not in self.skip:
            target = self.segments[-1] if self.in_backward and self.segments else self.forward
            target[ptr] = st.nbytes()
        return t

    def start_segment(self, module, args):
        if self.in_backward:
            self.segments.append({})


def measure_peak_bytes(layers, x, n_segments):
    tally = _PhaseTally(list(layers.parameters()))
    starts = segment_bounds(len(layers), n_segments)[:-1]
    handles = [layers[i].register_forward_pre_hook(tally.start_segment) for i in starts]
    try:
        with torch.autograd.graph.saved_tensors_hooks(tally.pack, lambda t: t):
            y = checkpointed_forward(layers, x, n_segments)
            tally.in_backward = True
            y.backward(torch.ones_like(y))
    finally:
        for hd in handles:
            hd.remove()
    forward_bytes = sum(tally.forward.values())
    recompute = max((sum(seg.values()) for seg in tally.segments), default=0)
    return int(forward_bytes + recompute)


def _dependencies(op, s, j, p):
    if op == "F":
        return [("F", s - 1, j)] if s > 0 else []
    return [("F", s, j)] + ([("B", s + 1, j)] if s + 1 < p else [])


def asap_schedule(orders):
    p = len(orders)
    position = {}
    for s, order in enumerate(orders):
        for i, (op, j) in enumerate(order):
            position[(op, s, j)] = i
    start = {}
    progress = True
    while progress:
        progress = False
        for s, order in enumerate(orders):
            for i, (op, j) in enumerate(order):
                key = (op, s, j)
                if key in start:
                    continue
                if i > 0 and (order[i - 1][0], s, order[i - 1][1]) not in start:
                    break  # the previous op of this stage has no time yet
                deps = _dependencies(op, s, j, p)
                if not all(d in start for d in deps):
                    break
                earliest = start[(order[i - 1][0], s, order[i - 1][1])] + 1 if i > 0 else 0
                for d in deps:
                    earliest = max(earliest, start[d] + 1)
                start[key] = earliest
                progress = True
    total = sum(len(order) for order in orders)
    if len(start) < total:
        raise ValueError("deadlock: some ops can never run")
    n_steps = max(start.values()) + 1 if start else 0
    grid = [[None] * p for _ in range(n_steps)]
    for (op, s, j), t in start.items():
        grid[t][s] = (op, j)
    return grid


def gpipe_schedule(p, m):
    T = 2 * (m + p - 1)
    grid = [[None] * p for _ in range(T)]
    for s in range(p):
        for j in range(m):
            grid[s + j][s] = ("F", j)
            grid[(m + p - 1) + (p - 1 - s) + j][s] = ("B", j)
    return grid


def one_f_one_b_schedule(p, m):
    orders = []
    for s in range(p):
        w = min(p - 1 - s, m)
        fwd = [("F", j) for j in range(m)]
        bwd = [("B", j) for j in range(m)]
        order = fwd[:w]
        f_next, b_next = w, 0
        while f_next < m:
            order.append(fwd[f_next])
            order.append(bwd[b_next])
            f_next += 1
            b_next += 1
        order.extend(bwd[b_next:])
        orders.append(order)
    return asap_schedule(orders)


def validate_schedule(grid, p, m):
    times = {}
    try:
        rows = list(grid)
    except TypeError:
        return False
    for t, row in enumerate(rows):
        if not isinstance(row, (list, tuple)) or len(row) != p:
            return False
        for s, cell in enumerate(row):
            if cell is None:
                continue
            if not isinstance(cell, (list, tuple)) or len(cell) != 2:
                return False
            op, j = cell[0], cell[1]
            if not isinstance(op, str) or op not in ("F", "B"):
                return False
            if type(j) is not int or j < 0 or j >= m:
                return False
            key = (op, s, j)
            if key in times:
                return False
            times[key] = t
    expected = {(op, s, j) for op in ("F", "B") for s in range(p) for j in range(m)}
    if set(times) != expected:
        return False
    for (op, s, j), t in times.items():
        if any(times[d] >= t for d in _dependencies(op, s, j, p)):
            return False
    return True


def bubble_fraction(grid):
    idle = sum(row.count(None) for row in grid)
    return idle / (len(grid) * len(grid[0]))


def peak_inflight(grid):
    p = len(grid[0])
    out = []
    for s in range(p):
        column = [row[s] for row in grid if row[s] is not None]
        running = [0]
        for op, _ in column:
            running.append(running[-1] + (1 if op == "F" else -1))
        out.append(max(running))
    return out


def accumulated_grad(model, loss_fn, X, Y, n_micro):
    params = list(model.parameters())
    for q in params:
        q.grad = None
    N = X.shape[0]
    totals = [torch.zeros_like(q) for q in params]
    for xj, yj in zip(X.tensor_split(n_micro), Y.tensor_split(n_micro)):
        grads = torch.autograd.grad(loss_fn(model(xj), yj), params)
        share = xj.shape[0] / N
        totals = [acc + share * g for acc, g in zip(totals, grads)]
    for q, g in zip(params, totals):
        q.grad = g
    return [g.clone() for g in totals]


def allreduce_mean(per_worker):
    return [torch.stack(list(column)).mean(dim=0) for column in zip(*per_worker)]


def data_parallel_grad(model, loss_fn, X, Y, n_workers):
    params = list(model.parameters())
    shards = zip(X.tensor_split(n_workers), Y.tensor_split(n_workers))
    return allreduce_mean(
        [list(torch.autograd.grad(loss_fn(model(xs), ys), params)) for xs, ys in shards]
    )


def tp_mlp(X, W1, W2, n_shards):
    f = W1.shape[1]
    base, extra = divmod(f, n_shards)
    partial, lo = [], 0
    for i in range(n_shards):
        hi = lo + base + (1 if i < extra else 0)
        partial.append(torch.nn.functional.gelu(X @ W1[:, lo:hi]) @ W2[lo:hi, :])
        lo = hi
    return torch.stack(partial).sum(dim=0)


def stage_forward(stage, x, stash, j):
    leaf = x.detach()
    leaf.requires_grad_(True)
    y = stage(leaf)
    stash[j] = (leaf, y)
    return y.detach()


def stage_backward(stash, j, grad_out):
    leaf, y = stash.pop(j)
    torch.autograd.backward([y], [grad_out])
    return leaf.grad


def loss_grad(out, y, loss_fn, weight):
    z = out.detach().requires_grad_(True)
    (g,) = torch.autograd.grad(loss_fn(z, y), [z])
    return g * weight


def run_schedule(stages, X, Y, loss_fn, n_micro, grid):
    p, N = len(stages), X.shape[0]
    xs, ys = X.tensor_split(n_micro), Y.tensor_split(n_micro)
    for st in stages:
        for q in st.parameters():
            q.grad = None
    stash = [dict() for _ in range(p)]
    inbox = {}  # (stage, "act" | "grad", j) -> tensor
    last_out = {}
    peaks = [0] * p
    for row in grid:
        outgoing = {}
        for s in range(p):
            cell = row[s]
            if cell is None:
                continue
            kind, j = cell
            if kind == "F":
                inp = xs[j] if s == 0 else inbox.pop((s, "act", j))
                y = stage_forward(stages[s], inp, stash[s], j)
                peaks[s] = max(peaks[s], len(stash[s]))
                if s + 1 < p:
                    outgoing[(s + 1, "act", j)] = y
                else:
                    last_out[j] = y
            else:
                if s + 1 == p:
                    g = loss_grad(last_out.pop(j), ys[j], loss_fn, ys[j].shape[0] / N)
                else:
                    g = inbox.pop((s, "grad", j))
                g_in = stage_backward(stash[s], j, g)
                if s > 0:
                    outgoing[(s - 1, "grad", j)] = g_in
        inbox.update(outgoing)  # delivered at the end of the step
    grads = [[q.grad.detach().clone() for q in st.parameters()] for st in stages]
    return grads, peaks


def plot_checkpoint_tradeoff(ks, peak_bytes, time_ratio, n_layers, unit_bytes):
    fig = plt.figure(figsize=(10, 4))
    left, right = fig.add_subplot(1, 2, 1), fig.add_subplot(1, 2, 2)
    left.plot(ks, [pb / 1024 for pb in peak_bytes], marker="o", label="measured")
    left.plot(
        ks,
        [unit_bytes * peak_saved_units(n_layers, k) / 1024 for k in ks],
        linestyle="--",
        label="model k + ceil(n/k) + 1",
    )
    level = 2.0 * math.sqrt(n_layers) * unit_bytes / 1024
    left.plot([ks[0], ks[-1]], [level] * 2, linestyle=":", label="2 sqrt(n)")
    right.plot(ks, time_ratio, marker="o", label="checkpointed")
    right.plot([ks[0], ks[-1]], [1.0, 1.0], linestyle="--", label="no checkpointing")
    for ax, ylabel in ((left, "peak saved KiB"), (right, "time / plain time")):
        ax.set_xscale("log")
        ax.set_xlabel("segments k")
        ax.set_ylabel(ylabel)
        ax.legend()
    return fig


def plot_schedule(grid, title=""):
    T, p = len(grid), len(grid[0])
    ys, lefts, colours = [], [], []
    fig, ax = plt.subplots(figsize=(8, 3))
    for t in range(T):
        for s in range(p):
            cell = grid[t][s]
            ys.append(s)
            lefts.append(t)
            colours.append(
                "lightgrey" if cell is None else ("tab:blue" if cell[0] == "F" else "tab:orange")
            )
            if cell is not None:
                ax.text(t + 0.5, s, cell[0] + str(cell[1]), ha="center", va="center")
    ax.barh(ys, [1] * len(ys), left=lefts, color=colours, height=0.9)
    ax.invert_yaxis()
    ax.set_xlabel("step")
    ax.set_ylabel("pipeline stage")
    if title:
        ax.set_title(title)
    return fig


def plot_bubble(m_values, measured):
    fig = plt.figure(figsize=(5, 4))
    ax = fig.add_subplot(1, 1, 1)
    for p in sorted(measured.keys()):
        ax.plot(
            m_values, list(measured[p]), marker="s", linestyle="none", label=f"schedule, p = {p}"
        )
        ax.plot(
            m_values,
            [(p - 1) / (m + p - 1) for m in m_values],
            label=f"(p-1)/(m+p-1), p = {p}",
        )
    ax.set_xscale("log")
    ax.set_xlabel("m")
    ax.set_ylabel("bubble fraction")
    ax.legend()
    return fig
