# %% [markdown]
# # Homework 12: Scaling: activation checkpointing and a toy pipeline
#
# Lecture 12 of *Optimization in PyTorch* (notes: `section/12/notes.md`: §3 "The Memory
# Bottleneck", §4 "Activation Recomputation", §5 the communication primitives, §6.1 data
# parallelism, §6.3 tensor parallelism, §6.6 "Pipeline Parallelism & Scheduling"; and the
# cheatsheet).
#
# A large model runs out of two resources: **memory** on one device and **time** on one
# device. This homework has two parts.
#
# * **Part A: trading compute for memory.** You measure the activations that autograd
#   keeps for the backward pass (q1, 15 pts), write activation checkpointing by hand
#   (q2, 20 pts), and find the best number of segments (q3, 10 pts).
# * **Part B: a toy pipeline.** You write the GPipe and 1F1B schedules as data and
#   compute their bubble (q4, 20 pts), check that micro-batching, data parallelism and
#   tensor parallelism give the same numbers as one big computation, and execute a
#   pipeline schedule (q5, 25 pts). Then the same stage code runs on several real
#   processes that talk through `torch.distributed`.
# * q6 (10 pts): the figures.
#
# **Rules.** `torch.utils.checkpoint.checkpoint` and
# `torch.utils.checkpoint.checkpoint_sequential` are **refused** while q2 and q3 are
# graded: you write what they do. Keep every function's name and signature. The byte
# counts of part A are in float32 (the point is memory); every other graded number is
# float64.

# %%
import itertools
import math
import time
from collections.abc import Callable, Iterable  # noqa: F401  (type hints of the included code)

import matplotlib.pyplot as plt
import torch
from autograde_check import check, check_all
from matplotlib.figure import Figure  # noqa: F401
from torch import Tensor  # noqa: F401

# %% [markdown]
# # Part A: activation checkpointing
#
# ## The memory bottleneck (§3)
#
# Training keeps, besides the parameters, gradients and optimiser state, the
# **activations** that the backward pass needs. Their size grows with the number of
# layers $L$, the batch size $b$, the sequence length $s$ and the width $h$:
# $$\text{activation memory} \;\propto\; L \cdot b \cdot s \cdot h,$$
# while the parameter memory does not depend on $b$ or $s$. At large batch or sequence
# length the activations dominate.
#
# Our model is a stack of $n$ blocks $h_{i+1} = \tanh(W_i h_i + c_i)$ (given below). Each
# `layers[i]` is one block.

# %%
#| include: mlp, plain_forward

# %% [markdown]
# ## q1 (15 pts): Counting what autograd saves
#
# Every op that needs a value in its backward pass **saves** it (in the graph node).
# `torch.autograd.graph.saved_tensors_hooks(pack, unpack)` lets us watch this: inside the
# context, every tensor that is saved passes through `pack(t)` (and whatever `pack`
# returns is what is stored; we return `t` unchanged). Write
#
# * `saved_activation_bytes(fn, x, exclude)`: the bytes of the distinct tensors saved
#   while `fn(x)` runs. Two saved tensors that share memory are counted once (identify a
#   tensor by `t.untyped_storage().data_ptr()`), and the parameters are excluded: a
#   `Linear` layer saves its weight too, but the weight exists anyway.
# * `plain_saved_bytes(n_layers, batch, width, element_size)`: the same number predicted
#   by reasoning about what `Linear` and `tanh` need for their backward passes.

# %%
#| include: saved_activation_bytes, plain_saved_bytes

# %%
check("q1")

# %% [markdown]
# The lecture's observation, measured: activations scale with the batch, parameters do
# not.

# %%
n_layers, width = 16, 256
layers = mlp(n_layers, width, seed=0)
params = list(layers.parameters())
param_bytes = sum(p.numel() * p.element_size() for p in params)
for batch in (16, 64, 256):
    x = torch.randn(batch, width)
    saved = saved_activation_bytes(lambda z: plain_forward(layers, z), x, params)
    print(
        f"batch {batch:3d}: saved activations {saved / 2**20:6.2f} MiB "
        f"= {saved // (batch * width * 4)} × (batch, width) "
        f"(predicted {plain_saved_bytes(n_layers, batch, width, 4) / 2**20:.2f} MiB); "
        f"parameters {param_bytes / 2**20:.2f} MiB"
    )
with torch.no_grad():
    print("under no_grad:", saved_activation_bytes(lambda z: plain_forward(layers, z), x, params))

