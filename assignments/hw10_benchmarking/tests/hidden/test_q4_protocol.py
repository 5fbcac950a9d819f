import torch

from autograder.testing import T2, probe


@probe
def trial(ns, name, wseed, opt_name, hp, steps, eval_every, seed):
    torch.set_num_threads(1)
    wl = ns.make_workload(name, wseed)
    r = ns.run_trial(opt_name, hp, wl, steps, eval_every, seed)
    keys = ("val_curve", "val_acc", "eval_steps", "steps_to_target", "best_val")
    return {k: r[k] for k in keys}


@probe
def search(ns, opt_name, space, n, steps, seed):
    torch.set_num_threads(1)
    wl = ns.make_workload("breast_cancer", 0)
    trials = ns.random_search(opt_name, space, n, wl, steps, seed)
    return {
        "configs": [t["hparams"] for t in trials],
        "best_val": [t["best_val"] for t in trials],
        "steps_to_target": [t["steps_to_target"] for t in trials],
    }


@probe
def comparison(ns, spaces, n, steps, seed):
    torch.set_num_threads(1)
    return ns.protocol_comparison(spaces, n, ns.make_workload("breast_cancer", 0), steps, seed)


@probe
def sgd_vs_momentum0(ns, lr):
    torch.set_num_threads(1)
    wl = ns.make_workload("breast_cancer", 1)
    a = ns.run_trial("sgd", {"lr": lr}, wl, 20, 5, 3)["val_curve"]
    b = ns.run_trial("momentum", {"lr": lr, "one_minus_momentum": 1.0}, wl, 20, 5, 3)["val_curve"]
    return {"sgd": a, "momentum, beta=0": b}


SPACES = {
    "sgd": {"lr": (1e-3, 1.0, "log")},
    "momentum": {"lr": (1e-3, 1.0, "log"), "one_minus_momentum": (1e-2, 1.0, "log")},
    "adam": {"lr": (1e-4, 1e-1, "log"), "one_minus_beta1": (1e-2, 0.5, "log")},
}


def test_q4_run_trial(grade):
    for i, gen in grade.cases(4):
        opt_name = ["sgd", "momentum", "adam", "momentum"][i]
        lr = round(float(10 ** (-2 + 1.5 * torch.rand(1, generator=gen))), 5)
        hp = {"lr": lr} if opt_name != "adam" else {"lr": lr / 10, "one_minus_beta2": 0.01}
        name = "digits" if i == 2 else "breast_cancer"
        seed = int(torch.randint(0, 1000, (1,), generator=gen))
        grade.compare(
            trial,
            name,
            i,
            opt_name,
            hp,
            20,
            5,
            seed,
            case=f"{name}, {opt_name} {hp}, 20 steps, eval every 5, seed {seed}",
            **T2,
        )


def test_q4_random_search(grade):
    for i, gen in grade.cases(3):
        opt_name = ["sgd", "momentum", "adam"][i]
        seed = int(torch.randint(0, 100, (1,), generator=gen))
        grade.compare(
            search,
            opt_name,
            SPACES[opt_name],
            3,
            20,
            seed,
            case=f"{opt_name}, 3 trials × 20 steps, seed {seed}",
            **T2,
        )


def test_q4_protocol_comparison(grade):
    spaces = {
        "lr-only": {"sgd": SPACES["sgd"], "momentum": {"lr": (1e-3, 1.0, "log")}},
        "comprehensive": {"momentum": SPACES["momentum"]},
    }
    grade.compare(comparison, spaces, 2, 20, 4, case="2 protocols, 2 trials × 20 steps", **T2)


def test_q4_sgd_subset_of_momentum(grade):
    case = "SGD ⊆ Momentum: momentum with β = 0 reproduces SGD"
    got = grade.run(sgd_vs_momentum0, 0.3, case=case)
    if got is not None:
        a, b = torch.tensor(got["sgd"]), torch.tensor(got["momentum, beta=0"])
        ok = a.shape == b.shape and a.numel() == 4 and torch.allclose(a, b, rtol=1e-10, atol=1e-12)
        grade.check(ok, case=case, message=f"sgd {a.tolist()} vs momentum(β=0) {b.tolist()}")
