"""hw12_scaling: the reference cross-checked against independent oracles.

Part A (checkpointing): saved bytes against a walk over the autograd graph's ``_saved_*``
attributes (no hooks) and the lecture's count (n + 1 activations, Appendix A's 17 for
n = 16); gradients against the plain model, ``torch.utils.checkpoint.checkpoint_sequential``
and finite differences (``gradcheck``); the recompute cost as exactly one extra forward,
counted in matmul FLOPs by a dispatch mode and in block calls; the peak-memory model
against Appendix A's measured 18, 11, 9, 11, 18 and the √n bound (Chen et al. 2016).

Part B (pipelines): GPipe's grid against its closed form; both schedules against the
lecture's theory (makespan 2(m+p−1), idle fraction (p−1)/(m+p−1), peaks m and
min(p−s, m)); gradient accumulation, data parallelism, the tensor-parallel MLP and the
single-process pipeline against ``torch.autograd`` on the whole model; and the real
multi-process gloo pipeline against the single-process model.
"""

from __future__ import annotations

import itertools
import math

import matplotlib

matplotlib.use("Agg")

import pytest
import torch
from matplotlib import pyplot as plt
from torch.utils._python_dispatch import TorchDispatchMode

from autograder.runtime import probe_helpers
from solutions import hw12_scaling as ref

F32, F64 = torch.float32, torch.float64


@pytest.fixture(autouse=True)
def _one_thread():
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


def _close(a: list[torch.Tensor], b: list[torch.Tensor], tol: float = 1e-12) -> float:
    assert len(a) == len(b)
    worst = max(float((x - y).abs().max()) for x, y in zip(a, b))
    assert worst <= tol, worst
    return worst


# =============================================================================== part A


def _graph_saved_bytes(out: torch.Tensor, exclude: list[torch.Tensor]) -> int:
    """Bytes of distinct saved tensors found by walking ``out.grad_fn`` (no hooks).

    Every autograd node exposes what it saved as ``_saved_<name>`` attributes; custom
    Functions expose ``saved_tensors``. Storages are de-duplicated and parameters skipped.
    """
    skip = {t.untyped_storage().data_ptr() for t in exclude}
    seen: dict[int, int] = {}
    stack, visited = [out.grad_fn], set()
    while stack:
        node = stack.pop()
        if node is None or node in visited:
            continue
        visited.add(node)
        values = [getattr(node, a) for a in dir(node) if a.startswith("_saved_")]
        if hasattr(node, "saved_tensors"):
            values += list(node.saved_tensors)
        for v in values:
            for t in v if isinstance(v, (tuple, list)) else [v]:
                if isinstance(t, torch.Tensor):
                    ptr = t.untyped_storage().data_ptr()
                    if ptr not in skip:
                        seen[ptr] = t.untyped_storage().nbytes()
        stack.extend(fn for fn, _ in node.next_functions)
    return sum(seen.values())


def test_mlp_follows_its_recipe():
    layers = ref.mlp(3, 5, seed=7, dtype=F64)
    g = torch.Generator().manual_seed(7)
    for block in layers:
        w = (2 * torch.rand(5, 5, generator=g, dtype=F64) - 1) / math.sqrt(5)
        b = (2 * torch.rand(5, generator=g, dtype=F64) - 1) / math.sqrt(5)
        assert torch.equal(block[0].weight, w) and torch.equal(block[0].bias, b)
        assert isinstance(block[1], torch.nn.Tanh)


@pytest.mark.parametrize("n_layers, batch, width", [(1, 2, 8), (4, 3, 16), (16, 64, 256)])
def test_saved_bytes_match_graph_walk_and_lecture_count(n_layers, batch, width):
    layers = ref.mlp(n_layers, width, seed=n_layers)
    params = list(layers.parameters())
    x = torch.randn(batch, width)
    got = ref.saved_activation_bytes(lambda z: ref.plain_forward(layers, z), x, params)
    out = ref.plain_forward(layers, x)
    assert got == _graph_saved_bytes(out, params)
    # Linear saves its input, Tanh its output, and one is the next one's input: n + 1
    assert got == (n_layers + 1) * batch * width * 4
    assert got == ref.plain_saved_bytes(n_layers, batch, width, 4)
    if n_layers == 16:  # Appendix A: 17 saved activations
        assert got // (batch * width * 4) == 17


