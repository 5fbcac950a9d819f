"""hw01_linalg: the reference cross-checked against independent oracles.

Oracles: torch.nn.functional.cosine_similarity (q1); torch.matmul (q2);
torch.broadcast_shapes and the shape of an actual broadcast sum (q3); Tensor.stride(),
.t().stride(), .is_contiguous() and torch.empty_strided (q4); torch.linalg.svdvals,
torch.linalg.matrix_norm and the Eckart–Young–Mirsky bound against random rank-k
matrices (q5); the lecture's checkerboard numbers (500, 300; 73.5 % / 26.5 %).
"""

from __future__ import annotations

import itertools
import math

import matplotlib

matplotlib.use("Agg")

import pytest
import torch
import torch.nn.functional as F

from autograder.runtime.probe_helpers import figure_data
from solutions import hw01_linalg as ref

# ----------------------------------------------------------------------------- q1


@pytest.mark.parametrize("seed", range(3))
def test_cosine_matches_torch(seed):
    g = torch.Generator().manual_seed(seed)
    X = torch.randn(7, 5, generator=g, dtype=torch.float64)
    for i, j in [(0, 1), (2, 2), (3, 6)]:
        torch.testing.assert_close(
            ref.cosine_similarity(X[i], X[j]), F.cosine_similarity(X[i], X[j], dim=0)
        )
    expected = F.cosine_similarity(X[:, None, :], X[None, :, :], dim=-1)
    torch.testing.assert_close(ref.pairwise_cosine(X), expected, rtol=1e-13, atol=1e-14)


def test_temperature_days_are_similar():
    day1 = torch.tensor([20.0, 22, 25, 23, 21], dtype=torch.float64)
    day2 = torch.tensor([21.0, 22, 26, 24, 20], dtype=torch.float64)
    assert round(float(ref.cosine_similarity(day1, day2)), 3) == 0.999


# ----------------------------------------------------------------------------- q2


@pytest.mark.parametrize("shape", [(1, 1, 1), (3, 4, 2), (5, 1, 6), (7, 7, 7)])
def test_matmul_matches_torch(shape):
    m, k, n = shape
    g = torch.Generator().manual_seed(sum(shape))
    A = torch.randn(m, k, generator=g, dtype=torch.float64)
    B = torch.randn(k, n, generator=g, dtype=torch.float64)
    torch.testing.assert_close(ref.matmul_loops(A, B), A @ B, rtol=1e-13, atol=1e-14)
    torch.testing.assert_close(ref.matmul_broadcast(A, B), A @ B, rtol=1e-13, atol=1e-14)


# ----------------------------------------------------------------------------- q3


def _torch_shape(a, b):
    try:
        return tuple(torch.broadcast_shapes(a, b))
    except RuntimeError:
        return None


def test_broadcast_shape_matches_torch_exhaustively():
    # every pair of shapes with ndim ≤ 3 and sizes in {1, 2, 3}: 40 shapes, 1600 pairs
    shapes = [s for d in range(4) for s in itertools.product((1, 2, 3), repeat=d)]
    compatible = 0
    for a, b in itertools.product(shapes, shapes):
        want = _torch_shape(a, b)
        assert ref.broadcast_shape(a, b) == want, (a, b)
        compatible += want is not None
        if want is not None:
            assert tuple((torch.zeros(a) + torch.zeros(b)).shape) == want
    assert 0 < compatible < len(shapes) ** 2


def test_broadcast_shape_lecture_cases_and_zero_sizes():
    assert ref.broadcast_shape((3, 1), (4,)) == (3, 4)
    assert ref.broadcast_shape((5, 4), (4,)) == (5, 4)
    assert ref.broadcast_shape((2, 3), (3, 2)) is None
    assert ref.broadcast_shape((), ()) == ()
    assert ref.broadcast_shape((0, 1), (1, 5)) == _torch_shape((0, 1), (1, 5)) == (0, 5)


# ----------------------------------------------------------------------------- q4


def test_layout_matches_torch():
    shapes = [s for d in range(0, 5) for s in itertools.product((1, 2, 3, 5), repeat=d)]
    for shape in shapes:
        t = torch.empty(shape)
        strides = ref.row_major_strides(shape)
        assert strides == t.stride(), shape
        assert ref.is_contiguous(shape, strides)
        flat = torch.arange(math.prod(shape)).reshape(shape)
        for index in itertools.islice(itertools.product(*(range(s) for s in shape)), 30):
            assert int(flat.reshape(-1)[ref.flat_offset(index, strides)]) == int(flat[index])
    for m, n in itertools.product(range(1, 6), repeat=2):
        t = torch.empty(m, n).t()
        shape, strides = ref.transpose_layout((m, n), ref.row_major_strides((m, n)))
        assert (shape, strides) == (tuple(t.shape), t.stride())
        assert ref.is_contiguous(shape, strides) == t.is_contiguous()
        assert t.is_contiguous() == (m == 1 or n == 1)


