"""q5: gradient accumulation, data and tensor parallelism, and the pipeline executor.

Everything is float64 and compared with the reference at T1; the reference equals the
full-batch ``torch.autograd`` gradient (checked in the project's oracle tests).
"""

import pytest
import torch

from autograder.testing import T1, probe


@probe
def accumulate(ns, sizes, N, n_micro, loss_name, seed, stale):
    torch.set_num_threads(1)
    g = torch.Generator().manual_seed(seed)
    F64 = torch.float64
    layers = []
    for i in range(len(sizes) - 1):
        a, b = sizes[i], sizes[i + 1]
        lin = torch.nn.Linear(a, b, dtype=F64)
        with torch.no_grad():
            lin.weight.copy_(torch.rand(b, a, generator=g, dtype=F64) - 0.5)
            lin.bias.copy_(torch.rand(b, generator=g, dtype=F64) - 0.5)
        layers += [lin, torch.nn.Tanh()]
    model = torch.nn.Sequential(*layers[:-1])
    X = torch.randn(N, sizes[0], generator=g, dtype=F64)
    if loss_name == "mse":
        loss_fn = torch.nn.functional.mse_loss
        Y = torch.randn(N, sizes[-1], generator=g, dtype=F64)
    else:
        loss_fn = torch.nn.functional.cross_entropy
        Y = torch.randint(0, sizes[-1], (N,), generator=g)
    if stale:  # .grad left over from an earlier backward, which the call must reset
        for prm in model.parameters():
            prm.grad = torch.rand(prm.shape, generator=g, dtype=F64)
    return [t.detach() for t in ns.accumulated_grad(model, loss_fn, X, Y, n_micro)]


@probe
def data_parallel(ns, sizes, N, n_workers, seed, loss_name):
    # n_workers: an int, or a list of them (each run on the same model and data)
    torch.set_num_threads(1)
    g = torch.Generator().manual_seed(seed)
    F64 = torch.float64
    layers = []
    for i in range(len(sizes) - 1):
        a, b = sizes[i], sizes[i + 1]
        lin = torch.nn.Linear(a, b, dtype=F64)
        with torch.no_grad():
            lin.weight.copy_(torch.rand(b, a, generator=g, dtype=F64) - 0.5)
            lin.bias.copy_(torch.rand(b, generator=g, dtype=F64) - 0.5)
        layers += [lin, torch.nn.Tanh()]
    model = torch.nn.Sequential(*layers[:-1])
    X = torch.randn(N, sizes[0], generator=g, dtype=F64)
    if loss_name == "mse":
        loss_fn = torch.nn.functional.mse_loss
        Y = torch.randn(N, sizes[-1], generator=g, dtype=F64)
    else:
        loss_fn = torch.nn.functional.cross_entropy
        Y = torch.randint(0, sizes[-1], (N,), generator=g)
    out = {}
    for w in n_workers if isinstance(n_workers, list) else [n_workers]:
        grads = ns.data_parallel_grad(model, loss_fn, X, Y, w)
        # the model's .grad as the call left them (None, as the reference leaves them)
        out[f"n_workers={w}"] = {
            "grads": [t.detach() for t in grads],
            ".grad after": [p.grad for p in model.parameters()],
        }
    return out if isinstance(n_workers, list) else out[f"n_workers={n_workers}"]


@probe
def allreduce(ns, per_worker):
    return [t.detach() for t in ns.allreduce_mean([list(w) for w in per_worker])]


@probe
def allreduce_one_and_many(ns, one, many):
    # a single worker's list (the mean is that list) and several workers' lists
    return {
        "1 worker": [t.detach() for t in ns.allreduce_mean([list(one)])],
        f"{len(many)} workers": [t.detach() for t in ns.allreduce_mean([list(w) for w in many])],
    }


@probe
def tensor_parallel(ns, X, W1, W2, n_shards):
    return ns.tp_mlp(X, W1, W2, n_shards)


@probe
def stage_ops(ns, width, N, seed):
    torch.set_num_threads(1)
    g = torch.Generator().manual_seed(seed)
    F64 = torch.float64
    stage = torch.nn.Sequential(torch.nn.Linear(width, width, dtype=F64), torch.nn.Tanh())
    with torch.no_grad():
        for prm in stage.parameters():
            prm.copy_(torch.rand(prm.shape, generator=g, dtype=F64) - 0.5)
    x = torch.randn(N, width, generator=g, dtype=F64)
    y = torch.randn(N, width, generator=g, dtype=F64)
    stash = {}
    out = ns.stage_forward(stage, x, stash, 3)
    kept = sorted(stash)
    g_out = ns.loss_grad(out, y, torch.nn.functional.mse_loss, 0.25)
    g_in = ns.stage_backward(stash, 3, g_out)
    return {
        "output": out,
        "output requires grad (must not)": bool(out.requires_grad),
        "stash keys after forward": kept,
        "stash keys after backward": sorted(stash),
        "loss_grad": g_out,
        "input gradient": g_in,
        "parameter grads": [prm.grad for prm in stage.parameters()],
    }