def test_saved_bytes_properties():
    layers = ref.mlp(3, 8, seed=0)
    params = list(layers.parameters())
    x = torch.randn(4, 8)
    one = ref.saved_activation_bytes(lambda z: ref.plain_forward(layers, z), x, params)
    two = ref.saved_activation_bytes(
        lambda z: ref.plain_forward(layers, z), torch.cat([x, x]), params
    )
    assert two == 2 * one
    with torch.no_grad():
        assert ref.saved_activation_bytes(lambda z: ref.plain_forward(layers, z), x, params) == 0
    # without the exclusion the weights (saved by Linear for the input gradient) count
    x_req = x.clone().requires_grad_()
    with_w = ref.saved_activation_bytes(lambda z: ref.plain_forward(layers, z), x_req)
    assert with_w == _graph_saved_bytes(ref.plain_forward(layers, x_req), [])
    assert with_w == one + 3 * 8 * 8 * 4
    # x * x saves x twice: one storage; a view shares its base's storage
    y = torch.randn(10, requires_grad=True)
    assert ref.saved_activation_bytes(lambda z: z * z, y) == 40
    assert ref.saved_activation_bytes(lambda z: z[:5] * z[5:], y) == 40
    assert ref.saved_activation_bytes(lambda z: (z * z).exp(), y) == 80  # x, and exp's output


@pytest.mark.parametrize("x_requires_grad", [True, False])
def test_checkpointed_gradients_equal_plain_and_checkpoint_sequential(x_requires_grad):
    from torch.utils.checkpoint import checkpoint_sequential

    n, width = 7, 6
    layers = ref.mlp(n, width, seed=3, dtype=F64)
    params = list(layers.parameters())
    x = torch.randn(5, width, dtype=F64, requires_grad=x_requires_grad)
    wrt = ([x] if x_requires_grad else []) + params
    plain_out = ref.plain_forward(layers, x)
    plain = torch.autograd.grad((plain_out**2).sum(), wrt)
    seq = torch.nn.Sequential(*layers)
    for k in range(1, n + 1):
        out = ref.checkpointed_forward(layers, x, k)
        assert torch.equal(out, plain_out)
        got = torch.autograd.grad((out**2).sum(), wrt)
        _close(got, list(plain), tol=0.0)  # the same ops in the same order: bit-identical
        oracle = checkpoint_sequential(seq, k, x, use_reentrant=False)
        _close(torch.autograd.grad((oracle**2).sum(), wrt), list(got), tol=0.0)
    # .backward() accumulates the same gradients into .grad
    for prm in params:
        prm.grad = None
    (ref.checkpointed_forward(layers, x, 3) ** 2).sum().backward()
    _close([prm.grad for prm in params], list(plain[-len(params) :]), tol=0.0)


def test_segment_function_passes_gradcheck():
    layers = ref.mlp(3, 4, seed=5, dtype=F64)
    params = [p for layer in layers[0:3] for p in layer.parameters()]
    x = torch.randn(2, 4, dtype=F64, requires_grad=True)
    assert torch.autograd.gradcheck(
        lambda x, *ps: ref.SegmentFunction.apply(x, layers, 0, 3, *ps), (x, *params)
    )


