"""q2: checkpointing by hand: gradients (T1), saved bytes and recompute count (T0)."""

import pytest
import torch

from autograder.testing import T0, T1, assignment_helpers, probe

helpers = assignment_helpers(__file__)


@probe
def grads_backward(ns, n, width, batch, k, seed, x_requires_grad):
    torch.set_num_threads(1)
    g = torch.Generator().manual_seed(seed)
    F64 = torch.float64
    layers = helpers.tanh_stack(n, width, g, F64)
    x = torch.randn(batch, width, generator=g, dtype=F64).requires_grad_(x_requires_grad)
    target = torch.randn(batch, width, generator=g, dtype=F64)
    out = ns.checkpointed_forward(layers, x, k)
    ((out - target) ** 2).sum().backward()
    return {
        "output": out.detach(),
        "x.grad": x.grad if x_requires_grad else None,
        "parameter grads": [p.grad for p in layers.parameters()],
    }


@probe
def grads_frozen_or_unused(ns, n, width, batch, k, seed, frozen_biases, unused_in):
    # blocks whose bias is frozen (requires_grad False), and blocks holding one more
    # parameter that their forward never uses: the gradients of plain backward (None there)
    torch.set_num_threads(1)
    g = torch.Generator().manual_seed(seed)
    F64 = torch.float64
    layers = helpers.tanh_stack(n, width, g, F64)
    for i, block in enumerate(layers):
        block[0].bias.requires_grad_(i not in frozen_biases)
        if i in unused_in:
            block.register_parameter("unused", torch.nn.Parameter(torch.zeros(1, dtype=F64)))
    x = torch.randn(batch, width, generator=g, dtype=F64).requires_grad_(True)
    out = ns.checkpointed_forward(layers, x, k)
    (out**2).sum().backward()
    return {
        "output": out.detach(),
        "x.grad": x.grad,
        "parameter grads": [p.grad for p in layers.parameters()],
    }


@probe
def grads_autograd_grad(ns, n, width, batch, k, seed):
    torch.set_num_threads(1)
    g = torch.Generator().manual_seed(seed)
    F64 = torch.float64
    layers = helpers.tanh_stack(n, width, g, F64)
    x = torch.randn(batch, width, generator=g, dtype=F64, requires_grad=True)
    out = ns.checkpointed_forward(layers, x, k)
    return list(torch.autograd.grad(out.sin().sum(), [x, *layers.parameters()]))


@probe
def forward_units_and_recompute(ns, n, width, batch, k, seed):
    torch.set_num_threads(1)
    g = torch.Generator().manual_seed(seed)
    layers = torch.nn.ModuleList(
        [torch.nn.Sequential(torch.nn.Linear(width, width), torch.nn.Tanh()) for _ in range(n)]
    )
    skip = {p.untyped_storage().data_ptr() for p in layers.parameters()}
    saved = {}

    def pack(t):
        ptr = t.untyped_storage().data_ptr()
        if ptr not in skip:
            saved[ptr] = t.untyped_storage().nbytes()
        return t

    calls = {"forward": [], "backward": [], "phase": "forward"}
    inputs = {}

    def count(module, args, output):
        calls[calls["phase"]].append(index[id(module)])

    def remember_input(module, args):
        if calls["phase"] == "forward" and args and isinstance(args[0], torch.Tensor):
            inputs[index[id(module)]] = args[0].untyped_storage().data_ptr()

    index = {id(layer): i for i, layer in enumerate(layers)}
    handles = [layer.register_forward_hook(count) for layer in layers]
    handles += [layer.register_forward_pre_hook(remember_input) for layer in layers]
    x = torch.randn(batch, width, generator=g)
    with torch.autograd.graph.saved_tensors_hooks(pack, lambda t: t):
        out = ns.checkpointed_forward(layers, x, k)
    calls["phase"] = "backward"
    out.sum().backward()
    for h in handles:
        h.remove()
    return {
        "activations saved by the forward pass": sum(saved.values()) // (batch * width * 4),
        "blocks whose input the forward pass keeps": sorted(
            i for i, ptr in inputs.items() if ptr in saved
        ),
        "block calls in the forward pass": len(calls["forward"]),
        "blocks recomputed in the backward pass, in order": calls["backward"],
    }


@probe
def bounds(ns, n, k):
    try:
        return [int(b) for b in ns.segment_bounds(n, k)]
    except ValueError:
        return "ValueError"


@probe
def bounds_then_invalid(ns, n, k, bad_n, bad_k):
    # a valid call, then one that must raise: one case, so that raising ValueError earns
    # nothing without working bounds
    out = {f"segment_bounds({n}, {k})": [int(b) for b in ns.segment_bounds(n, k)]}
    try:
        out[f"segment_bounds({bad_n}, {bad_k})"] = [int(b) for b in ns.segment_bounds(bad_n, bad_k)]
    except ValueError:
        out[f"segment_bounds({bad_n}, {bad_k})"] = "ValueError"
    return out


