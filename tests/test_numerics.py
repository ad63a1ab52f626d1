"""Exact helpers of ``village_sim.numerics`` give NumPy's and Python's numbers bit for bit."""

from __future__ import annotations

import math

import numpy as np
import pytest

from village_sim.numerics import (
    EXACT_SUM_SMALL,
    combine_pairwise,
    exact_sum,
    pairwise_leaves,
)


def _samples(kind: str, n: int, rng: np.random.Generator) -> np.ndarray:
    """Numbers that stress a sum: wide exponents, both signs, cancellation, ties, subnormals."""
    if kind == "incomes":
        return rng.lognormal(8.0, 1.5, n) * rng.choice([-1.0, 1.0], n, p=[0.05, 0.95])
    if kind == "rank-weighted":  # the Gini's second sum: large terms of both signs
        x = np.sort(rng.lognormal(8.0, 1.0, n))
        return (2.0 * np.arange(1, n + 1) - n - 1) * x
    if kind == "cancelling":
        y = rng.normal(0.0, 1.0, n // 2)
        x = np.concatenate([y, -y, rng.normal(0.0, 1e-12, n - 2 * (n // 2))])
        return rng.permutation(x)
    if kind == "all exponents":
        return rng.random(n) * 2.0 ** rng.integers(-1074, 1000, n) * rng.choice([-1.0, 1.0], n)
    if kind == "ties":  # halves of the last place: the round-to-even cases
        return np.concatenate([[2.0**53], np.full(n - 1, 1.0)])
    return np.round(rng.normal(0.0, 1e4, n), 2)  # yuan with fen


@pytest.mark.parametrize(
    "kind", ["incomes", "rank-weighted", "cancelling", "all exponents", "ties", "fen"]
)
@pytest.mark.parametrize("n", [EXACT_SUM_SMALL - 1, EXACT_SUM_SMALL, 3_000, 30_001])
def test_exact_sum_is_math_fsum(kind, n):
    rng = np.random.default_rng(n)
    for _ in range(5):
        x = _samples(kind, n, rng)
        got, want = exact_sum(x), math.fsum(x.tolist())
        assert got == want and math.copysign(1.0, got) == math.copysign(1.0, want)


@pytest.mark.parametrize(
    "values",
    [[], [0.0] * 100, [-0.0] * 100, [1.0, -1.0] * 50, [math.inf] + [1.0] * 99],
)
def test_exact_sum_special_cases_are_math_fsum(values):
    got, want = exact_sum(np.array(values)), math.fsum(values)
    assert got == want and math.copysign(1.0, got) == math.copysign(1.0, want)


@pytest.mark.parametrize("n", [1, 7, 8, 128, 129, 600, 2_000, 20_000, 200_000])
def test_pairwise_leaves_rebuild_numpys_sum(n):
    """Leaf sums (each ``np.add.reduce`` of its slice, or of equal-length leaves as rows) added up
    by ``combine_pairwise`` give ``np.add.reduce`` of the whole array, bit for bit."""
    rng = np.random.default_rng(n)
    starts, lengths = pairwise_leaves(n)
    assert starts[0] == 0 and (starts[1:] == starts[:-1] + lengths[:-1]).all()
    assert lengths.sum() == n and lengths.max() <= 128
    for kind in ("incomes", "cancelling", "all exponents"):
        x = _samples(kind, n, rng)
        leaves = np.array(
            [np.add.reduce(x[a : a + m]) for a, m in zip(starts, lengths, strict=True)]
        )
        assert combine_pairwise(leaves) == np.add.reduce(x)
        for m in np.unique(lengths):
            rows = x[starts[lengths == m, None] + np.arange(m)]
            assert np.array_equal(np.add.reduce(rows, axis=1), leaves[lengths == m])


@pytest.mark.parametrize("n", [249, 500, 123_457])
def test_pairwise_leaves_refuses_an_irregular_tree(n):
    """Where NumPy's leaves lie at different depths, adjacent pairs
    are not siblings: no leaves are offered, and callers sum the whole array."""
    assert pairwise_leaves(n) is None