# %% [markdown]
# ## q2 (20 pts): Checkpointing by hand (§4)
#
# *Points: `segment_bounds` counts 8 of the 20 (a boundary off by one checkpoints the
# wrong activations); the three tests of `checkpointed_forward` get 4 each.*
#
# **Activation recomputation** keeps only the inputs of $k$ *segments* of the stack. The
# forward pass runs each segment without building a graph; the backward pass, on reaching
# a segment, runs it again *with* a graph from its stored input and backpropagates through
# that. Memory drops from $n + 1$ activations to about $k$ (plus one segment while it is
# recomputed), and the price is about **one extra forward pass**.
#
# You write this as a `torch.autograd.Function`: its `forward` and `backward` are
# static methods that autograd calls, and `ctx` carries what `forward` leaves for
# `backward`. Segment $i$ is `layers[b_i:b_{i+1}]` with $b_i = \lfloor i n / k\rfloor$
# (`segment_bounds`). Read the docstrings: the parameters of a segment are passed to
# `apply` as extra inputs, so that its `backward` runs (and returns their gradients) even
# when the input does not require grad. Gradients must be **equal** to the plain model's:
# the recompute does exactly the same operations.

# %%
#| include: segment_bounds, SegmentFunction, checkpointed_forward

# %%
check("q2")

# %%
layers64 = mlp(7, 6, seed=1, dtype=torch.float64)
x64 = torch.randn(5, 6, dtype=torch.float64, requires_grad=True)
wrt = [x64, *layers64.parameters()]
plain_grads = torch.autograd.grad(plain_forward(layers64, x64).pow(2).sum(), wrt)
for k in (1, 2, 3, 7):
    grads = torch.autograd.grad(checkpointed_forward(layers64, x64, k).pow(2).sum(), wrt)
    diff = max(float((a - b).abs().max()) for a, b in zip(grads, plain_grads))
    print(f"k = {k}: largest gradient difference to the plain model {diff:.1e}")

x = torch.randn(64, width)
unit = x.numel() * x.element_size()  # bytes of one (batch, width) float32 activation
for k in (1, 4, 16):
    fwd = saved_activation_bytes(lambda z, k=k: checkpointed_forward(layers, z, k), x, params)
    print(f"k = {k:2d}: the forward pass keeps {fwd // unit} (batch, width) segment inputs")

# %% [markdown]
# ## q3 (10 pts): The trade-off
#
# With $n$ blocks and $k$ segments, the forward pass keeps $k$ segment inputs. The
# backward pass recomputes the segments from the last to the first; while it recomputes
# one of $L$ blocks, that segment saves its input and $L$ tanh outputs, and all $k$
# stored inputs are still alive during the first recompute (of the last, longest
# segment). The peak is therefore
# $$\text{peak}(k) = k + \lceil n/k \rceil + 1 \quad\text{activations},$$
# which is smallest near $k \approx \sqrt n$, where it is about $2\sqrt n$ instead of
# $n + 1$ (this $\sqrt n$ rule is from Chen et al., 2016, *Training Deep Nets with
# Sublinear Memory Cost*). Write the model, its best $k$, and a measurement of it with
# hooks.

# %%
#| include: peak_saved_units, best_n_segments, measure_peak_bytes

# %%
check("q3")

# %% [markdown]
# Measure the trade-off for $n = 16$: memory with hooks, and compute with a clock
# (`step_time`, given, times one forward + backward; timings are noisy, so look at the
# ratio).

# %%
#| include: step_time

# %%
ks = [1, 2, 4, 8, 16]
peak_bytes = [measure_peak_bytes(layers, x, k) for k in ks]
plain_time = step_time(layers, x, None)
time_ratio = [step_time(layers, x, k) / plain_time for k in ks]
print(f"plain: {n_layers + 1} activations; best k = {best_n_segments(n_layers)}")
for k, b, r in zip(ks, peak_bytes, time_ratio):
    print(
        f"k = {k:2d}: peak {b // unit:2d} activations "
        f"(model {peak_saved_units(n_layers, k)}), step time ×{r:.2f}"
    )

# %% [markdown]
# Observe: the peak is smallest at $k = 4 = \sqrt{16}$ (9 activations instead of 17).
# The extra *work* does not depend on $k$: each block is recomputed exactly once, so it
# is one forward pass. In floating-point operations a forward is a third of a training
# step (the backward of a matmul costs two matmuls), so the step costs 4/3 as much. The
# measured ratio is usually higher on a CPU with layers this small, because every op
# also pays a fixed overhead, and more segments add more Python calls; timings on a
# shared machine are noisy, so rerun the cell before reading much into one value.

