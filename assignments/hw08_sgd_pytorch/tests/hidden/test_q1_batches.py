import torch

from autograder.testing import T0, probe


@probe
def epoch_of(ns, n, b, seed, drop_last):
    g = torch.Generator().manual_seed(seed)
    return [x.clone() for x in ns.epoch_batches(n, b, g, drop_last=drop_last)]


@probe
def two_epochs(ns, n, b, seed):
    g = torch.Generator().manual_seed(seed)
    first = [x.clone() for x in ns.epoch_batches(n, b, g)]
    second = [x.clone() for x in ns.epoch_batches(n, b, g)]
    return {"first": first, "second": second}


@probe
def with_replacement(ns, n, b, k, seed):
    g = torch.Generator().manual_seed(seed)
    return [x.clone() for x in ns.replacement_batches(n, b, k, g)]


def test_q1_epoch_batches(grade):
    for i, gen in grade.cases(5):
        n = int(torch.randint(5, 40, (1,), generator=gen))
        b = int(torch.randint(1, 12, (1,), generator=gen))
        seed = int(torch.randint(0, 10**6, (1,), generator=gen))
        drop = i % 2 == 1
        grade.compare(epoch_of, n, b, seed, drop, case=f"n={n}, batch {b}, drop_last={drop}", **T0)
    # drop_last at the boundaries: a batch size that divides n (nothing to drop), and a
    # remainder of one index (a short batch of size 1 to drop)
    for n, b in [(12, 4), (13, 4), (14, 4)]:
        grade.compare(epoch_of, n, b, 5, True, case=f"n={n}, batch {b}, drop_last=True", **T0)


def _varied(indices):
    """Whether the batches hold two different indices (so no constant answer matches)."""
    return len({i for batch in indices for i in batch.tolist()}) > 1


def test_q1_replacement_batches(grade):
    for _, gen in grade.cases(4):
        n = int(torch.randint(3, 30, (1,), generator=gen))
        b = int(torch.randint(1, 10, (1,), generator=gen))
        k = int(torch.randint(1, 6, (1,), generator=gen))
        seed = int(torch.randint(0, 10**6, (1,), generator=gen))
        # a draw of one repeated index (n=23, one batch of 1, say) would credit a tensor of
        # zeros: redraw the seed (on the trusted side, from the reference's draws) until the
        # case's indices vary; the first seed nearly always does, for n >= 3 and b·k >= 2
        if b * k == 1:
            k = 2
        for _ in range(20):
            if _varied(grade.reference(with_replacement, n, b, k, seed)):
                break
            seed = int(torch.randint(0, 10**6, (1,), generator=gen))
        grade.compare(with_replacement, n, b, k, seed, case=f"n={n}, batch {b}, {k} batches", **T0)


def test_q1_epoch_properties(grade):
    # no reference needed: each index once per epoch, right sizes, epochs differ
    for n, b in [(10, 3), (32, 8), (7, 10)]:
        case = f"properties, n={n}, batch {b}"
        got = grade.run(two_epochs, n, b, 123, case=case)
        if got is None:
            continue
        ok, msg = True, ""
        try:
            for name in ("first", "second"):
                idx = torch.cat(list(got[name])).tolist()
                if sorted(idx) != list(range(n)):
                    ok, msg = False, f"{name} epoch does not use every index exactly once"
                sizes = [len(x) for x in got[name]]
                want = [min(b, n - s) for s in range(0, n, b)]
                if ok and sizes != want:
                    ok, msg = False, f"batch sizes {sizes}, expected {want}"
            if ok and n > 3 and torch.equal(torch.cat(got["first"]), torch.cat(got["second"])):
                ok, msg = False, "two epochs from one generator gave the same order"
        except Exception as e:  # malformed output
            ok, msg = False, f"could not read the batches: {e}"
        grade.check(ok, case=case, message=msg)
