import torch

from autograder.testing import probe

# Tokens for random emails: mixed case, punctuation, the five spam words in several
# spellings (only the exact lower-cased token counts), and "www" inside links.
VOCAB = [
    "hello", "Hi", "team,", "meeting", "tomorrow", "REPORT", "notes", "lunch?", "Thanks!",
    "urgent", "URGENT", "Urgent!", "buy", "Buy", "money", "MONEY", "won", "WON", "free",
    "Free", "free!", "prize", "CLICK", "now!!", "www.deal.com", "WWW.Prize.biz",
    "visit:www.x.org", "wwwhat", "a", "I", "!", "!!!", "Act", "NOW", "offer.", "9am",
]  # fmt: skip


@probe
def features(ns, email):
    torch.set_num_threads(1)
    return ns.extract_features(email)


@probe
def matrix_and_rows(ns, emails, order):
    torch.set_num_threads(1)
    M = ns.feature_matrix(emails)
    rows = torch.stack([ns.extract_features(e) for e in emails])
    permuted = ns.feature_matrix([emails[i] for i in order])
    return {"matrix": M, "rows": rows, "permuted": permuted}


def _random_email(gen):
    n_tokens = int(torch.randint(1, 14, (1,), generator=gen))
    idx = torch.randint(0, len(VOCAB), (n_tokens,), generator=gen).tolist()
    seps = torch.randint(0, 3, (n_tokens,), generator=gen).tolist()
    out = ""
    for i, s in zip(idx, seps):
        out += VOCAB[i] + [" ", "  ", "\n"][s]
    return out.rstrip() or "x"


FIXED = [
    "URGENT! You have WON a FREE prize! Claim it at www.prize.com!!!",
    "Hi team, the meeting is moved to 3pm tomorrow. Are you free for lunch? Thanks!",
]

# Counts (i)-(iii) are integers; (iv) and (v) are ratios in float32: one float32 ulp of a
# number below 1 is at most 6e-8, so atol 1e-7 accepts any order of float32/float64 division.
ATOL = {"rtol": 0.0, "atol": 1e-7}
# Named in every case, so that "index (1,)" in the feedback reads as a feature.
ORDER = "features [0] '!' count, [1] spam words, [2] www tokens, [3] caps ratio, [4] len/500"


def test_q1_random_emails(grade):
    for _i, gen in grade.cases(6):
        email = _random_email(gen)
        grade.compare(features, email, case=f"email {email!r} ({ORDER})", **ATOL)


def test_q1_lecture_emails(grade):
    for email in FIXED:
        grade.compare(features, email, case=f"email {email!r} ({ORDER})", **ATOL)


def test_q1_feature_matrix(grade):
    # case 0 is a single email: the result is (1, 5), not (5,)
    for i, gen in grade.cases(4):
        n = 1 if i == 0 else int(torch.randint(2, 7, (1,), generator=gen))
        emails = [_random_email(gen) for _ in range(n)]
        order = torch.randperm(n, generator=gen).tolist()
        case = f"feature_matrix of {n} random email{'s' if n > 1 else ''} (case {i})"
        got, ref = grade.run_and_reference(matrix_and_rows, emails, order, case=case)
        if got is None:
            continue
        ref = ref["matrix"]
        got = got if isinstance(got, dict) else {}
        M, rows, perm = (got.get(k) for k in ("matrix", "rows", "permuted"))
        ok_shape = isinstance(M, torch.Tensor) and M.shape == (n, 5) and M.dtype == torch.float32
        if not ok_shape:  # the values case, failed on the shape
            grade.check(
                False,
                case=case + ": values",
                message=f"expected a float32 tensor of shape ({n}, 5), got "
                f"{getattr(M, 'dtype', type(M).__name__)} {tuple(getattr(M, 'shape', ()))}",
            )
            continue
        bad = (~((M - ref).abs() <= 1e-7)).nonzero().tolist()  # nan counts as wrong
        grade.check(
            not bad,
            case=case + ": values",
            message="feature_matrix differs from the expected features"
            + (
                f", first at row {bad[0][0]}, column {bad[0][1]} ({ORDER}): "
                f"expected {ref[bad[0][0], bad[0][1]].item()}, got {M[bad[0][0], bad[0][1]].item()}"
                if bad
                else ""
            ),
        )
        # the two properties count only with the right values (zeros have both)
        later = "" if not bad else " (checked once the values above are right)"
        grade.check(
            not bad and isinstance(rows, torch.Tensor) and torch.equal(M, rows),
            case=case + ": row i is extract_features(emails[i])",
            message="feature_matrix(emails)[i] differs from extract_features(emails[i])" + later,
        )
        grade.check(
            not bad and isinstance(perm, torch.Tensor) and torch.equal(perm, M[order]),
            case=case + ": permuting the emails permutes the rows",
            message=f"feature_matrix of the emails in the order {order} is not the rows of "
            "feature_matrix(emails) in that order" + later,
        )