# %% [markdown]
# # Part B: a toy pipeline
#
# ## q4 (20 pts): Pipeline schedules as data (§6.6)
#
# *Points: `one_f_one_b_schedule` and `bubble_fraction` count 5 each; `gpipe_schedule`,
# `asap_schedule`, `validate_schedule` and `peak_inflight` 2.5 each.*
#
# Cut the model into $p$ **stages**, one per device, and the batch into $m$
# **micro-batches**. Stage $s$ runs forward op $F_j$ (micro-batch $j$) after stage $s-1$
# has, and backward op $B_j$ after stage $s+1$ has. With unit-time ops a schedule is a
# grid: `grid[t][s]` is `("F", j)`, `("B", j)` or `None` (idle).
#
# * **GPipe** ("all forward, all backward"): every stage runs $F_0, \dots, F_{m-1}$,
#   then $B_0, \dots, B_{m-1}$.
# * **1F1B**: stage $s$ runs $p-1-s$ warm-up forwards, then alternates one forward and
#   one backward, then drains the remaining backwards. It frees activations early.
#
# Both are placed *as soon as possible* (`asap_schedule`). The idle cells form the
# **bubble**. With unit-time $F$ and $B$ both schedules take $2(m+p-1)$ steps, so the
# idle fraction is
# $$\text{bubble} = \frac{2p(m+p-1) - 2pm}{2p(m+p-1)} = \frac{p-1}{m+p-1}.$$
# (The notes' "bubble ≈ (p−1)/m" is the ratio of idle time to *useful* time; the two
# agree when $m \gg p$.) What differs is memory: a GPipe stage holds all $m$
# micro-batches' activations at once, a 1F1B stage at most $\min(p-s, m)$.

# %%
#| include: Grid, asap_schedule, gpipe_schedule, one_f_one_b_schedule, validate_schedule, bubble_fraction, peak_inflight

# %%
check("q4")

# %%
for name, schedule in (("GPipe", gpipe_schedule), ("1F1B", one_f_one_b_schedule)):
    grid = schedule(4, 8)
    print(
        f"{name}: p = 4, m = 8: {len(grid)} steps, valid {validate_schedule(grid, 4, 8)}, "
        f"bubble {bubble_fraction(grid):.4f} (formula {3 / 11:.4f}), "
        f"peak in flight per stage {peak_inflight(grid)}"
    )

# %% [markdown]
# ## q5 (25 pts): The same gradient, computed in pieces
#
# *Points: `accumulated_grad`, and `data_parallel_grad` with `allreduce_mean`, count 6.25
# each; `tp_mlp`, the stage functions, and `run_schedule` on GPipe and on 1F1B 3.125
# each.*
#
# All of §6's parallelism rests on one fact: the gradient of a mean loss over a batch is
# the $n_j/N$-weighted sum of the micro-batches' gradients,
# $$\nabla \frac1N \sum_{i=1}^N \ell_i = \sum_j \frac{n_j}{N}\, \nabla \frac{1}{n_j}\sum_{i \in B_j} \ell_i .$$
#
# * **(a) gradient accumulation** (§6.1): `accumulated_grad` lets `.grad` add up the
#   weighted micro-batch gradients.
# * **(b) data parallelism** (§6.1): each of $W$ workers computes the gradient on its
#   shard, and an **all-reduce** averages them (`allreduce_mean`); with equal shards this
#   is the full-batch gradient.
# * **(c) tensor parallelism** (§6.3): the MLP $\mathrm{GELU}(XW_1)W_2$ with $W_1$ split
#   by columns and $W_2$ by rows: each shard computes $\mathrm{GELU}(XW_1^{(i)})W_2^{(i)}$
#   alone, and one all-reduce (a sum) at the end gives the output.
#
# `full_batch_grad` is given, as the reference to compare with.

# %%
#| include: full_batch_grad, accumulated_grad, allreduce_mean, data_parallel_grad, tp_mlp

# %% [markdown]
# * **(d) a pipeline executor.** A stage's forward op keeps its input and output until
#   the backward op of the same micro-batch (`stage_forward`, `stage_backward`); the
#   input is made a fresh leaf so that the stage's backward produces the gradient to send
#   back. The last stage starts a micro-batch's backward from its loss (`loss_grad`, with
#   the weight $n_j/N$). `run_schedule` walks a grid and moves activations forward and
#   gradients backward through **mailboxes**, exactly the messages that separate
#   processes would send. `split_stages` (given) cuts the blocks into stages.

# %%
#| include: split_stages, stage_forward, stage_backward, loss_grad, run_schedule

# %%
check("q5")

# %%
loss_fn = torch.nn.functional.mse_loss
blocks = mlp(8, 16, seed=2, dtype=torch.float64)
gen = torch.Generator().manual_seed(0)
X = torch.randn(32, 16, generator=gen, dtype=torch.float64)
Y = torch.randn(32, 16, generator=gen, dtype=torch.float64)
model = torch.nn.Sequential(*blocks)
full = full_batch_grad(model, loss_fn, X, Y)