def test_is_contiguous_matches_empty_strided():
    g = torch.Generator().manual_seed(0)
    for _ in range(300):
        ndim = int(torch.randint(1, 5, (1,), generator=g))
        shape = tuple(int(v) for v in torch.randint(1, 4, (ndim,), generator=g))
        strides = tuple(int(v) for v in torch.randint(1, 30, (ndim,), generator=g))
        if torch.rand(1, generator=g).item() < 0.5:  # permuted row-major layouts too
            perm = torch.randperm(ndim, generator=g).tolist()
            base = torch.empty(shape).permute(perm)
            shape, strides = tuple(base.shape), base.stride()
        want = torch.empty_strided(shape, strides).is_contiguous()
        assert ref.is_contiguous(shape, strides) == want, (shape, strides)


# ----------------------------------------------------------------------------- q5


def test_checkerboard_lecture_numbers():
    board = ref.checkerboard()
    S = torch.linalg.svdvals(board)
    torch.testing.assert_close(S[:2], torch.tensor([500.0, 300.0], dtype=torch.float64))
    assert float(S[2:].abs().max()) < 1e-10
    e = ref.energy(S)
    assert round(float(e[0]), 1) == 73.5 and round(float(e[1]), 1) == 26.5
    assert ref.relative_error(S, 2) < 1e-12
    torch.testing.assert_close(ref.low_rank_approx(board, 2), board, rtol=1e-13, atol=1e-12)


@pytest.mark.parametrize("seed", range(3))
def test_low_rank_is_optimal_and_matches_the_tail(seed):
    g = torch.Generator().manual_seed(seed)
    A = torch.randn(9, 6, generator=g, dtype=torch.float64)
    S = torch.linalg.svdvals(A)
    fro = float(torch.linalg.matrix_norm(A))
    assert math.isclose(fro, float(torch.linalg.vector_norm(S)), rel_tol=1e-13)  # ‖A‖_F = ‖S‖₂
    for k in range(7):
        Ak = ref.low_rank_approx(A, k)
        assert int(torch.linalg.matrix_rank(Ak)) == k
        err = float(torch.linalg.matrix_norm(A - Ak))
        assert math.isclose(err, math.sqrt(float((S[k:] ** 2).sum())), rel_tol=1e-10, abs_tol=1e-12)
        assert math.isclose(ref.relative_error(S, k), err / fro, rel_tol=1e-10, abs_tol=1e-14)
        for _ in range(5):
            B = torch.randn(9, k, generator=g, dtype=torch.float64) @ torch.randn(
                k, 6, generator=g, dtype=torch.float64
            )
            assert err <= float(torch.linalg.matrix_norm(A - B)) + 1e-12
    assert math.isclose(float(ref.energy(S).sum()), 100.0, rel_tol=1e-14)


# ----------------------------------------------------------------------------- q6


def test_figures_carry_the_data():
    S = torch.tensor([4.0, 2.0, 1.0], dtype=torch.float64)
    data = figure_data(ref.plot_svd_spectrum({"m": S}))
    assert data["n_axes"] == 2
    left, right = data["axes"]
    assert left["yscale"] == right["yscale"] == "log"
    assert left["lines"][0]["x"] == [1.0, 2.0, 3.0] and left["lines"][0]["y"] == [1.0, 0.5, 0.25]
    assert right["lines"][0]["x"] == [0.0, 1.0, 2.0]
    assert right["lines"][0]["y"] == pytest.approx([1.0, math.sqrt(5 / 21), math.sqrt(1 / 21)])
    data = figure_data(ref.plot_timing([8, 16], {"a": [1.0, 8.0], "b": [0.1, float("nan")]}))
    ax = data["axes"][0]
    assert ax["xscale"] == ax["yscale"] == "log" and ax["has_xlabel"] and ax["has_ylabel"]
    assert [line["label"] for line in ax["lines"]] == ["a", "b"]


def test_digit_loader():
    images, labels = ref.load_digit_images()
    assert images.shape == (1797, 64) and images.dtype == torch.float64
    assert labels.shape == (1797,) and set(labels.tolist()) == set(range(10))
    assert float(images.min()) == 0.0 and float(images.max()) == 16.0
