import torch

from autograder.testing import T0, probe


@probe
def stack_bytes(ns, n, width, batch):
    torch.set_num_threads(1)
    torch.manual_seed(0)
    # float32 explicitly: the recorded byte counts must not depend on the kernel's default
    # dtype (a notebook may call torch.set_default_dtype(torch.float64))
    f32 = torch.float32
    layers = torch.nn.ModuleList(
        [
            torch.nn.Sequential(torch.nn.Linear(width, width, dtype=f32), torch.nn.Tanh())
            for _ in range(n)
        ]
    )

    def run(z):
        for layer in layers:
            z = layer(z)
        return z

    x = torch.ones(batch, width, dtype=f32)
    return int(ns.saved_activation_bytes(run, x, list(layers.parameters())))


@probe
def square(ns):
    return int(
        ns.saved_activation_bytes(
            lambda z: z * z, torch.ones(10, dtype=torch.float32, requires_grad=True)
        )
    )


@probe
def formula(ns, n, batch, width, element_size):
    return int(ns.plain_saved_bytes(n, batch, width, element_size))


def test_q1_public(grade):
    grade.compare(stack_bytes, 3, 4, 2, case="3 blocks, width 4, batch 2, float32", **T0)
    grade.compare(square, case="x * x with x of 10 float32 (one storage)", **T0)
    grade.compare(formula, 16, 64, 256, 4, case="plain_saved_bytes(16, 64, 256, 4)", **T0)