def max_diff(grads: list[Tensor]) -> float:
    return max(float((a - b).abs().max()) for a, b in zip(grads, full))


print(
    f"(a) accumulated over 5 micro-batches: {max_diff(accumulated_grad(model, loss_fn, X, Y, 5)):.1e}"
)
print(
    f"(b) data parallel, 4 workers:         {max_diff(data_parallel_grad(model, loss_fn, X, Y, 4)):.1e}"
)
W1, W2 = torch.randn(16, 64, dtype=torch.float64), torch.randn(64, 16, dtype=torch.float64)
tp = tp_mlp(X, W1, W2, 4) - torch.nn.functional.gelu(X @ W1) @ W2
print(f"(c) tensor parallel MLP, 4 shards:    {float(tp.abs().max()):.1e}")
stages = split_stages(blocks, 4)
for name, schedule in (("GPipe", gpipe_schedule), ("1F1B", one_f_one_b_schedule)):
    grads, peaks = run_schedule(stages, X, Y, loss_fn, 8, schedule(4, 8))
    flat = [g for stage_grads in grads for g in stage_grads]
    print(
        f"(d) {name} executor, p = 4, m = 8:   {max_diff(flat):.1e}, stored micro-batches {peaks}"
    )

# %% [markdown]
# ## Running it for real
#
# Now the same stage code runs on $p$ separate processes, one per stage, as on $p$
# devices. They form a **process group** with `torch.distributed` (backend `gloo`, which
# works on CPUs) and replace the mailboxes by point-to-point messages: a forward sends
# its activation to the next stage with `dist.isend`, a backward sends the input
# gradient to the previous stage, and `dist.recv` waits for a message. Each process
# follows its column of the grid. Read `pipeline_worker` (given): because every op of a
# valid grid runs strictly after the op it receives from, no process waits for a message
# that is never sent.
#
# `run_pipeline_gloo` starts the processes. A *spawned* process is a fresh Python
# interpreter that finds its function by importing it, and a function defined in a
# notebook cannot be imported; so it writes the source of `pipeline_worker` and your
# `stage_forward`, `stage_backward` and `loss_grad` to a temporary module first (they
# must therefore not use other names from this notebook). Starting the processes takes
# a few seconds: each one imports `torch`.

# %%
#| include: pipeline_worker, run_pipeline_gloo

# %%
grids = [gpipe_schedule(4, 8), one_f_one_b_schedule(4, 8)]
started = time.perf_counter()
real = run_pipeline_gloo(stages, X, Y, loss_fn, 8, grids)
print(f"4 processes, GPipe and 1F1B, in {time.perf_counter() - started:.1f} s (mostly start-up)")
for name, (grads, peaks) in zip(("GPipe", "1F1B"), real):
    flat = [g for stage_grads in grads for g in stage_grads]
    print(
        f"{name} over gloo: gradient difference to the single-process model {max_diff(flat):.1e}, peaks {peaks}"
    )

# %% [markdown]
# ## q6 (10 pts): The figures
#
# * `plot_checkpoint_tradeoff`: peak saved bytes against $k$ (measured, the model, and the
#   $2\sqrt n$ guide), and the step time relative to the plain model (the quantitative
#   form of the notes' `figures/activation_recomputation.png`);
# * `plot_schedule`: a schedule as a time × stage chart (compare with the notes'
#   `figures/pp_afab2.svg` and `figures/pp_1f1b.svg`);
# * `plot_bubble`: the bubble fraction against $m$ for several $p$, measured on the
#   schedules and from $(p-1)/(m+p-1)$.

# %%
#| include: plot_checkpoint_tradeoff, plot_schedule, plot_bubble

# %%
check("q6")

# %%
fig = plot_checkpoint_tradeoff(ks, peak_bytes, time_ratio, n_layers, unit)
plt.show()

# %%
fig = plot_schedule(gpipe_schedule(4, 8), "GPipe, p = 4, m = 8")
plt.show()
fig = plot_schedule(one_f_one_b_schedule(4, 8), "1F1B, p = 4, m = 8")
plt.show()

# %%
m_values = [1, 2, 4, 8, 16, 32, 64]
measured = {p: [bubble_fraction(one_f_one_b_schedule(p, m)) for m in m_values] for p in (2, 4, 8)}
fig = plot_bubble(m_values, measured)
plt.show()

# %% [markdown]
# Observe: the two schedule charts have the same length and the same grey area (the
# bubble), but GPipe's stages hold all 8 micro-batches before the first backward while
# 1F1B's first stage holds at most 4. The bubble falls like $(p-1)/(m+p-1)$: to keep it
# under 10 % with $p = 8$ stages you need $m \ge 63$ micro-batches.

# %%
check_all()
