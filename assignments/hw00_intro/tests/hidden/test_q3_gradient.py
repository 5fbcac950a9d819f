import torch

from autograder.testing import T1, probe


@probe
def grad_of(ns, w, X, y):
    torch.set_num_threads(1)
    return ns.bce_grad(w, X, y)


@probe
def grad_and_loss_differences(ns, w, X, y, h):
    # central differences of the mean cross-entropy, written here so that they do not
    # depend on the student's bce_with_logits
    torch.set_num_threads(1)

    def loss(v):
        z = X @ v
        return float((torch.logaddexp(torch.zeros_like(z), z) - y * z).mean())

    fd = []
    for j in range(w.shape[0]):
        e = torch.zeros_like(w)
        e[j] = h
        fd.append((loss(w + e) - loss(w - e)) / (2 * h))
    return {"grad": ns.bce_grad(w, X, y), "fd": torch.tensor(fd, dtype=torch.float64)}


def _problem(gen, n, d):
    X = torch.randn(n, d, generator=gen, dtype=torch.float64)
    y = torch.randint(0, 2, (n,), generator=gen).to(torch.float64)
    w = torch.randn(d, generator=gen, dtype=torch.float64)
    return w, X, y


def test_q3_gradient_formula(grade):
    for _i, gen in grade.cases(5):
        n = int(torch.randint(1, 41, (1,), generator=gen))
        d = int(torch.randint(1, 9, (1,), generator=gen))
        w, X, y = _problem(gen, n, d)
        grade.compare(grad_of, w, X, y, case=f"random X of shape ({n}, {d})", **T1)
    X = torch.tensor([[1.0, 2.0], [-1.0, 0.5], [0.0, 1.0]], dtype=torch.float64)
    y = torch.tensor([1.0, 0.0, 1.0], dtype=torch.float64)
    w = torch.zeros(2, dtype=torch.float64)
    grade.compare(grad_of, w, X, y, case="w = 0 (σ = ½ everywhere)", **T1)
    # one example (n = 1), and one feature (d = 1): the shapes stay (d,)
    gen = torch.Generator().manual_seed(3)
    w, X, y = _problem(gen, 1, 3)
    grade.compare(grad_of, w, X, y, case="a single example: X of shape (1, 3)", **T1)
    w, X, y = _problem(gen, 6, 1)
    grade.compare(grad_of, w, X, y, case="a single feature: X of shape (6, 1)", **T1)


def test_q3_finite_differences(grade):
    for i, gen in grade.cases(3):
        w, X, y = _problem(gen, 12, 4)
        case = f"central differences (h = 1e-6) agree with bce_grad (case {i})"
        got = grade.run(grad_and_loss_differences, w, X, y, 1e-6, case=case)
        if got is None:
            continue
        g, fd = got["grad"], got["fd"]
        ok = isinstance(g, torch.Tensor) and g.shape == fd.shape
        err = float((g - fd).norm() / fd.norm()) if ok else float("inf")
        grade.check(
            ok and err < 1e-6,
            case=case,
            message=f"relative difference {err:.2e} between bce_grad and central differences "
            f"of the loss (expected < 1e-6); finite differences give {fd.tolist()}",
        )
