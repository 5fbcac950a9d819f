"""Reference solution for hw12_scaling: checkpointing and a toy pipeline (lecture 12).

Lecture 12 of Stat 4830 (2025 notes): §3 "The Memory Bottleneck", §4 "Activation
Recomputation", §5 communication primitives, §6.1 data parallelism, §6.3 tensor
parallelism and §6.6 "Pipeline Parallelism & Scheduling".

Part A (q1–q3) trades compute for memory: a hand-written checkpointed forward pass keeps
only the inputs of k segments of an n-layer MLP and recomputes each segment in the
backward pass. Saved activations are measured with ``saved_tensors_hooks``.

Part B (q4–q5) splits a model into p pipeline stages and a batch into m micro-batches. The
GPipe and 1F1B schedules are data (a time × stage grid), their bubble fraction is computed
from the grid, and a single-process executor runs a grid with explicit mailboxes. The same
stage code then runs on p local processes with ``torch.distributed`` (gloo, send/recv).

q6 draws the figures. Graded computations are float64 except the byte counts (float32).
"""

from __future__ import annotations

import itertools
import math
import time
from collections.abc import Callable, Iterable

import matplotlib.pyplot as plt
import torch
from matplotlib.figure import Figure
from torch import Tensor

Grid = list[list["tuple[str, int] | None"]]

# =============================================================================== part A
# ----------------------------------------------------------------------------- given


def mlp(
    n_layers: int,
    width: int,
    seed: int,
    dtype: torch.dtype = torch.float32,
    device: str | torch.device = "cpu",
) -> torch.nn.ModuleList:
    """A stack of ``n_layers`` blocks ``Sequential(Linear(width, width), Tanh())`` (given).

    Weights are drawn from ``g = torch.Generator().manual_seed(seed)``: for each block in
    order, ``weight = (2 * torch.rand(width, width, generator=g, dtype=dtype) - 1) / sqrt(width)``
    then ``bias = (2 * torch.rand(width, generator=g, dtype=dtype) - 1) / sqrt(width)``
    (the same U(-1/√w, 1/√w) range as PyTorch's default initialisation).

    Returns:
        A ``torch.nn.ModuleList`` of ``n_layers`` blocks with parameters of ``dtype`` on
        ``device``. ``layers[i]`` is block ``i``; running them in order is the model.
    """
    g = torch.Generator().manual_seed(seed)
    root = math.sqrt(width)
    blocks = []
    for _ in range(n_layers):
        lin = torch.nn.Linear(width, width, dtype=dtype)
        with torch.no_grad():
            lin.weight.copy_((2 * torch.rand(width, width, generator=g, dtype=dtype) - 1) / root)
            lin.bias.copy_((2 * torch.rand(width, generator=g, dtype=dtype) - 1) / root)
        blocks.append(torch.nn.Sequential(lin, torch.nn.Tanh()))
    return torch.nn.ModuleList(blocks).to(device)


def plain_forward(layers: torch.nn.ModuleList, x: Tensor) -> Tensor:
    """Run the blocks in order, keeping every activation autograd wants (given)."""
    for layer in layers:
        x = layer(x)
    return x


# ----------------------------------------------------------------------------- q1


def saved_activation_bytes(
    fn: Callable[[Tensor], Tensor], x: Tensor, exclude: Iterable[Tensor] = ()
) -> int:
    """The bytes of the distinct tensors autograd saves for backward while running ``fn(x)``.

    Run ``fn(x)`` inside ``torch.autograd.graph.saved_tensors_hooks(pack, unpack)``. Every
    tensor autograd saves passes through ``pack``. A tensor is identified by its storage,
    ``t.untyped_storage().data_ptr()``, and costs ``t.untyped_storage().nbytes()`` bytes:
    two saved tensors that share memory (a tensor and a view of it, or the same activation
    saved by two ops) are counted once. Tensors that share storage with a tensor in
    ``exclude`` (pass the model's parameters) are not counted: they are not activations
    and exist whether or not we train.

    Args:
        fn: a function of one tensor (e.g. ``lambda z: plain_forward(layers, z)``).
        x: its input, any shape and dtype.
        exclude: tensors whose storage is not counted.

    Returns:
        The total number of bytes (a Python ``int``); 0 if nothing was saved (for example
        under ``torch.no_grad()``).
    """
    # BEGIN SOLUTION q1
    skip = {t.untyped_storage().data_ptr() for t in exclude}
    seen: dict[int, int] = {}

    def pack(t: Tensor) -> Tensor:
        ptr = t.untyped_storage().data_ptr()
        if ptr not in skip:
            seen[ptr] = t.untyped_storage().nbytes()
        return t

    with torch.autograd.graph.saved_tensors_hooks(pack, lambda t: t):
        fn(x)
    return int(sum(seen.values()))
    # END SOLUTION


def plain_saved_bytes(n_layers: int, batch: int, width: int, element_size: int) -> int:
    """The activation bytes a plain forward of ``mlp(n_layers, width, ...)`` saves.

    Count them from what each op needs for its backward: ``Linear`` saves its input (for
    the weight gradient), ``Tanh`` saves its output (tanh' = 1 − tanh²), and block i's
    tanh output *is* block i+1's input. Each activation is a ``(batch, width)`` tensor of
    ``element_size`` bytes per entry (4 for float32).

    Returns:
        The bytes as an ``int``; it must equal ``saved_activation_bytes`` of the plain
        forward with the parameters excluded.
    """
    # BEGIN SOLUTION q1
    # the input of block 0 plus one tanh output per block (shared with the next Linear)
    return (n_layers + 1) * batch * width * element_size
    # END SOLUTION


