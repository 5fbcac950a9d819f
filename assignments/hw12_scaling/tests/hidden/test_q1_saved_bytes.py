"""q1: saved-activation bytes, compared exactly (T0) with the reference.

Byte counts are deterministic for a given model and input, so the student's count must
equal the reference's to the byte. Models are built inside the probes from a seed (not
with the notebook's ``mlp``), so a broken given helper cannot fail these cases.
"""

import torch

from autograder.testing import T0, assignment_helpers, probe

helpers = assignment_helpers(__file__)


@probe
def stack_bytes(ns, n, width, batch, seed, x_requires_grad):
    torch.set_num_threads(1)
    g = torch.Generator().manual_seed(seed)
    layers = helpers.tanh_stack(n, width, g)
    x = torch.randn(batch, width, generator=g).requires_grad_(x_requires_grad)

    def run(z):
        for layer in layers:
            z = layer(z)
        return z

    return int(ns.saved_activation_bytes(run, x, list(layers.parameters())))


@probe
def small_functions(ns, which, size):
    torch.set_num_threads(1)
    y = torch.linspace(-1.0, 1.0, size, requires_grad=True)
    w = torch.linspace(0.5, 1.5, size, requires_grad=True)
    fns = {
        "x * x (one storage saved twice)": lambda z: z * z,
        "z[:half] * z[half:] (views of one storage)": lambda z: z[: size // 2] * z[size // 2 :],
        "exp(z * z) (the input and exp's output)": lambda z: (z * z).exp(),
        "z * w with w excluded": lambda z: z * w,
        "sum(z) (saves nothing)": lambda z: z.sum(),
    }
    names = which if isinstance(which, list) else [which]
    out = [int(ns.saved_activation_bytes(fns[n], y, [w] if "excluded" in n else [])) for n in names]
    return out if isinstance(which, list) else out[0]


@probe
def batch_and_no_grad(ns, n, width, batch, seed):
    torch.set_num_threads(1)
    g = torch.Generator().manual_seed(seed)
    layers = torch.nn.Sequential(
        *[torch.nn.Sequential(torch.nn.Linear(width, width), torch.nn.Tanh()) for _ in range(n)]
    )
    params = list(layers.parameters())
    x = torch.randn(batch, width, generator=g)
    one = ns.saved_activation_bytes(layers, x, params)
    two = ns.saved_activation_bytes(layers, torch.cat([x, x]), params)
    with torch.no_grad():
        none = ns.saved_activation_bytes(layers, x, params)
    return {"batch b": int(one), "batch 2b": int(two), "no_grad": int(none)}


@probe
def formula(ns, n, batch, width, element_size):
    return int(ns.plain_saved_bytes(n, batch, width, element_size))


def test_q1_random_stacks(grade):
    for i, gen in grade.cases(5):
        n = int(torch.randint(2, 9, (1,), generator=gen))
        width = [8, 16][int(torch.randint(0, 2, (1,), generator=gen))]
        batch = [2, 4][int(torch.randint(0, 2, (1,), generator=gen))]
        seed = int(torch.randint(0, 2**31, (1,), generator=gen))
        req = i % 2 == 1
        grade.compare(
            stack_bytes,
            n,
            width,
            batch,
            seed,
            req,
            case=f"{n} Linear+Tanh blocks, width {width}, batch {batch}, float32, "
            f"x.requires_grad={req}",
            **T0,
        )


def test_q1_lecture_case(grade):
    # Appendix A / lecture: 16 blocks of width 256 at batch 64 save 17 activations
    grade.compare(
        stack_bytes,
        16,
        256,
        64,
        0,
        False,
        case="lecture case: 16 blocks, width 256, batch 64 (17 activations)",
        **T0,
    )


def test_q1_distinct_storages_and_exclusion(grade):
    for which in (
        "x * x (one storage saved twice)",
        "z[:half] * z[half:] (views of one storage)",
        "exp(z * z) (the input and exp's output)",
        "z * w with w excluded",
    ):
        grade.compare(small_functions, which, 10, case=which, **T0)
    # 0 bytes is the answer here, and also what a function that counts nothing says: the
    # case is credited together with one that saves something
    pair = ["exp(z * z) (the input and exp's output)", "sum(z) (saves nothing)"]
    grade.compare(small_functions, pair, 10, case="sum(z) saves nothing (next to exp(z * z))", **T0)


def test_q1_scales_with_batch_not_under_no_grad(grade):
    for i, gen in grade.cases(3):
        n = int(torch.randint(1, 6, (1,), generator=gen))
        batch = int(torch.randint(1, 5, (1,), generator=gen))
        case = f"{n} blocks, width 8, batch {batch} vs {2 * batch}, and under no_grad"
        # the scaling law, and the count it scales being the reference's (a count that is
        # wrong but proportional to the batch would double too)
        got, ref = grade.run_and_reference(batch_and_no_grad, n, 8, batch, i, case=case)
        if got is None:
            continue
        try:
            ok = got["batch 2b"] == 2 * got["batch b"] > 0 and got["no_grad"] == 0
            right = got["batch b"] == ref["batch b"]
        except Exception:  # not the probe's dict
            ok = right = False
        grade.check(
            ok and right,
            case=case,
            message=f"expected doubling the batch to double the bytes and no_grad to give 0, got {got}"
            if not ok
            else f"the bytes double and no_grad gives 0, but batch {batch} saves "
            f"{ref['batch b']} bytes, not {got['batch b']}",
        )


def test_q1_plain_saved_bytes(grade):
    for i, gen in grade.cases(4):
        n = int(torch.randint(1, 33, (1,), generator=gen))
        batch = int(torch.randint(1, 129, (1,), generator=gen))
        width = int(torch.randint(1, 513, (1,), generator=gen))
        es = [2, 4, 8][i % 3]
        grade.compare(
            formula,
            n,
            batch,
            width,
            es,
            case=f"n={n}, batch={batch}, width={width}, element_size={es}",
            **T0,
        )
