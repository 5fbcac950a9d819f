import torch

from autograder.testing import T2, Tolerance, compare, probe
from autograder.untrusted_text import escape_markdown


@probe
def trial(ns, name, wseed, opt_name, hp, steps, eval_every, seed):
    torch.set_num_threads(1)
    wl = ns.make_workload(name, wseed)
    r = ns.run_trial(opt_name, hp, wl, steps, eval_every, seed)
    keys = ("val_curve", "val_acc", "eval_steps", "steps_to_target", "best_val")
    return {k: r[k] for k in keys}


@probe
def sample_table(ns, calls):
    # the reference's configurations for exactly the sample_space calls a search makes
    return [
        [space, n, seed, method, ns.sample_space(space, n, seed, method)]
        for space, n, seed, method in calls
    ]


# q4's searches call q3's sample_space by design. So that a q3 bug is charged on q3 alone,
# the probes below swap it, in the notebook's namespace and for the duration of the call,
# for a table of the reference's configurations on exactly the calls the search makes
# (values, not code); a call the table does not hold goes to the notebook's own function.
@probe
def search(ns, opt_name, space, n, steps, seed, table):
    torch.set_num_threads(1)
    scope = getattr(ns.random_search, "__globals__", None)
    own = scope.get("sample_space") if isinstance(scope, dict) else None

    def key(sp, k, sd, m):
        return repr(
            [
                sorted(
                    (str(a), [float(x) if not isinstance(x, str) else x for x in b])
                    for a, b in dict(sp).items()
                ),
                int(k),
                int(sd),
                str(m),
            ]
        )

    values = {key(*row[:4]): row[4] for row in table}

    def sample_space(space_, n_trials, seed_, method="halton"):
        try:
            found = values.get(key(space_, n_trials, seed_, method))
        except Exception:
            found = None
        if found is None:
            return own(space_, n_trials, seed_, method)
        return [dict(c) for c in found]

    if own is not None:
        scope["sample_space"] = sample_space
    try:
        wl = ns.make_workload("breast_cancer", 0)
        trials = ns.random_search(opt_name, space, n, wl, steps, seed)
    finally:
        if own is not None:
            scope["sample_space"] = own
    return {
        "configs": [t["hparams"] for t in trials],
        "best_val": [t["best_val"] for t in trials],
        "steps_to_target": [t["steps_to_target"] for t in trials],
    }


@probe
def comparison(ns, spaces, n, steps, seed, table):
    torch.set_num_threads(1)
    scope = getattr(ns.protocol_comparison, "__globals__", None)
    own = scope.get("sample_space") if isinstance(scope, dict) else None

    def key(sp, k, sd, m):
        return repr(
            [
                sorted(
                    (str(a), [float(x) if not isinstance(x, str) else x for x in b])
                    for a, b in dict(sp).items()
                ),
                int(k),
                int(sd),
                str(m),
            ]
        )

    values = {key(*row[:4]): row[4] for row in table}

    def sample_space(space_, n_trials, seed_, method="halton"):
        try:
            found = values.get(key(space_, n_trials, seed_, method))
        except Exception:
            found = None
        if found is None:
            return own(space_, n_trials, seed_, method)
        return [dict(c) for c in found]

    if own is not None:
        scope["sample_space"] = sample_space
    try:
        wl = ns.make_workload("breast_cancer", 0)
        return ns.protocol_comparison(spaces, n, wl, steps, seed)
    finally:
        if own is not None:
            scope["sample_space"] = own


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


def _trial_problem(got, ref):
    """What is wrong with a run_trial result, in words for the student ("" if nothing):
    the evaluation steps first (a shifted schedule changes every point of the curves)."""
    tol = Tolerance(**T2)
    if not isinstance(got, dict):
        return "run_trial must return a dict"
    steps = got.get("eval_steps")
    if compare(ref["eval_steps"], steps, Tolerance(0.0, 0.0)) is not None:
        shown = escape_markdown(repr(steps)[:120])
        return (
            f"wrong evaluation steps: yours are {shown}, expected {ref['eval_steps']} "
            "(steps count from 1; evaluate right after the optimiser step of every step "
            "with step % eval_every == 0), so every point of the validation curves differs"
        )
    for key in ("val_curve", "val_acc", "steps_to_target", "best_val"):
        mismatch = compare(ref[key], got.get(key), tol)
        if mismatch is not None:
            where = escape_markdown(f"{key}{mismatch.path}")
            return (
                f"wrong {where} (evaluation steps are right): {escape_markdown(mismatch.message)}"
            )
    return ""


