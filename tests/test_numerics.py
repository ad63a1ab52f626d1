"""Exact helpers of ``village_sim.numerics`` give NumPy's and Python's numbers bit for bit."""

from __future__ import annotations

import math

import numpy as np
import pytest

from village_sim.numerics import EXACT_SUM_SMALL, cumsum_whole, exact_sum


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


def _float32_counts(n: int, rng: np.random.Generator) -> np.ndarray:
    """Onlookers as choice makes them: float32 viewers (a stall keep of 0.5-1 times the viewers
    per offer), whole buyers taken off some, at least 0."""
    keep = (0.5 + 0.5 * rng.random(n)).astype(np.float32)
    viewers = (keep * np.float32(2.5)).astype(np.float64)
    buyers = np.where(rng.random(n) < 0.1, rng.integers(0, 4, n), 0)
    return np.maximum(viewers - buyers, 0.0)


@pytest.mark.parametrize("n", [1, 7, 1000, 120_000, 1_200_001])
def test_cumsum_whole_is_numpy_cumsum_where_it_applies(n):
    rng = np.random.default_rng(n)
    values = _float32_counts(n, rng)
    values[rng.random(n) < 0.3] = 0.0
    want = np.cumsum(values)
    got = values.copy()
    assert cumsum_whole(got) == (values.sum() > 0)
    if values.sum() > 0:
        assert got.tobytes() == want.tobytes()


@pytest.mark.parametrize(
    "case",
    ["float64 fractions", "negative", "negative zero", "all zero", "nan", "huge total"],
)
def test_cumsum_whole_declines_and_leaves_the_numbers(case):
    """Where running totals could round (or zeros carry a sign), it writes nothing."""
    rng = np.random.default_rng(1)
    values = _float32_counts(1000, rng)
    if case == "float64 fractions":
        values[500] = 1 / 3
    elif case == "negative":
        values[3] = -0.5
    elif case == "negative zero":
        values[0] = -0.0
    elif case == "all zero":
        values[:] = 0.0
    elif case == "nan":
        values[9] = np.nan
    else:
        values[9] = 2.0**51
    before = values.copy()
    assert not cumsum_whole(values)
    assert values.tobytes() == before.tobytes()