@probe
def loss_gradient(ns, out, y, loss_name, weight):
    loss_fn = {
        "mse": torch.nn.functional.mse_loss,
        "cross_entropy": torch.nn.functional.cross_entropy,
    }[loss_name]
    return ns.loss_grad(out, y, loss_fn, weight)


@probe
def pipeline(ns, n_blocks, width, p, N, m, grid, seed, stale):
    torch.set_num_threads(1)
    g = torch.Generator().manual_seed(seed)
    F64 = torch.float64
    blocks = []
    for _ in range(n_blocks):
        lin = torch.nn.Linear(width, width, dtype=F64)
        with torch.no_grad():
            lin.weight.copy_(torch.rand(width, width, generator=g, dtype=F64) - 0.5)
            lin.bias.copy_(torch.rand(width, generator=g, dtype=F64) - 0.5)
        blocks.append(torch.nn.Sequential(lin, torch.nn.Tanh()))
    cut = [(i * n_blocks) // p for i in range(p + 1)]
    stages = [torch.nn.Sequential(*blocks[cut[i] : cut[i + 1]]) for i in range(p)]
    X = torch.randn(N, width, generator=g, dtype=F64)
    Y = torch.randn(N, width, generator=g, dtype=F64)
    cells = [[None if c is None else (c[0], c[1]) for c in row] for row in grid]
    if stale:  # .grad left over from an earlier run, which the call must reset
        for prm in [prm for st in stages for prm in st.parameters()]:
            prm.grad = torch.rand(prm.shape, generator=g, dtype=F64)
    grads, peaks = ns.run_schedule(stages, X, Y, torch.nn.functional.mse_loss, m, cells)
    return {"grads": [[t.detach() for t in st] for st in grads], "peaks": [int(v) for v in peaks]}


@probe
def make_grid(ns, kind, p, m):
    grid = ns.gpipe_schedule(p, m) if kind == "gpipe" else ns.one_f_one_b_schedule(p, m)
    return [[None if c is None else [str(c[0]), int(c[1])] for c in row] for row in grid]


def _int(gen, lo, hi):
    return int(torch.randint(lo, hi + 1, (1,), generator=gen))


# weight: micro-batch weighting is the point of gradient accumulation
@pytest.mark.weight(2)
def test_q5_accumulated_grad(grade):
    for i, gen in grade.cases(5):
        sizes = [_int(gen, 2, 6) for _ in range(_int(gen, 2, 4))]
        N = _int(gen, 3, 12)
        n_micro = _int(gen, 1, N)
        loss = "mse" if i % 2 == 0 else "cross_entropy"
        seed = _int(gen, 0, 2**30)
        grade.compare(
            accumulate,
            sizes,
            N,
            n_micro,
            loss,
            seed,
            False,
            case=f"layer sizes {sizes}, N={N}, {n_micro} micro-batches, {loss}",
            **T1,
        )
    grade.compare(
        accumulate,
        [4, 5, 3],
        7,
        3,
        "mse",
        21,
        True,
        case="layer sizes [4, 5, 3], N=7 in 3 micro-batches (3, 2, 2 rows), mse, the model's "
        ".grad already holding an earlier gradient (it must be reset first)",
        **T1,
    )
    grade.compare(
        accumulate,
        [3, 4, 3],
        5,
        1,
        "cross_entropy",
        22,
        False,
        case="layer sizes [3, 4, 3], N=5, n_micro=1 (one micro-batch: the whole batch), "
        "cross_entropy",
        **T1,
    )


# weight: an all-reduce that averages is the point of data parallelism
@pytest.mark.weight(2)
def test_q5_data_parallel(grade):
    for i, gen in grade.cases(4):
        sizes = [_int(gen, 2, 5) for _ in range(3)]
        W = _int(gen, 1, 4)
        N = W * _int(gen, 1, 3) + (1 if i == 3 else 0)  # the last case has unequal shards
        seed = _int(gen, 0, 2**30)
        grade.compare(
            data_parallel,
            sizes,
            N,
            W,
            seed,
            "mse",
            case=f"layer sizes {sizes}, N={N}, {W} workers"
            + (" (unequal shards)" if i == 3 else ""),
            **T1,
        )
    grade.compare(
        data_parallel,
        [3, 4, 3],
        8,
        2,
        31,
        "cross_entropy",
        case="layer sizes [3, 4, 3], N=8, 2 workers, cross_entropy with class-index targets",
        **T1,
    )
    # one worker is the full-batch gradient; credited next to two workers on the same model
    grade.compare(
        data_parallel,
        [4, 3, 2],
        6,
        [1, 2],
        32,
        "mse",
        case="layer sizes [4, 3, 2], N=6, mse: one worker (n_workers=1), then 2 workers",
        **T1,
    )
    for _i, gen in grade.cases(2):
        W = _int(gen, 1, 4)
        shapes = [(3,), (2, 2)]
        per = [
            [torch.randn(s, generator=gen, dtype=torch.float64) for s in shapes] for _ in range(W)
        ]
        grade.compare(allreduce, per, case=f"allreduce_mean over {W} workers", **T1)
    g = torch.Generator().manual_seed(33)
    shapes = [(2,), (3, 2)]
    one = [torch.randn(s, generator=g, dtype=torch.float64) for s in shapes]
    many = [[torch.randn(s, generator=g, dtype=torch.float64) for s in shapes] for _ in range(3)]
    grade.compare(
        allreduce_one_and_many,
        one,
        many,
        case="allreduce_mean of a single worker's list (it is its own mean), and over 3 workers",
        **T1,
    )


def test_q5_tp_mlp(grade):
    for _i, gen in grade.cases(4):
        b, h, f = _int(gen, 1, 5), _int(gen, 2, 6), _int(gen, 2, 9)
        n = _int(gen, 1, f)
        X = torch.randn(b, h, generator=gen, dtype=torch.float64)
        W1 = torch.randn(h, f, generator=gen, dtype=torch.float64)
        W2 = torch.randn(f, h, generator=gen, dtype=torch.float64)
        grade.compare(tensor_parallel, X, W1, W2, n, case=f"b={b}, h={h}, f={f}, {n} shards", **T1)


def test_q5_stage_ops(grade):
    for _i, gen in grade.cases(3):
        width, N = _int(gen, 2, 6), _int(gen, 1, 5)
        grade.compare(
            stage_ops,
            width,
            N,
            _int(gen, 0, 2**30),
            case=f"stage_forward, loss_grad (weight 0.25), stage_backward on one Linear+Tanh stage, width {width}, {N} rows",
            **T1,
        )
    g = torch.Generator().manual_seed(41)
    logits = torch.randn(4, 3, generator=g, dtype=torch.float64)
    labels = torch.tensor([2, 0, 1, 2])
    grade.compare(
        loss_gradient,
        logits,
        labels,
        "cross_entropy",
        0.5,
        case="loss_grad of cross_entropy(out, y), weight 0.5, 4 rows of 3 logits, "
        "class-index targets y",
        **T1,
    )


def _pipeline_cases(grade, kind):
    # (p, blocks, width, N, m, the stages' .grad already set, what the case adds)
    fixed = [(4, 8, 4, 10, 8, False, "")]  # lecture case: 4 stages, 8 micro-batches
    for _i, gen in grade.cases(3):
        p = _int(gen, 1, 4)
        n_blocks = p + _int(gen, 0, 3)
        m = _int(gen, 1, 6)
        N = m + _int(gen, 0, 5)
        fixed.append((p, n_blocks, _int(gen, 2, 5), N, m, False, ""))
    stale = "the stages' .grad already holding an earlier gradient (it must be reset first), "
    fixed.append((3, 4, 3, 9, 4, True, stale))
    fixed.append((2, 3, 3, 4, 1, False, "a single micro-batch (m=1), "))
    for j, (p, n_blocks, width, N, m, stale, words) in enumerate(fixed):
        grid = grade.reference(make_grid, kind, p, m)
        grade.compare(
            pipeline,
            n_blocks,
            width,
            p,
            N,
            m,
            grid,
            1000 + j,
            stale,
            case=f"{'GPipe' if kind == 'gpipe' else '1F1B'} grid, p={p} stages ({n_blocks} blocks), "
            f"N={N} rows in m={m} micro-batches, {words}"
            "gradients (T1) and stored micro-batches (exact)",
            **T1,
        )


def test_q5_run_schedule_gpipe(grade):
    _pipeline_cases(grade, "gpipe")


def test_q5_run_schedule_1f1b(grade):
    _pipeline_cases(grade, "1f1b")