def test_segment_bounds():
    assert ref.segment_bounds(16, 4) == [0, 4, 8, 12, 16]
    assert ref.segment_bounds(10, 4) == [0, 2, 5, 7, 10]
    for n in range(1, 20):
        for k in range(1, n + 1):
            b = ref.segment_bounds(n, k)
            sizes = [y - x for x, y in itertools.pairwise(b)]
            assert b[0] == 0 and b[-1] == n and len(sizes) == k
            assert set(sizes) <= {n // k, math.ceil(n / k)} and sizes[-1] == max(sizes)
    with pytest.raises(ValueError):
        ref.segment_bounds(3, 4)
    with pytest.raises(ValueError):
        ref.segment_bounds(5, 0)


@pytest.mark.parametrize("n", [5, 16])
def test_forward_keeps_k_segment_inputs(n):
    batch, width = 4, 16
    layers = ref.mlp(n, width, seed=1)
    params = list(layers.parameters())
    unit = batch * width * 4
    for x in (torch.randn(batch, width), torch.randn(batch, width, requires_grad=True)):
        for k in range(1, n + 1):
            fwd = ref.saved_activation_bytes(
                lambda z, k=k: ref.checkpointed_forward(layers, z, k), x, params
            )
            assert fwd == k * unit
            assert fwd == _graph_saved_bytes(ref.checkpointed_forward(layers, x, k), params)


class _MatmulFlops(TorchDispatchMode):
    """Counts 2·a·b·c for every mm/addmm, forward and backward alike (an independent meter)."""

    def __init__(self) -> None:
        super().__init__()
        self.flops = 0

    def __torch_dispatch__(self, func, types, args=(), kwargs=None):
        aten = torch.ops.aten
        if func is aten.mm.default:
            a, b = args[0], args[1]
            self.flops += 2 * a.shape[0] * a.shape[1] * b.shape[1]
        elif func is aten.addmm.default:
            a, b = args[1], args[2]
            self.flops += 2 * a.shape[0] * a.shape[1] * b.shape[1]
        return func(*args, **(kwargs or {}))


@pytest.mark.parametrize("x_requires_grad", [True, False])
def test_recompute_costs_exactly_one_extra_forward(x_requires_grad):
    n, batch, width = 8, 8, 32
    layers = ref.mlp(n, width, seed=2)
    x = torch.randn(batch, width, requires_grad=x_requires_grad)

    def step_flops(k: int | None) -> int:
        with _MatmulFlops() as meter:
            out = (
                ref.plain_forward(layers, x)
                if k is None
                else ref.checkpointed_forward(layers, x, k)
            )
            out.sum().backward()
        return meter.flops

    with _MatmulFlops() as meter:
        ref.plain_forward(layers, x)
    forward = meter.flops
    assert forward == 2 * batch * width * width * n
    plain = step_flops(None)
    for k in (1, 2, 3, 8):
        assert step_flops(k) - plain == forward
    # and in block calls: every block runs once more, during the backward pass
    calls = {"n": 0}
    handles = [b.register_forward_hook(lambda *a: calls.update(n=calls["n"] + 1)) for b in layers]
    out = ref.checkpointed_forward(layers, x, 3)
    assert calls["n"] == n
    out.sum().backward()
    assert calls["n"] == 2 * n
    for h in handles:
        h.remove()


def test_step_time_runs():
    layers = ref.mlp(4, 16, seed=0)
    x = torch.randn(8, 16)
    assert ref.step_time(layers, x, None, repeats=3) > 0
    assert ref.step_time(layers, x, 2, repeats=3) > 0


def test_peak_model_and_measurement_match_appendix_a():
    # Appendix A: 16 × (Linear(256) + Tanh), batch 64, float32: 18, 11, 9, 11, 18
    layers = ref.mlp(16, 256, seed=0)
    x = torch.randn(64, 256)
    unit = 64 * 256 * 4
    ks = [1, 2, 4, 8, 16]
    assert [ref.peak_saved_units(16, k) for k in ks] == [18, 11, 9, 11, 18]
    assert [ref.measure_peak_bytes(layers, x, k) // unit for k in ks] == [18, 11, 9, 11, 18]
    assert ref.best_n_segments(16) == 4


@pytest.mark.parametrize("n", [1, 2, 3, 5, 7, 9, 12])
def test_measured_peak_equals_model_for_every_k(n):
    batch, width = 3, 8
    layers = ref.mlp(n, width, seed=n)
    unit = batch * width * 4
    for x in (torch.randn(batch, width), torch.randn(batch, width, requires_grad=True)):
        for k in range(1, n + 1):
            assert ref.measure_peak_bytes(layers, x, k) == ref.peak_saved_units(n, k) * unit


def test_best_k_is_the_brute_force_argmin_and_meets_the_sqrt_bound():
    for n in range(1, 65):
        peaks = [k + math.ceil(n / k) + 1 for k in range(1, n + 1)]
        best = ref.best_n_segments(n)
        assert best == 1 + peaks.index(min(peaks))
        # k + n/k >= 2√n, so the optimum is within a constant of 2√n (Chen et al. 2016)
        assert 2 * math.sqrt(n) <= ref.peak_saved_units(n, best) <= 2 * math.sqrt(n) + 3
        # the bar: with about √n segments the peak is within 2× of the √n bound
        k_sqrt = max(1, round(math.sqrt(n)))
        assert ref.peak_saved_units(n, k_sqrt) <= 2 * (2 * math.sqrt(n))


def test_measured_bytes_with_sqrt_n_segments_within_twice_the_bound():
    n, batch, width = 25, 4, 8
    layers = ref.mlp(n, width, seed=0)
    x = torch.randn(batch, width)
    unit = batch * width * 4
    measured = ref.measure_peak_bytes(layers, x, 5)
    plain = ref.saved_activation_bytes(
        lambda z: ref.plain_forward(layers, z), x, list(layers.parameters())
    )
    assert measured <= 2 * (2 * math.sqrt(n)) * unit
    assert plain == (n + 1) * unit and measured < plain / 2


def _hook_count(layers: torch.nn.ModuleList) -> int:
    kinds = ("_forward_pre_hooks", "_forward_hooks", "_backward_pre_hooks", "_backward_hooks")
    glob = torch.nn.modules.module
    return sum(len(getattr(m, a)) for m in layers.modules() for a in kinds) + sum(
        len(getattr(glob, "_global" + a)) for a in kinds
    )


@pytest.mark.parametrize("k", [1, 2, 5])
def test_measure_peak_bytes_removes_its_hooks_and_leaves_the_gradient(k):
    # the docstring's side effects: no hook left, and .grad the gradient of sum(out)
    layers = ref.mlp(5, 4, seed=k, dtype=F64)
    x = torch.randn(3, 4, dtype=F64, requires_grad=True)
    params = list(layers.parameters())
    full = torch.autograd.grad(ref.plain_forward(layers, x).sum(), params)
    before = _hook_count(layers)
    ref.measure_peak_bytes(layers, x, k)
    assert _hook_count(layers) == before
    _close([prm.grad for prm in params], list(full))


# =============================================================================== part B


@pytest.mark.parametrize("p, m", [(4, 4), (4, 8), (2, 6), (8, 16), (3, 1), (1, 3), (5, 2)])
def test_schedules_against_lecture_theory(p, m):
    gp, ofob = ref.gpipe_schedule(p, m), ref.one_f_one_b_schedule(p, m)
    # GPipe's ASAP grid in closed form: F(s, j) at s + j, B(s, j) at (m+p−1) + (p−1−s) + j
    closed = [[None] * p for _ in range(2 * (m + p - 1))]
    for s in range(p):
        for j in range(m):
            closed[s + j][s] = ("F", j)
            closed[(m + p - 1) + (p - 1 - s) + j][s] = ("B", j)
    assert gp == closed
    for grid in (gp, ofob):
        assert ref.validate_schedule(grid, p, m)
        assert len(grid) == 2 * (m + p - 1)
        assert ref.bubble_fraction(grid) == pytest.approx((p - 1) / (m + p - 1), abs=1e-15)
    assert ref.peak_inflight(gp) == [m] * p
    assert ref.peak_inflight(ofob) == [min(p - s, m) for s in range(p)]
    # 1F1B's steady state: after warm-up, a stage never runs two forwards in a row while
    # a backward of its own could run, i.e. its ops alternate F, B until the forwards end
    for s in range(p):
        ops = [row[s][0] for row in ofob if row[s] is not None]
        warm = min(p - 1 - s, m)
        steady = ops[warm : warm + 2 * (m - warm)]
        assert steady == ["F", "B"] * (m - warm)


def test_peak_inflight_of_a_schedules_first_steps():
    # by brute force: a stage's most F's minus B's over the prefixes of the given steps
    p, m = 4, 3
    for grid in (ref.gpipe_schedule(p, m), ref.one_f_one_b_schedule(p, m)):
        for steps in range(1, len(grid) + 1):
            signs = [[0 if c is None else 1 if c[0] == "F" else -1 for c in row] for row in grid]
            held = [max(sum(r[s] for r in signs[:u]) for u in range(steps + 1)) for s in range(p)]
            assert ref.peak_inflight(grid[:steps]) == held
    assert ref.peak_inflight([[("F", 0), None, None]]) == [1, 0, 0]


def test_bubble_limits():
    for p in (2, 4, 8):
        assert ref.bubble_fraction(ref.gpipe_schedule(p, 1)) == pytest.approx((p - 1) / p)
        fr = [ref.bubble_fraction(ref.gpipe_schedule(p, m)) for m in (1, 2, 4, 8, 16, 64)]
        assert all(a > b for a, b in itertools.pairwise(fr)) and fr[-1] < 0.1


def test_validate_schedule_rejects_corrupted_grids():
    p, m = 3, 4
    good = ref.one_f_one_b_schedule(p, m)
    assert ref.validate_schedule(good, p, m)
    # idle rows anywhere, or everything delayed, keep a schedule valid
    assert ref.validate_schedule([[None] * p, *good, [None] * p], p, m)
    # lists instead of tuples (as after JSON) are fine
    assert ref.validate_schedule([[list(c) if c else None for c in row] for row in good], p, m)

    def edit(fn):
        grid = [list(row) for row in good]
        fn(grid)
        return grid

    def swap(t1, t2, s):
        def f(g):
            g[t1][s], g[t2][s] = g[t2][s], g[t1][s]

        return f

    where = {(c[0], s, c[1]): t for t, row in enumerate(good) for s, c in enumerate(row) if c}
    # F(1, 0) moved before F(0, 0): a broken forward dependency
    bad_f = edit(swap(where[("F", 1, 0)], where[("F", 0, 0)], 1))
    assert ref.validate_schedule(bad_f, p, m) is False
    # B(0, 0) in the same step as B(1, 0): not strictly after
    t_b = where[("B", 1, 0)]

    def same_step(g):
        g[where[("B", 0, 0)]][0] = None
        assert g[t_b][0] is None
        g[t_b][0] = ("B", 0)

    assert ref.validate_schedule(edit(same_step), p, m) is False

    def duplicate(g):
        g.append([("F", 0), None, None])

    def missing(g):
        g[where[("B", 0, m - 1)]][0] = None

    def out_of_range(g):
        g.append([None, None, ("F", m)])

    def bad_op(g):
        g.append([("X", 0), None, None])

    def short_row(g):
        g[0] = g[0][:2]

    def triple(g):
        g[where[("B", 0, m - 1)]][0] = ("B", m - 1, 0)

    def float_index(g):
        g[where[("B", 0, m - 1)]][0] = ("B", float(m - 1))

    def negative_index(g):
        g[where[("B", 0, 0)]][0] = ("B", -1)

    def b_before_own_f(g):  # on the last stage, so that no other dependency breaks
        g.insert(where[("F", p - 1, 0)], [None] * (p - 1) + [("B", 0)])
        g[where[("B", p - 1, 0)] + 1][p - 1] = None

    corruptions = (duplicate, missing, out_of_range, bad_op, short_row, triple, float_index)
    for corrupt in (*corruptions, negative_index, b_before_own_f):
        assert ref.validate_schedule(edit(corrupt), p, m) is False, corrupt.__name__
    assert ref.validate_schedule(good, p, m + 1) is False
    assert ref.validate_schedule(good, p + 1, m) is False


def test_asap_schedule_detects_deadlock():
    with pytest.raises(ValueError):
        ref.asap_schedule([[("B", 0), ("F", 0)], [("F", 0), ("B", 0)]])


def _regression(n: int, d: int, seed: int) -> tuple[torch.Tensor, torch.Tensor]:
    g = torch.Generator().manual_seed(seed)
    return torch.randn(n, d, generator=g, dtype=F64), torch.randn(n, d, generator=g, dtype=F64)


@pytest.mark.parametrize("n_micro", [1, 3, 4, 10])
def test_accumulated_grad_equals_full_batch(n_micro):
    layers = ref.mlp(3, 5, seed=4, dtype=F64)
    model = torch.nn.Sequential(*layers)
    X, Y = _regression(10, 5, 0)
    loss = torch.nn.functional.mse_loss
    full = torch.autograd.grad(loss(model(X), Y), list(model.parameters()))
    _close(ref.accumulated_grad(model, loss, X, Y, n_micro), list(full))
    # the same with a classification loss
    labels = torch.arange(10) % 5
    ce = torch.nn.functional.cross_entropy
    full = torch.autograd.grad(ce(model(X), labels), list(model.parameters()))
    _close(ref.accumulated_grad(model, ce, X, labels, n_micro), list(full))


def test_data_parallel_equals_full_batch_with_equal_shards():
    layers = ref.mlp(2, 4, seed=6, dtype=F64)
    model = torch.nn.Sequential(*layers)
    X, Y = _regression(12, 4, 1)
    loss = torch.nn.functional.mse_loss
    full = list(torch.autograd.grad(loss(model(X), Y), list(model.parameters())))
    for w in (1, 2, 3, 4, 6, 12):
        _close(ref.data_parallel_grad(model, loss, X, Y, w), full)
    # unequal shards (12 = 5 + 4 + 3... here 5 workers): the plain average is not the
    # full-batch gradient, but the n_w/N-weighted one would be
    shards = list(zip(X.tensor_split(5), Y.tensor_split(5)))
    per = [torch.autograd.grad(loss(model(x), y), list(model.parameters())) for x, y in shards]
    weighted = [sum(len(x) / 12 * g[i] for (x, _), g in zip(shards, per)) for i in range(4)]
    _close(weighted, full)
    plain_avg = ref.data_parallel_grad(model, loss, X, Y, 5)
    assert max(float((a - b).abs().max()) for a, b in zip(plain_avg, full)) > 1e-6
    _close(ref.allreduce_mean([list(g) for g in per]), plain_avg)


def test_allreduce_mean_small():
    a = [torch.tensor([1.0, 2.0]), torch.tensor(3.0)]
    b = [torch.tensor([3.0, 6.0]), torch.tensor(-1.0)]
    out = ref.allreduce_mean([a, b])
    assert torch.equal(out[0], torch.tensor([2.0, 4.0])) and torch.equal(out[1], torch.tensor(1.0))
    assert torch.equal(a[0], torch.tensor([1.0, 2.0]))  # inputs untouched


@pytest.mark.parametrize("n_shards", [1, 2, 3, 7])
def test_tp_mlp_equals_unsharded(n_shards):
    g = torch.Generator().manual_seed(n_shards)
    X = torch.randn(4, 5, generator=g, dtype=F64)
    W1 = torch.randn(5, 7, generator=g, dtype=F64)
    W2 = torch.randn(7, 5, generator=g, dtype=F64)
    expected = torch.nn.functional.gelu(X @ W1) @ W2
    assert torch.allclose(ref.tp_mlp(X, W1, W2, n_shards), expected, rtol=1e-12, atol=1e-12)


def test_stage_ops_compose_to_the_model_gradient():
    layers = ref.mlp(4, 3, seed=8, dtype=F64)
    stages = ref.split_stages(layers, 2)
    X, Y = _regression(6, 3, 2)
    loss = torch.nn.functional.mse_loss
    params = list(layers.parameters())
    full = torch.autograd.grad(loss(ref.plain_forward(layers, X), Y), [*params])
    for prm in params:
        prm.grad = None
    s0, s1 = {}, {}
    h = ref.stage_forward(stages[0], X, s0, 0)
    out = ref.stage_forward(stages[1], h, s1, 0)
    assert not h.requires_grad and torch.equal(out, ref.plain_forward(layers, X).detach())
    g = ref.loss_grad(out, Y, loss, 1.0)
    assert torch.allclose(g, 2 * (out - Y) / Y.numel(), rtol=1e-14)
    g1 = ref.stage_backward(s1, 0, g)
    ref.stage_backward(s0, 0, g1)
    assert s0 == {} and s1 == {}
    _close([prm.grad for prm in params], list(full))


def test_loss_grad_of_cross_entropy_is_softmax_minus_one_hot():
    # d/d out of w * CE(out, y) (mean over N rows) = w (softmax(out) - onehot(y)) / N
    g = torch.Generator().manual_seed(3)
    out = torch.randn(4, 3, generator=g, dtype=F64)
    y = torch.tensor([2, 0, 1, 2])
    ce = torch.nn.functional.cross_entropy
    onehot = torch.nn.functional.one_hot(y, 3).to(F64)
    expected = 0.5 * (torch.softmax(out, dim=1) - onehot) / 4
    assert torch.allclose(ref.loss_grad(out, y, ce, 0.5), expected, rtol=1e-12, atol=1e-15)


def test_stale_grads_are_reset_before_accumulating():
    # accumulated_grad and run_schedule start from .grad = None, whatever was there
    layers = ref.mlp(4, 3, seed=9, dtype=F64)
    X, Y = _regression(7, 3, 4)
    loss = torch.nn.functional.mse_loss
    params = list(layers.parameters())
    full = list(torch.autograd.grad(loss(ref.plain_forward(layers, X), Y), params))
    for prm in params:
        prm.grad = torch.ones_like(prm)
    _close(ref.accumulated_grad(torch.nn.Sequential(*layers), loss, X, Y, 3), full)
    stages = ref.split_stages(layers, 2)
    for prm in params:
        prm.grad = torch.ones_like(prm)
    grads, _ = ref.run_schedule(stages, X, Y, loss, 3, ref.gpipe_schedule(2, 3))
    _close([g for st in grads for g in st], full)


@pytest.mark.parametrize(
    "p, n_layers, N, m", [(1, 3, 5, 2), (2, 4, 7, 3), (3, 5, 9, 4), (4, 8, 10, 8)]
)
def test_run_schedule_matches_full_model(p, n_layers, N, m):
    layers = ref.mlp(n_layers, 4, seed=p, dtype=F64)
    X, Y = _regression(N, 4, p)
    loss = torch.nn.functional.mse_loss
    params = list(layers.parameters())
    full = torch.autograd.grad(loss(ref.plain_forward(layers, X), Y), params)
    stages = ref.split_stages(layers, p)
    for grid in (ref.gpipe_schedule(p, m), ref.one_f_one_b_schedule(p, m)):
        grads, peaks = ref.run_schedule(stages, X, Y, loss, m, grid)
        _close([g for st in grads for g in st], list(full))
        assert peaks == ref.peak_inflight(grid)
        # a valid but slower grid (idle rows inserted) gives the same gradients
        padded = [r for row in grid for r in ([row, [None] * p])]
        grads2, _ = ref.run_schedule(stages, X, Y, loss, m, padded)
        _close([g for st in grads2 for g in st], [g for st in grads for g in st], tol=0.0)


@pytest.mark.slow
def test_gloo_pipeline_matches_single_process_model():
    """The real thing: p processes, gloo, send/recv; p = 2 and 4, GPipe and 1F1B."""
    layers = ref.mlp(8, 6, seed=0, dtype=F64)
    X, Y = _regression(10, 6, 3)
    loss = torch.nn.functional.mse_loss
    full = torch.autograd.grad(loss(ref.plain_forward(layers, X), Y), list(layers.parameters()))
    for p, m in ((2, 3), (4, 4)):
        stages = ref.split_stages(layers, p)
        grids = [ref.gpipe_schedule(p, m), ref.one_f_one_b_schedule(p, m)]
        results = ref.run_pipeline_gloo(stages, X, Y, loss, m, grids, timeout_s=60)
        for grid, (grads, peaks) in zip(grids, results):
            _close([g for st in grads for g in st], list(full))
            assert peaks == ref.peak_inflight(grid)


# =============================================================================== figures


def test_plot_bubble_data():
    ms = [1, 2, 4, 8]
    measured = {p: [ref.bubble_fraction(ref.gpipe_schedule(p, m)) for m in ms] for p in (4, 2)}
    fig = ref.plot_bubble(ms, measured)
    data = probe_helpers.figure_data(fig)
    plt.close(fig)
    assert data["n_axes"] == 1 and data["axes"][0]["xscale"] == "log"
    lines = {ln["label"]: ln for ln in data["axes"][0]["lines"]}
    assert len(lines) == 4
    for p in (2, 4):
        formula = lines[f"(p-1)/(m+p-1), p = {p}"]
        assert formula["x"] == ms
        assert formula["y"] == pytest.approx([(p - 1) / (m + p - 1) for m in ms], abs=1e-15)
        assert lines[f"schedule, p = {p}"]["y"] == pytest.approx(formula["y"], abs=1e-15)


def test_plot_schedule_cells_and_texts():
    p, m = 3, 4
    grid = ref.one_f_one_b_schedule(p, m)
    fig = ref.plot_schedule(grid)
    ax = fig.axes[0]
    texts = sorted(
        (round(t.get_position()[0], 6), t.get_position()[1], t.get_text()) for t in ax.texts
    )
    expected = sorted(
        (t + 0.5, s, f"{c[0]}{c[1]}") for t, row in enumerate(grid) for s, c in enumerate(row) if c
    )
    assert texts == expected and len(texts) == 2 * p * m
    assert len(ax.patches) == p * len(grid)
    # one bar per cell: ax.barh(s, 1, left=t) spans [t, t + 1] and is centred on s
    bars = sorted((b.get_x(), b.get_width(), b.get_y() + b.get_height() / 2) for b in ax.patches)
    cells = sorted((t, 1, s) for t, row in enumerate(grid) for s in range(len(row)))
    assert len(bars) == len(cells)
    assert all(b == pytest.approx(c, abs=1e-12) for b, c in zip(bars, cells))
    assert ax.yaxis_inverted() and ax.get_xlabel() and ax.get_ylabel()
    plt.close(fig)


def test_plot_checkpoint_tradeoff_data():
    ks, n, unit = [1, 2, 4, 8, 16], 16, 1024
    peak = [ref.peak_saved_units(n, k) * unit for k in ks]
    fig = ref.plot_checkpoint_tradeoff(ks, peak, [1.3, 1.3, 1.2, 1.25, 1.4], n, unit)
    data = probe_helpers.figure_data(fig)
    plt.close(fig)
    assert data["n_axes"] == 2
    mem = {ln["label"]: ln for ln in data["axes"][0]["lines"]}
    assert mem["measured"]["y"] == [18.0, 11.0, 9.0, 11.0, 18.0]
    assert mem["model k + ceil(n/k) + 1"]["y"] == mem["measured"]["y"]
    assert mem["2 sqrt(n)"]["y"] == [8.0, 8.0] and mem["2 sqrt(n)"]["x"] == [1.0, 16.0]
    time_lines = {ln["label"]: ln for ln in data["axes"][1]["lines"]}
    assert time_lines["no checkpointing"]["y"] == [1.0, 1.0]
    assert time_lines["checkpointed"]["y"] == [1.3, 1.3, 1.2, 1.25, 1.4]


# ------------------------------------------------------- planted bugs and provided cells