# ----------------------------------------------------------------------------- q2


def segment_bounds(n_layers: int, n_segments: int) -> list[int]:
    """Where the segments of a checkpointed stack start and end.

    Returns:
        ``[b_0, ..., b_k]`` with ``b_i = (i * n_layers) // n_segments`` (integer division),
        so ``b_0 = 0``, ``b_k = n_layers``, and segment ``i`` is ``layers[b_i:b_{i+1}]``.
        Segment lengths differ by at most one and the last segment is a longest one.

    Raises:
        ValueError: unless ``1 <= n_segments <= n_layers``.
    """
    # BEGIN SOLUTION q2
    if not 1 <= n_segments <= n_layers:
        raise ValueError(f"need 1 <= n_segments <= n_layers, got {n_segments}, {n_layers}")
    return [(i * n_layers) // n_segments for i in range(n_segments + 1)]
    # END SOLUTION


class SegmentFunction(torch.autograd.Function):
    """Run ``layers[start:end]`` keeping only its input; recompute it in the backward pass.

    Call it as ``SegmentFunction.apply(x, layers, start, end, *params)`` where ``params``
    are the parameters of ``layers[start:end]`` in the order
    ``[p for layer in layers[start:end] for p in layer.parameters()]``. Passing them as
    inputs tells autograd that the output depends on them: the backward then runs even
    when ``x`` does not require grad (the first segment), and returns their gradients
    like any other function, so ``loss.backward()`` and ``torch.autograd.grad`` both work.
    """

    @staticmethod
    def forward(ctx, x: Tensor, layers: torch.nn.ModuleList, start: int, end: int, *params):
        """``layers[start:end]`` applied to ``x`` (shape ``(batch, width)``), without a graph.

        Save only ``x`` (with ``ctx.save_for_backward``) and what is needed to find the
        layers again (``ctx.layers``, ``ctx.start``, ``ctx.end``). Call the layers as
        modules (``layers[i](h)``), not ``layers[i].forward(h)``, so module hooks fire.
        """
        # BEGIN SOLUTION q2
        ctx.layers, ctx.start, ctx.end = layers, start, end
        ctx.save_for_backward(x)
        with torch.no_grad():  # forward of a Function runs without a graph anyway; be explicit
            h = x
            for i in range(start, end):
                h = layers[i](h)
        return h
        # END SOLUTION

    @staticmethod
    def backward(ctx, grad_out: Tensor):
        """Recompute the segment with a graph, then backpropagate ``grad_out`` through it.

        Recompute from ``x.detach()`` (marked ``requires_grad`` when ``x`` needs a
        gradient) under ``torch.enable_grad()``, then use ``torch.autograd.grad`` for the
        gradients with respect to the detached input and the parameters.

        Returns:
            ``(grad_x, None, None, None, *grad_params)``: one entry per input of
            ``forward``; ``None`` for ``layers``, ``start``, ``end``, and for ``x`` or a
            parameter that does not require grad.
        """
        # BEGIN SOLUTION q2
        (x,) = ctx.saved_tensors
        needs = ctx.needs_input_grad
        params = [p for i in range(ctx.start, ctx.end) for p in ctx.layers[i].parameters()]
        x_in = x.detach().requires_grad_(needs[0])
        with torch.enable_grad():
            h = x_in
            for i in range(ctx.start, ctx.end):
                h = ctx.layers[i](h)
        wanted = ([x_in] if needs[0] else []) + [p for p, n in zip(params, needs[4:]) if n]
        grads = list(torch.autograd.grad(h, wanted, grad_out, allow_unused=True))
        grad_x = grads.pop(0) if needs[0] else None
        grad_params = [grads.pop(0) if n else None for n in needs[4:]]
        return (grad_x, None, None, None, *grad_params)
        # END SOLUTION


def checkpointed_forward(layers: torch.nn.ModuleList, x: Tensor, n_segments: int) -> Tensor:
    """The stack's output, keeping only the inputs of ``n_segments`` segments for backward.

    Split ``layers`` at ``segment_bounds(len(layers), n_segments)`` and run each segment
    with ``SegmentFunction.apply`` (parameters passed as described there).

    Args:
        layers: the blocks (e.g. from ``mlp``).
        x: ``(batch, width)`` input; it may or may not require grad.
        n_segments: ``k`` with ``1 <= k <= len(layers)``.

    Returns:
        The same ``(batch, width)`` tensor as ``plain_forward(layers, x)``; its backward
        gives the same gradients (for the parameters, and for ``x`` if it requires grad).
    """
    # BEGIN SOLUTION q2
    bounds = segment_bounds(len(layers), n_segments)
    for a, b in itertools.pairwise(bounds):
        seg_params = [p for layer in layers[a:b] for p in layer.parameters()]
        x = SegmentFunction.apply(x, layers, a, b, *seg_params)
    return x
    # END SOLUTION


# ----------------------------------------------------------------------------- q3


def peak_saved_units(n_layers: int, n_segments: int) -> int:
    """The cost model: peak saved activations, in units of one ``(batch, width)`` activation.

    The forward pass keeps ``k`` segment inputs. Backward recomputes the segments from the
    last to the first; recomputing a segment of ``L`` blocks saves its input and ``L``
    tanh outputs, while all ``k`` stored inputs are still alive during the first (the
    last, longest) one. So the peak is ``k + ceil(n / k) + 1``.
    (The recompute's input aliases a stored one, so this counts one activation twice:
    it is what the hooks see when the two phases are counted separately.)
    """
    # BEGIN SOLUTION q3
    return n_segments + math.ceil(n_layers / n_segments) + 1
    # END SOLUTION


def best_n_segments(n_layers: int) -> int:
    """The ``k`` in ``1..n_layers`` with the smallest ``peak_saved_units``; the smallest on ties."""
    # BEGIN SOLUTION q3
    return min(range(1, n_layers + 1), key=lambda k: (peak_saved_units(n_layers, k), k))
    # END SOLUTION


def measure_peak_bytes(layers: torch.nn.ModuleList, x: Tensor, n_segments: int) -> int:
    """Measure the model of ``peak_saved_units`` with hooks, in bytes.

    Run ``out = checkpointed_forward(layers, x, n_segments)`` and then
    ``out.backward(torch.ones_like(out))``, all inside one ``saved_tensors_hooks`` context
    whose ``pack`` counts distinct storages (as in ``saved_activation_bytes``, the
    parameters excluded), in two phases:

    * forward: the bytes saved before the backward starts;
    * backward: each segment's recompute separately. Mark the start of a recompute with a
      forward pre-hook (``register_forward_pre_hook``) on the first block of every
      segment that starts a fresh count; keep the largest count. Remove the hooks after.

    Returns:
        forward bytes + the largest recompute's bytes, an ``int``. Side effect: the
        backward accumulates into the parameters' ``.grad``.
    """
    # BEGIN SOLUTION q3
    params = {p.untyped_storage().data_ptr() for p in layers.parameters()}
    state: dict = {"backward": False, "forward": {}, "segment": {}, "peak": 0}

    def pack(t: Tensor) -> Tensor:
        ptr = t.untyped_storage().data_ptr()
        if ptr in params:
            return t
        if not state["backward"]:
            state["forward"][ptr] = t.untyped_storage().nbytes()
        else:
            state["segment"][ptr] = t.untyped_storage().nbytes()
            state["peak"] = max(state["peak"], sum(state["segment"].values()))
        return t

    def new_segment(module: torch.nn.Module, args: tuple) -> None:
        state["segment"] = {}

    bounds = segment_bounds(len(layers), n_segments)
    handles = [layers[a].register_forward_pre_hook(new_segment) for a in bounds[:-1]]
    try:
        with torch.autograd.graph.saved_tensors_hooks(pack, lambda t: t):
            out = checkpointed_forward(layers, x, n_segments)
            state["backward"] = True
            out.backward(torch.ones_like(out))
    finally:
        for h in handles:
            h.remove()
    return int(sum(state["forward"].values()) + state["peak"])
    # END SOLUTION


def step_time(
    layers: torch.nn.ModuleList, x: Tensor, n_segments: int | None = None, repeats: int = 7
) -> float:
    """Median wall time of one forward + backward of ``sum(output)`` (given, not graded).

    ``n_segments=None`` times the plain forward; otherwise ``checkpointed_forward``. One
    untimed warm-up run first. Timings are noisy: compare ratios measured side by side.
    """

    def step() -> None:
        if n_segments is None:
            y = plain_forward(layers, x)
        else:
            y = checkpointed_forward(layers, x, n_segments)
        y.sum().backward()

    step()
    times = []
    for _ in range(repeats):
        if x.is_cuda:
            torch.cuda.synchronize(x.device)
        t0 = time.perf_counter()
        step()
        if x.is_cuda:
            torch.cuda.synchronize(x.device)
        times.append(time.perf_counter() - t0)
    return sorted(times)[len(times) // 2]


# =============================================================================== part B
# ----------------------------------------------------------------------------- q4


def asap_schedule(orders: list[list[tuple[str, int]]]) -> Grid:
    """Place each stage's ops, in the given order, as early as the dependencies allow.

    Ops take one time step. Stage ``s`` runs ``orders[s]`` in that order, one op per step,
    and an op starts at the first step at which its stage is free and its dependencies
    finished at an *earlier* step:

    * ``("F", j)`` on stage ``s > 0`` needs ``("F", j)`` on stage ``s - 1``;
    * ``("B", j)`` on stage ``s`` needs ``("F", j)`` on stage ``s`` and, if ``s < p - 1``,
      ``("B", j)`` on stage ``s + 1``.

    Simulate step by step: at step ``t`` every stage whose next op is ready runs it.

    Args:
        orders: ``p`` lists of ops ``("F", j)`` / ``("B", j)``.

    Returns:
        ``grid`` with one row per step until the last op finishes, ``grid[t][s]`` the op of
        stage ``s`` at step ``t`` (a tuple) or ``None`` when the stage is idle.

    Raises:
        ValueError: if at some step no op can run although some remain (a deadlock).
    """
    # BEGIN SOLUTION q4
    p = len(orders)
    finished: dict[tuple[str, int, int], int] = {}  # (op, stage, j) -> step it ran
    nxt = [0] * p
    grid: Grid = []
    t = 0
    while any(nxt[s] < len(orders[s]) for s in range(p)):
        row: list[tuple[str, int] | None] = [None] * p
        for s in range(p):
            if nxt[s] == len(orders[s]):
                continue
            op, j = orders[s][nxt[s]]
            deps = [("F", s - 1, j)] if op == "F" and s > 0 else []
            if op == "B":
                deps = [("F", s, j)] + ([("B", s + 1, j)] if s < p - 1 else [])
            if all(d in finished and finished[d] < t for d in deps):
                row[s] = (op, j)
        if all(cell is None for cell in row):
            raise ValueError(f"deadlock at step {t}: no stage can run its next op")
        for s, cell in enumerate(row):
            if cell is not None:
                finished[(cell[0], s, cell[1])] = t
                nxt[s] += 1
        grid.append(row)
        t += 1
    return grid
    # END SOLUTION


def gpipe_schedule(p: int, m: int) -> Grid:
    """GPipe ("all forward, all backward"): every stage runs F0..F(m−1), then B0..B(m−1).

    Returns:
        ``asap_schedule`` of those orders: a grid of ``2 (m + p − 1)`` steps × ``p`` stages.
    """
    # BEGIN SOLUTION q4
    order = [("F", j) for j in range(m)] + [("B", j) for j in range(m)]
    return asap_schedule([list(order) for _ in range(p)])
    # END SOLUTION


def one_f_one_b_schedule(p: int, m: int) -> Grid:
    """1F1B: warm up, then alternate one forward and one backward, then drain.

    Stage ``s`` runs ``w = min(p − 1 − s, m)`` warm-up forwards F0..F(w−1); then, while
    forwards remain, the pair F(w + i), B(i) for i = 0, 1, ...; then the remaining
    backwards in order. Each stage holds at most ``min(p − s, m)`` micro-batches'
    activations, instead of GPipe's ``m``.

    Returns:
        ``asap_schedule`` of those orders (also ``2 (m + p − 1)`` steps).
    """
    # BEGIN SOLUTION q4
    orders = []
    for s in range(p):
        warm = min(p - 1 - s, m)
        order = [("F", j) for j in range(warm)]
        for i in range(m - warm):
            order += [("F", warm + i), ("B", i)]
        order += [("B", j) for j in range(m - warm, m)]
        orders.append(order)
    return asap_schedule(orders)
    # END SOLUTION


def validate_schedule(grid: Grid, p: int, m: int) -> bool:
    """Whether ``grid`` is a correct pipeline schedule for ``p`` stages and ``m`` micro-batches.

    Correct means: every row has ``p`` cells; every cell is ``None`` or a pair
    ``(op, j)`` with ``op`` in ``{"F", "B"}`` and ``j`` an int in ``range(m)``; each of
    the ``2 p m`` ops ``(op, s, j)`` occurs exactly once; and each op comes strictly
    after its dependencies (see ``asap_schedule``). Idle rows and idle cells are allowed.

    Returns:
        ``True`` or ``False`` (never raises on malformed input).
    """
    # BEGIN SOLUTION q4
    when: dict[tuple[str, int, int], int] = {}
    for t, row in enumerate(grid):
        if not isinstance(row, (list, tuple)) or len(row) != p:
            return False
        for s, cell in enumerate(row):
            if cell is None:
                continue
            if not isinstance(cell, (list, tuple)) or len(cell) != 2:
                return False
            op, j = cell
            if op not in ("F", "B") or isinstance(j, bool) or not isinstance(j, int):
                return False
            if not 0 <= j < m or (op, s, j) in when:
                return False
            when[(op, s, j)] = t
    if len(when) != 2 * p * m:
        return False
    for s in range(p):
        for j in range(m):
            if s > 0 and when[("F", s, j)] <= when[("F", s - 1, j)]:
                return False
            if when[("B", s, j)] <= when[("F", s, j)]:
                return False
            if s < p - 1 and when[("B", s, j)] <= when[("B", s + 1, j)]:
                return False
    return True
    # END SOLUTION


def bubble_fraction(grid: Grid) -> float:
    """The idle fraction of a schedule: idle cells / (p × number of steps), a float."""
    # BEGIN SOLUTION q4
    cells = [cell for row in grid for cell in row]
    return sum(cell is None for cell in cells) / len(cells)
    # END SOLUTION


def peak_inflight(grid: Grid) -> list[int]:
    """Per stage, the most micro-batches whose forward has run but whose backward has not.

    That is the number of micro-batches whose activations a stage must hold at once.

    Returns:
        A list of ``p`` ints. The grid may be a schedule's first steps: an idle stage gets 0.
    """
    # BEGIN SOLUTION q4
    p = len(grid[0])
    live, peak = [0] * p, [0] * p
    for row in grid:
        for s, cell in enumerate(row):
            if cell is not None:
                live[s] += 1 if cell[0] == "F" else -1
                peak[s] = max(peak[s], live[s])
    return peak
    # END SOLUTION


# ----------------------------------------------------------------------------- q5


def full_batch_grad(
    model: torch.nn.Module, loss_fn: Callable[[Tensor, Tensor], Tensor], X: Tensor, Y: Tensor
) -> list[Tensor]:
    """The gradient of ``loss_fn(model(X), Y)`` for each of ``model.parameters()`` (given).

    Uses ``torch.autograd.grad``, so no ``.grad`` is touched.
    """
    return list(torch.autograd.grad(loss_fn(model(X), Y), list(model.parameters())))


def accumulated_grad(
    model: torch.nn.Module,
    loss_fn: Callable[[Tensor, Tensor], Tensor],
    X: Tensor,
    Y: Tensor,
    n_micro: int,
) -> list[Tensor]:
    """Gradient accumulation over micro-batches (lecture 12 §6.1).

    Split with ``X.tensor_split(n_micro)`` and ``Y.tensor_split(n_micro)`` (sizes differ
    by at most one). ``loss_fn`` averages over its batch, so micro-batch ``j`` of
    ``n_j`` rows gets the weight ``n_j / N``: call ``(n_j / N * loss_fn(model(X_j),
    Y_j)).backward()`` for each ``j``, letting ``.grad`` accumulate. The sum of the
    weighted micro-batch gradients is the full-batch gradient.

    Args:
        model: any module; its ``.grad`` fields are reset to ``None`` first.
        loss_fn: a mean-reduced loss, e.g. ``torch.nn.functional.mse_loss``.
        X: ``(N, d)`` inputs; Y: ``(N, ...)`` targets; ``1 <= n_micro <= N``.

    Returns:
        Clones of the accumulated ``.grad`` of ``model.parameters()``, in order.
    """
    # BEGIN SOLUTION q5
    params = list(model.parameters())
    for prm in params:
        prm.grad = None
    N = X.shape[0]
    for xj, yj in zip(X.tensor_split(n_micro), Y.tensor_split(n_micro)):
        (xj.shape[0] / N * loss_fn(model(xj), yj)).backward()
    return [prm.grad.detach().clone() for prm in params]
    # END SOLUTION


def allreduce_mean(per_worker: list[list[Tensor]]) -> list[Tensor]:
    """What an all-reduce with averaging leaves on every worker.

    Args:
        per_worker: ``W`` lists, each with one gradient per parameter (same shapes).

    Returns:
        One list: entry ``i`` is the sum over workers of ``per_worker[w][i]``, divided by
        ``W``.
    """
    # BEGIN SOLUTION q5
    n_workers = len(per_worker)
    return [sum(grads[1:], grads[0].clone()) / n_workers for grads in zip(*per_worker)]
    # END SOLUTION


def data_parallel_grad(
    model: torch.nn.Module,
    loss_fn: Callable[[Tensor, Tensor], Tensor],
    X: Tensor,
    Y: Tensor,
    n_workers: int,
) -> list[Tensor]:
    """Data parallelism, simulated: each worker's mean-loss gradient on its shard, averaged.

    Shards are ``X.tensor_split(n_workers)`` (and the same for ``Y``). Worker ``w`` holds
    a replica of ``model`` (here: the model itself) and computes the gradient of
    ``loss_fn(model(X_w), Y_w)`` with ``torch.autograd.grad``; then ``allreduce_mean``.
    With equal shards (``N`` divisible by ``n_workers``) this is the full-batch gradient.

    Returns:
        One averaged gradient per parameter of ``model``; ``.grad`` is not touched.
    """
    # BEGIN SOLUTION q5
    params = list(model.parameters())
    per_worker = [
        list(torch.autograd.grad(loss_fn(model(xw), yw), params))
        for xw, yw in zip(X.tensor_split(n_workers), Y.tensor_split(n_workers))
    ]
    return allreduce_mean(per_worker)
    # END SOLUTION


def tp_mlp(X: Tensor, W1: Tensor, W2: Tensor, n_shards: int) -> Tensor:
    """Tensor-parallel MLP ``GELU(X W1) W2`` (lecture 12 §6.3), simulated on one device.

    Shard ``i`` holds the column block ``W1.tensor_split(n_shards, dim=1)[i]`` of ``W1``
    and the matching row block ``W2.tensor_split(n_shards, dim=0)[i]`` of ``W2``. It
    computes ``GELU(X @ W1_i) @ W2_i`` (``torch.nn.functional.gelu``, exact form) with no
    communication, because GELU acts entrywise on the columns it owns. Summing the shards'
    partial outputs in shard order is the one all-reduce at the end.

    Args:
        X: ``(b, h)``; W1: ``(h, f)``; W2: ``(f, h)``; ``1 <= n_shards <= f``.

    Returns:
        ``(b, h)``, equal to ``gelu(X @ W1) @ W2`` up to rounding.
    """
    # BEGIN SOLUTION q5
    cols = W1.tensor_split(n_shards, dim=1)
    rows = W2.tensor_split(n_shards, dim=0)
    partials = [torch.nn.functional.gelu(X @ c) @ r for c, r in zip(cols, rows)]
    return sum(partials[1:], partials[0])
    # END SOLUTION


def split_stages(layers: torch.nn.ModuleList, p: int) -> list[torch.nn.Sequential]:
    """Cut the blocks into ``p`` pipeline stages at ``segment_bounds(len(layers), p)`` (given).

    The stages share the blocks (and so the parameters) with ``layers``.
    """
    bounds = [(i * len(layers)) // p for i in range(p + 1)]
    return [torch.nn.Sequential(*layers[a:b]) for a, b in itertools.pairwise(bounds)]


def stage_forward(stage: torch.nn.Module, x: Tensor, stash: dict, j: int) -> Tensor:
    """Forward op ``("F", j)`` of one pipeline stage.

    The input arrived from the previous stage (or is micro-batch ``j`` of the data): make
    it a fresh leaf, ``x_in = x.detach().requires_grad_(True)``, so that the backward
    stops at this stage's boundary and gives the gradient to send back. Run the stage and
    keep ``stash[j] = (x_in, out)`` until the backward op of micro-batch ``j``.

    Returns:
        ``out.detach()``: what is sent to the next stage (no graph crosses a stage).
    """
    # BEGIN SOLUTION q5
    x_in = x.detach().requires_grad_(True)
    out = stage(x_in)
    stash[j] = (x_in, out)
    return out.detach()
    # END SOLUTION


def stage_backward(stash: dict, j: int, grad_out: Tensor) -> Tensor:
    """Backward op ``("B", j)`` of one pipeline stage.

    Remove ``(x_in, out)`` from ``stash`` (its activations are freed), backpropagate
    ``grad_out`` (the gradient of the loss with respect to ``out``) with
    ``out.backward(grad_out)``, which accumulates into the stage's parameters' ``.grad``.

    Returns:
        ``x_in.grad``: the gradient to send to the previous stage.
    """
    # BEGIN SOLUTION q5
    x_in, out = stash.pop(j)
    out.backward(grad_out)
    return x_in.grad
    # END SOLUTION


def loss_grad(
    out: Tensor, y: Tensor, loss_fn: Callable[[Tensor, Tensor], Tensor], weight: float
) -> Tensor:
    """The gradient of ``weight * loss_fn(out, y)`` with respect to ``out``.

    This starts the backward of a micro-batch on the last stage (``weight = n_j / N``).
    ``out`` is the detached output that the last stage's ``stage_forward`` returned.

    Returns:
        A tensor shaped like ``out``.
    """
    # BEGIN SOLUTION q5
    leaf = out.detach().requires_grad_(True)
    (g,) = torch.autograd.grad(weight * loss_fn(leaf, y), [leaf])
    return g
    # END SOLUTION


def run_schedule(
    stages: list[torch.nn.Module],
    X: Tensor,
    Y: Tensor,
    loss_fn: Callable[[Tensor, Tensor], Tensor],
    n_micro: int,
    grid: Grid,
) -> tuple[list[list[Tensor]], list[int]]:
    """Execute a pipeline schedule in one process, with explicit mailboxes.

    Micro-batches are ``X.tensor_split(n_micro)`` and ``Y.tensor_split(n_micro)``. Walk
    the grid step by step; for the op of stage ``s``:

    * ``("F", j)``: take the input (micro-batch ``j`` of ``X`` on stage 0, otherwise the
      activation of ``j`` from stage ``s``'s forward mailbox), run ``stage_forward`` with
      stage ``s``'s stash, and send the output to stage ``s + 1``'s forward mailbox (the
      last stage keeps it for the loss);
    * ``("B", j)``: take the gradient of ``j`` from stage ``s``'s backward mailbox (on the
      last stage: ``loss_grad`` of the kept output with weight ``n_j / N``), run
      ``stage_backward``, and send the result to stage ``s − 1``'s backward mailbox.

    Messages sent during a step are delivered at the end of that step, as they would be
    between processes. Record after each forward op how many micro-batches the stage's
    stash holds. All ``.grad`` of the stages' parameters are reset to ``None`` first.

    Args:
        stages: ``p`` modules; stage ``s + 1`` takes stage ``s``'s output.
        X: ``(N, d)``; Y: ``(N, ...)``; loss_fn: mean-reduced loss of the last output.
        n_micro: ``m``; grid: a valid schedule for ``p`` stages and ``m`` micro-batches.

    Returns:
        ``(grads, peaks)``: ``grads[s]`` the clones of stage ``s``'s accumulated
        parameter gradients (equal to the full model's gradient of
        ``loss_fn(model(X), Y)``); ``peaks[s]`` the largest stash size of stage ``s``
        (equal to ``peak_inflight(grid)[s]``).
    """
    # BEGIN SOLUTION q5
    p, N = len(stages), X.shape[0]
    xs, ys = X.tensor_split(n_micro), Y.tensor_split(n_micro)
    for stage in stages:
        for prm in stage.parameters():
            prm.grad = None
    stashes: list[dict] = [{} for _ in range(p)]
    fwd_box: list[dict] = [{} for _ in range(p)]  # activations waiting at stage s
    bwd_box: list[dict] = [{} for _ in range(p)]  # gradients waiting at stage s
    outputs: dict[int, Tensor] = {}  # last stage's outputs, for the loss
    peaks = [0] * p
    for row in grid:
        mail = []  # (box, stage, j, tensor), delivered after the whole step
        for s, cell in enumerate(row):
            if cell is None:
                continue
            op, j = cell
            if op == "F":
                x = xs[j] if s == 0 else fwd_box[s].pop(j)
                out = stage_forward(stages[s], x, stashes[s], j)
                peaks[s] = max(peaks[s], len(stashes[s]))
                if s == p - 1:
                    outputs[j] = out
                else:
                    mail.append((fwd_box, s + 1, j, out))
            else:
                if s == p - 1:
                    g = loss_grad(outputs.pop(j), ys[j], loss_fn, ys[j].shape[0] / N)
                else:
                    g = bwd_box[s].pop(j)
                g_in = stage_backward(stashes[s], j, g)
                if s > 0:
                    mail.append((bwd_box, s - 1, j, g_in))
        for box, dest, j, tensor in mail:
            box[dest][j] = tensor
    grads = [[prm.grad.detach().clone() for prm in stage.parameters()] for stage in stages]
    return grads, peaks
    # END SOLUTION


# ----------------------------------------------------------------------------- the real run


def pipeline_worker(
    rank: int,
    world_size: int,
    init_method: str,
    stages: list[torch.nn.Module],
    X: Tensor,
    Y: Tensor,
    loss_fn: Callable[[Tensor, Tensor], Tensor],
    n_micro: int,
    grids: list[Grid],
    out_dir: str,
    timeout_s: float,
) -> None:
    """One process of the real pipeline: stage ``rank`` (given; started by ``run_pipeline_gloo``).

    The same stage code as ``run_schedule`` (``stage_forward``, ``stage_backward``,
    ``loss_grad``), with the mailboxes replaced by messages between processes: a forward
    sends the 2-D activation (its shape first) to ``rank + 1`` with ``dist.isend``, a
    backward sends the input gradient to ``rank − 1``; receives are blocking
    ``dist.recv``. Because every op in a valid grid runs strictly after the op it receives
    from, a stage never waits for a message that has not been sent. Tags keep micro-batches
    apart. For each grid, the gradients and the peak stash size are saved to
    ``out_dir/rank{rank}.pt``.
    """
    import datetime
    import os

    import torch
    import torch.distributed as dist

    torch.set_num_threads(1)  # p processes share the machine's cores
    dist.init_process_group(
        "gloo",
        init_method=init_method,
        rank=rank,
        world_size=world_size,
        timeout=datetime.timedelta(seconds=timeout_s),
    )
    try:
        stage, last = stages[rank], rank == world_size - 1
        xs, ys, N = X.tensor_split(n_micro), Y.tensor_split(n_micro), X.shape[0]
        results = []
        for grid in grids:
            stage.zero_grad(set_to_none=True)
            stash: dict = {}
            kept: dict = {}  # outputs: the loss input on the last stage, else what was sent
            pending, peak = [], 0
            for step in grid:
                if step[rank] is None:
                    continue
                kind, j = step[rank]
                if kind == "F":
                    if rank == 0:
                        x = xs[j]
                    else:
                        shape = torch.empty(2, dtype=torch.int64)
                        dist.recv(shape, src=rank - 1, tag=3 * j)
                        x = torch.empty(*shape.tolist(), dtype=X.dtype)
                        dist.recv(x, src=rank - 1, tag=3 * j + 1)
                    kept[j] = stage_forward(stage, x, stash, j)
                    peak = max(peak, len(stash))
                    if not last:
                        header = torch.tensor(list(kept[j].shape), dtype=torch.int64)
                        pending.append((header, dist.isend(header, dst=rank + 1, tag=3 * j)))
                        pending.append((kept[j], dist.isend(kept[j], dst=rank + 1, tag=3 * j + 1)))
                else:
                    sent = kept.pop(j)
                    if last:
                        grad_out = loss_grad(sent, ys[j], loss_fn, ys[j].shape[0] / N)
                    else:
                        grad_out = torch.empty_like(sent)
                        dist.recv(grad_out, src=rank + 1, tag=3 * j + 2)
                    grad_in = stage_backward(stash, j, grad_out)
                    if rank > 0:
                        pending.append((grad_in, dist.isend(grad_in, dst=rank - 1, tag=3 * j + 2)))
            for _tensor, work in pending:  # the tensors stay alive until their send is done
                work.wait()
            grads = [prm.grad.detach().clone() for prm in stage.parameters()]
            results.append({"grads": grads, "peak": peak})
        torch.save(results, os.path.join(out_dir, f"rank{rank}.pt"))
    finally:
        dist.destroy_process_group()


def run_pipeline_gloo(
    stages: list[torch.nn.Module],
    X: Tensor,
    Y: Tensor,
    loss_fn: Callable[[Tensor, Tensor], Tensor],
    n_micro: int,
    grids: list[Grid],
    timeout_s: float = 60.0,
) -> list[tuple[list[list[Tensor]], list[int]]]:
    """Run each grid for real on ``p = len(stages)`` local CPU processes (given).

    Starts ``p <= 4`` processes with ``torch.multiprocessing`` (start method ``spawn``);
    they form a gloo process group through a file in a temporary folder
    (``file://``, so parallel runs cannot collide on a port) with an explicit timeout.

    A spawned process is a fresh Python interpreter: it finds the function to run by
    importing it by name, and a function defined in a notebook cell cannot be imported.
    So this writes the source of ``pipeline_worker``, ``stage_forward``,
    ``stage_backward`` and ``loss_grad`` (yours, when you run it in your notebook) to a
    module in the temporary folder, and the processes import that. Those functions must
    therefore not use other names from the notebook. ``stages``, ``X``, ``Y``, ``grids``
    and ``loss_fn`` are pickled to the processes (use a loss from ``torch``).

    Returns:
        For each grid, ``(grads, peaks)`` as from ``run_schedule``.
    """
    import importlib
    import inspect
    import os
    import sys
    import tempfile
    import uuid

    import torch.multiprocessing as mp

    p = len(stages)
    if not 1 <= p <= 4:
        raise ValueError(f"use 1 to 4 stages on a small machine, got {p}")
    header = "from __future__ import annotations\n\nimport torch\nfrom torch import Tensor\n\n\n"
    functions = (pipeline_worker, stage_forward, stage_backward, loss_grad)
    source = header + "\n\n".join(inspect.getsource(f) for f in functions)
    with tempfile.TemporaryDirectory() as tmp:
        name = f"_hw12_pipeline_{uuid.uuid4().hex[:12]}"
        with open(os.path.join(tmp, name + ".py"), "w", encoding="utf-8") as fh:
            fh.write(source)
        sys.path.insert(0, tmp)  # the spawned processes inherit sys.path
        try:
            module = importlib.import_module(name)
            init_method = "file://" + os.path.join(tmp, "rendezvous")
            args = (p, init_method, stages, X, Y, loss_fn, n_micro, grids, tmp, timeout_s)
            mp.start_processes(
                module.pipeline_worker, args=args, nprocs=p, join=True, start_method="spawn"
            )
            per_rank = [
                torch.load(os.path.join(tmp, f"rank{r}.pt"), weights_only=True) for r in range(p)
            ]
        finally:
            sys.path.remove(tmp)
            sys.modules.pop(name, None)
    return [
        ([per_rank[r][g]["grads"] for r in range(p)], [per_rank[r][g]["peak"] for r in range(p)])
        for g in range(len(grids))
    ]


# ----------------------------------------------------------------------------- q6


def plot_checkpoint_tradeoff(
    ks: list[int],
    peak_bytes: list[int],
    time_ratio: list[float],
    n_layers: int,
    unit_bytes: int,
) -> Figure:
    """The memory/compute trade-off of checkpointing against the number of segments k.

    Args:
        ks: the segment counts, increasing.
        peak_bytes: ``measure_peak_bytes`` for each k.
        time_ratio: step time with k segments divided by the plain step time, for each k.
        n_layers: n; unit_bytes: the bytes of one ``(batch, width)`` activation.

    Returns:
        A Figure with two axes side by side, both with x scale ``"log"``, y scale
        ``"linear"`` and axis labels.
        Left: three lines, y in KiB (bytes / 1024): ``"measured"`` (x = ks, y =
        peak_bytes / 1024), ``"model k + ceil(n/k) + 1"`` (x = ks, y =
        ``peak_saved_units(n, k) * unit_bytes / 1024``), and ``"2 sqrt(n)"`` (x =
        ``[ks[0], ks[-1]]``, y = ``2 √n · unit_bytes / 1024`` twice). Right: two lines,
        ``"checkpointed"`` (x = ks, y = time_ratio) and ``"no checkpointing"`` (x =
        ``[ks[0], ks[-1]]``, y = ``[1.0, 1.0]``).
    """
    # BEGIN SOLUTION q6
    kib = 1024.0
    model = [peak_saved_units(n_layers, k) * unit_bytes / kib for k in ks]
    guide = 2 * math.sqrt(n_layers) * unit_bytes / kib
    ends = [ks[0], ks[-1]]
    fig, (ax_mem, ax_time) = plt.subplots(1, 2, figsize=(10, 4))
    ax_mem.plot(ks, [b / kib for b in peak_bytes], "o-", label="measured")
    ax_mem.plot(ks, model, "k--", label="model k + ceil(n/k) + 1")
    ax_mem.plot(ends, [guide, guide], ":", color="gray", label="2 sqrt(n)")
    ax_mem.set_xscale("log", base=2)
    ax_mem.set_xlabel("number of segments k")
    ax_mem.set_ylabel("peak saved activations (KiB)")
    ax_mem.set_title(f"memory, n = {n_layers} blocks")
    ax_mem.legend()
    ax_time.plot(ks, time_ratio, "o-", label="checkpointed")
    ax_time.plot(ends, [1.0, 1.0], "k--", label="no checkpointing")
    ax_time.set_xscale("log", base=2)
    ax_time.set_xlabel("number of segments k")
    ax_time.set_ylabel("step time / plain step time")
    ax_time.set_title("compute: about one extra forward")
    ax_time.legend()
    fig.tight_layout()
    return fig
    # END SOLUTION


def plot_schedule(grid: Grid, title: str = "") -> Figure:
    """A pipeline schedule as a time × stage chart.

    Returns:
        A Figure with one axes and axis labels (time step on x, stage on y, stage 0 at the
        top: ``ax.invert_yaxis()``). Every cell ``(t, s)`` of the grid is one bar,
        ``ax.barh(s, 1, left=t, ...)``: blue for F, orange for B, light grey when idle.
        Each busy cell also gets a text at its centre, ``ax.text(t + 0.5, s, f"{op}{j}",
        ha="center", va="center")``; idle cells get no text.
    """
    # BEGIN SOLUTION q6
    colours = {"F": "tab:blue", "B": "tab:orange"}
    fig, ax = plt.subplots(figsize=(max(6.0, 0.35 * len(grid)), 0.6 * len(grid[0]) + 1.2))
    for t, row in enumerate(grid):
        for s, cell in enumerate(row):
            colour = "lightgrey" if cell is None else colours[cell[0]]
            ax.barh(s, 1, left=t, height=0.8, color=colour, edgecolor="white")
            if cell is not None:
                ax.text(t + 0.5, s, f"{cell[0]}{cell[1]}", ha="center", va="center", fontsize=7)
    ax.set_yticks(range(len(grid[0])))
    ax.invert_yaxis()
    ax.set_xlabel("time step")
    ax.set_ylabel("stage")
    ax.set_title(title or f"bubble fraction {bubble_fraction(grid):.3f}")
    fig.tight_layout()
    return fig
    # END SOLUTION


def plot_bubble(m_values: list[int], measured: dict[int, list[float]]) -> Figure:
    """Bubble fraction against the number of micro-batches m, for several p.

    Args:
        m_values: the m's, increasing.
        measured: ``{p: [bubble_fraction of the schedule for each m]}``.

    Returns:
        A Figure with one axes, x scale ``"log"``, y scale ``"linear"``, axis labels, and
        for each p (in increasing order) two lines: ``f"schedule, p = {p}"`` (markers;
        x = m_values, y = measured[p]) and ``f"(p-1)/(m+p-1), p = {p}"`` (x = m_values,
        y = ``(p − 1) / (m + p − 1)``).
    """
    # BEGIN SOLUTION q6
    fig, ax = plt.subplots(figsize=(5.5, 4))
    for p in sorted(measured):
        (pts,) = ax.plot(m_values, measured[p], "o", label=f"schedule, p = {p}")
        formula = [(p - 1) / (m + p - 1) for m in m_values]
        ax.plot(m_values, formula, "-", color=pts.get_color(), label=f"(p-1)/(m+p-1), p = {p}")
    ax.set_xscale("log", base=2)
    ax.set_xlabel("micro-batches m")
    ax.set_ylabel("bubble fraction (idle / total)")
    ax.set_title("the pipeline bubble shrinks as m grows")
    ax.legend(fontsize=8)
    fig.tight_layout()
    return fig
    # END SOLUTION
