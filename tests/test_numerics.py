"""Exact helpers of ``village_sim.numerics`` give NumPy's and Python's numbers bit for bit."""

from __future__ import annotations

import math

import numpy as np
import pytest

from village_sim.numerics import EXACT_SUM_SMALL, exact_sum


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
