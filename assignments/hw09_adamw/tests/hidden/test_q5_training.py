import torch

from autograder.testing import T2, probe


@probe
def optimizer_run(ns, name, hparams, W0, b0, GW, Gb):
    torch.set_num_threads(1)
    W = W0.clone().requires_grad_(True)
    b = b0.clone().requires_grad_(True)
    o = ns.make_optimizer(name, [W, b], hparams)
    kind = "something else"
    # the classes where make_optimizer looks them up (torch's while the replay runs)
    scope = getattr(ns.make_optimizer, "__globals__", None)
    for cls_name in ("AdamW", "Adam", "Adagrad"):
        cls = scope.get(cls_name) if isinstance(scope, dict) else None
        if isinstance(o, cls if isinstance(cls, type) else getattr(ns, cls_name)):
            kind = f"your {cls_name}"
            break
    if kind == "something else" and isinstance(o, torch.optim.SGD):
        kind = f"torch.optim.SGD, momentum {o.param_groups[0]['momentum']}"
    path = []
    for t in range(GW.shape[0]):
        W.grad = GW[t].clone()
        b.grad = Gb[t].clone()
        o.step()
        path.append(torch.cat([W.detach().flatten(), b.detach()]))
    return {"optimiser": kind, "trajectory": torch.stack(path)}


@probe
def unknown_name(ns, name):
    torch.set_num_threads(1)
    w = torch.zeros(2, dtype=torch.float64, requires_grad=True)
    # a known name first, so that a make_optimizer that raises for everything is not credited
    built = isinstance(ns.make_optimizer("sgd", [w], {"lr": 0.1}), torch.optim.Optimizer)
    try:
        ns.make_optimizer(name, [w], {"lr": 0.1})
        raised = "no exception"
    except ValueError:
        raised = "ValueError"
    except Exception as e:  # the wrong exception: named, so the feedback shows it
        raised = type(e).__name__
    return {'"sgd" gives a torch.optim.Optimizer': built, f"{name!r} raises": raised}


@probe
def train(ns, name, hparams, steps, batch_size, seed, data, eval_every, hidden, n_classes):
    torch.set_num_threads(1)
    h = ns.train_classifier(
        name,
        hparams,
        steps,
        batch_size,
        seed,
        tuple(data),
        eval_every=eval_every,
        hidden=tuple(hidden),
        n_classes=n_classes,
    )
    return {k: h[k] for k in ("step", "train_loss", "val_loss", "val_acc")}


NAMES = ["sgd", "momentum", "adagrad", "adam", "adamw"]

# make_optimizer and train_classifier use q1–q3's classes by design. While they run, those
# names are torch's Adagrad, Adam and AdamW (which follow the same conventions as the
# expected classes), so a bug in q1–q3 costs those questions only; torch's classes are
# allowed here for that reason.
TORCH = {"Adagrad": "torch.optim.Adagrad", "Adam": "torch.optim.Adam", "AdamW": "torch.optim.AdamW"}


def _with_torch(grade, probe_, *args):
    """``probe_`` with torch's optimisers for the notebook's, and its arguments."""
    replay = grade.reference_calls(probe_, (), *args, torch_classes=TORCH)
    return grade.replaying(probe_), replay, *args


def _hparams(name, gen):
    u = float(torch.rand(1, generator=gen))
    if name in ("sgd", "momentum", "adagrad"):
        hp = {"lr": round(0.02 + 0.2 * u, 4)}
        if name == "momentum" and u > 0.5:
            hp["momentum"] = 0.8
        return hp
    hp = {"lr": round(0.002 + 0.02 * u, 5), "betas": (0.9, 0.99)}
    if name == "adamw":
        hp["weight_decay"] = 0.1
    return hp


def test_q5_make_optimizer(grade):
    for i, gen in grade.cases(len(NAMES)):
        name = NAMES[i]
        hp = _hparams(name, gen)
        W0 = torch.randn(3, 2, generator=gen, dtype=torch.float64)
        b0 = torch.randn(2, generator=gen, dtype=torch.float64)
        GW = torch.randn(6, 3, 2, generator=gen, dtype=torch.float64)
        Gb = torch.randn(6, 2, generator=gen, dtype=torch.float64)
        grade.compare(
            *_with_torch(grade, optimizer_run, name, hp, W0, b0, GW, Gb),
            allow=grade.forbidden,
            case=f'make_optimizer("{name}", params, {hp}): its class and 6 steps',
            **T2,
        )
    grade.compare(
        unknown_name,
        "rmsprop",
        case='make_optimizer("rmsprop", ...): an unknown name raises ValueError',
        **T2,
    )


def test_q5_train_classifier(grade):
    for i, gen in grade.cases(len(NAMES)):
        name = NAMES[i]
        hp = _hparams(name, gen)
        n, m, d, k = 48, 20, 6, 3
        data = [
            torch.randn(n, d, generator=gen, dtype=torch.float64),
            torch.randint(0, k, (n,), generator=gen),
            torch.randn(m, d, generator=gen, dtype=torch.float64),
            torch.randint(0, k, (m,), generator=gen),
        ]
        seed = int(torch.randint(0, 2**31 - 1, (1,), generator=gen))
        grade.compare(
            *_with_torch(grade, train, name, hp, 15, 8, seed, data, 5, [5], k),
            allow=grade.forbidden,
            case=f'"{name}" {hp}: MLP 6→5→3 in float64, 15 steps of batch 8, eval every 5 (case {i})',
            **T2,
        )
    # steps not a multiple of eval_every: evaluations at 0, 5 and the last step 9 only
    # (one step too many would be evaluated at 10)
    _, gen = list(grade.cases(len(NAMES) + 1))[-1]
    data = [
        torch.randn(40, 5, generator=gen, dtype=torch.float64),
        torch.randint(0, 3, (40,), generator=gen),
        torch.randn(12, 5, generator=gen, dtype=torch.float64),
        torch.randint(0, 3, (12,), generator=gen),
    ]
    grade.compare(
        *_with_torch(grade, train, "sgd", {"lr": 0.1}, 9, 6, 7, data, 5, [4], 3),
        allow=grade.forbidden,
        case='"sgd" {"lr": 0.1}: 9 steps, eval every 5 (evaluations at steps 0, 5, 9), '
        "MLP 5→4→3 in float64",
        **T2,
    )


def test_q5_lr_zero_changes_nothing(grade):
    gen = next(grade.cases(1))[1]
    data = [
        torch.randn(30, 4, generator=gen, dtype=torch.float64),
        torch.randint(0, 3, (30,), generator=gen),
        torch.randn(10, 4, generator=gen, dtype=torch.float64),
        torch.randint(0, 3, (10,), generator=gen),
    ]
    for name in ("adam", "adamw"):
        case = f'"{name}" with lr = 0: the training loss never changes'
        got = grade.run(
            *_with_torch(grade, train, name, {"lr": 0.0}, 6, 4, 0, data, 2, [3], 3),
            case=case,
            allow=grade.forbidden,
        )
        if got is not None:
            losses = got["train_loss"]
            ok = got["step"] == [0, 2, 4, 6] and len(set(losses)) == 1
            grade.check(ok, case=case, message=f"steps {got['step']}, train_loss {losses}")