def _shape(gen):
    n = int(torch.randint(2, 9, (1,), generator=gen))
    width = int(torch.randint(2, 17, (1,), generator=gen))
    batch = int(torch.randint(1, 5, (1,), generator=gen))
    k = int(torch.randint(1, n + 1, (1,), generator=gen))
    return n, width, batch, k, int(torch.randint(0, 2**31, (1,), generator=gen))


def test_q2_gradients_equal_plain_model(grade):
    for i, gen in grade.cases(5):
        n, width, batch, k, seed = _shape(gen)
        req = i % 2 == 0
        grade.compare(
            grads_backward,
            n,
            width,
            batch,
            k,
            seed,
            req,
            case=f"float64, {n} blocks, width {width}, batch {batch}, k={k}, x.requires_grad={req}",
            **T1,
        )
    for k, req in ((1, False), (6, True), (4, False)):
        grade.compare(
            grads_backward,
            6,
            5,
            3,
            k,
            123,
            req,
            case=f"6 blocks, k={k} ({'one segment' if k == 1 else 'one block per segment' if k == 6 else 'k does not divide n'}), x.requires_grad={req}",
            **T1,
        )
    _frozen_and_unused_parameters(grade)


def _frozen_and_unused_parameters(grade):
    grade.compare(
        grads_frozen_or_unused,
        4,
        3,
        2,
        2,
        7,
        [0, 1, 2, 3],
        [],
        case="4 blocks, k=2, every bias frozen (requires_grad False), x.requires_grad=True",
        **T1,
    )
    grade.compare(
        grads_frozen_or_unused,
        4,
        3,
        2,
        2,
        8,
        [],
        [1],
        case="4 blocks, k=2, block 1 holds a parameter its forward never uses (grad None)",
        **T1,
    )


def test_q2_gradients_with_autograd_grad(grade):
    for _i, gen in grade.cases(3):
        n, width, batch, k, seed = _shape(gen)
        grade.compare(
            grads_autograd_grad,
            n,
            width,
            batch,
            k,
            seed,
            case=f"torch.autograd.grad w.r.t. x and the parameters, {n} blocks, k={k}",
            **T1,
        )


def test_q2_forward_keeps_k_inputs_and_recomputes_once(grade):
    # k does not divide n in the random cases: the kept inputs and the recompute order show
    # where the segments start (the last segment is a longest one)
    for _i, gen in grade.cases(4):
        n = int(torch.randint(5, 12, (1,), generator=gen))
        k = [kk for kk in range(2, n) if n % kk][int(torch.randint(0, 2, (1,), generator=gen))]
        width = int(torch.randint(2, 9, (1,), generator=gen))
        batch = int(torch.randint(1, 4, (1,), generator=gen))
        seed = int(torch.randint(0, 2**31, (1,), generator=gen))
        grade.compare(
            forward_units_and_recompute,
            n,
            width,
            batch,
            k,
            seed,
            case=f"float32, {n} blocks, k={k}: kept inputs, block calls, recompute order",
            **T0,
        )
    grade.compare(
        forward_units_and_recompute,
        16,
        8,
        2,
        4,
        0,
        case="lecture case: 16 blocks, k=4 (4 activations; 16 recomputed blocks)",
        **T0,
    )
    grade.compare(
        forward_units_and_recompute,
        3,
        4,
        1,
        3,
        1,
        case="3 blocks, k=3: one block per segment, a single-row batch",
        **T0,
    )


# weight: a segment boundary off by one checkpoints the wrong activations
@pytest.mark.weight(2)
def test_q2_segment_bounds(grade):
    for _i, gen in grade.cases(4):
        n = int(torch.randint(1, 30, (1,), generator=gen))
        k = int(torch.randint(1, n + 1, (1,), generator=gen))
        grade.compare(bounds, n, k, case=f"segment_bounds({n}, {k})", **T0)
    grade.compare(bounds, 10, 4, case="segment_bounds(10, 4)", **T0)
    grade.compare(
        bounds_then_invalid,
        7,
        3,
        3,
        4,
        case="segment_bounds(7, 3), and segment_bounds(3, 4) raises ValueError",
        **T0,
    )
    # k = 0 is below the allowed range (no segments): a ValueError, not a division by zero
    grade.compare(
        bounds_then_invalid,
        5,
        2,
        5,
        0,
        case="segment_bounds(5, 2), and segment_bounds(5, 0) (zero segments) raises ValueError",
        **T0,
    )