def test_q4_run_trial(grade):
    for i, gen in grade.cases(4):
        opt_name = ["sgd", "momentum", "adam", "momentum"][i]
        lr = round(float(10 ** (-2 + 1.5 * torch.rand(1, generator=gen))), 5)
        hp = {"lr": lr} if opt_name != "adam" else {"lr": lr / 10, "one_minus_beta2": 0.01}
        name = "digits" if i == 2 else "breast_cancer"
        seed = int(torch.randint(0, 1000, (1,), generator=gen))
        # eval_every 1 once: every step is evaluated
        eval_every = 1 if i == 3 else 5
        case = f"{name}, {opt_name} {hp}, 20 steps, eval every {eval_every}, seed {seed}"
        got, ref = grade.run_and_reference(
            trial, name, i, opt_name, hp, 20, eval_every, seed, case=case
        )
        if got is not None:
            problem = _trial_problem(got, ref)
            grade.check(not problem, case=case, message=problem)


def test_q4_random_search(grade):
    for i, gen in grade.cases(3):
        opt_name = ["sgd", "momentum", "adam"][i]
        seed = int(torch.randint(0, 100, (1,), generator=gen))
        table = grade.reference(sample_table, [[SPACES[opt_name], 3, seed, "halton"]])
        grade.compare(
            search,
            opt_name,
            SPACES[opt_name],
            3,
            20,
            seed,
            table,
            case=f"{opt_name}, 3 trials × 20 steps, seed {seed}",
            **T2,
        )
    # fewer than 10 steps: evaluation every max(1, steps // 10) = 1 step
    table = grade.reference(sample_table, [[SPACES["sgd"], 2, 5, "halton"]])
    grade.compare(
        search, "sgd", SPACES["sgd"], 2, 6, 5, table, case="sgd, 2 trials × 6 steps, seed 5", **T2
    )
    # a number of steps that is not a multiple of 10: evaluation every 19 // 10 = 1 step
    # (an integer), so the last step, 19, is evaluated
    table = grade.reference(sample_table, [[SPACES["momentum"], 2, 8, "halton"]])
    grade.compare(
        search,
        "momentum",
        SPACES["momentum"],
        2,
        19,
        8,
        table,
        case="momentum, 2 trials × 19 steps, seed 8",
        **T2,
    )


def test_q4_protocol_comparison(grade):
    spaces = {
        "lr-only": {"sgd": SPACES["sgd"], "momentum": {"lr": (1e-3, 1.0, "log")}},
        "comprehensive": {"momentum": SPACES["momentum"]},
    }
    calls = [[space, 2, 4, "halton"] for per_opt in spaces.values() for space in per_opt.values()]
    table = grade.reference(sample_table, calls)
    grade.compare(
        comparison, spaces, 2, 20, 4, table, case="2 protocols, 2 trials × 20 steps", **T2
    )
    # another seed: the trials' Halton points and training runs follow `seed`
    one = {"lr-only": {"momentum": {"lr": (1e-3, 1.0, "log")}}}
    table = grade.reference(sample_table, [[one["lr-only"]["momentum"], 2, 9, "halton"]])
    grade.compare(
        comparison, one, 2, 10, 9, table, case="1 protocol, 2 trials × 10 steps, seed 9", **T2
    )


def test_q4_sgd_subset_of_momentum(grade):
    case = "SGD ⊆ Momentum: momentum with β = 0 reproduces SGD"
    # the two curves must agree, and SGD's must be the reference's (T2, as the trajectory
    # cases): two runs that both do nothing would agree too
    got, ref = grade.run_and_reference(sgd_vs_momentum0, 0.3, case=case)
    if got is not None:
        try:
            a, b = torch.tensor(got["sgd"]), torch.tensor(got["momentum, beta=0"])
            want = torch.tensor(ref["sgd"])
            same = a.shape == b.shape == want.shape and torch.allclose(a, b, rtol=1e-10, atol=1e-12)
            right = same and torch.allclose(a, want, rtol=T2["rtol"], atol=T2["atol"])
            msg = (
                f"sgd {a.tolist()} vs momentum(β=0) {b.tolist()}"
                if not same
                else f"both give {a.tolist()}, but SGD's curve should be {want.tolist()}"
            )
        except Exception:  # not the probe's dict of curves
            right, msg = False, "could not read the two validation curves"
        grade.check(right, case=case, message=msg)
