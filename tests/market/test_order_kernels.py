"""Rationing order lines: the integer-key sort equals lexsort by (seller, draw)."""

from __future__ import annotations

import numpy as np
import pytest

from village_sim.market.orders import ration, seller_then_random


@pytest.mark.parametrize("n", [0, 1, 50, 5000])
def test_seller_then_random_equals_lexsort(n):
    rng = np.random.default_rng(n)
    seller = rng.integers(0, 40, n)
    u = rng.random(n)
    assert np.array_equal(seller_then_random(seller, u), np.lexsort((u, seller)))


def test_ties_and_large_sellers_fall_back_to_lexsort():
    seller = np.array([3, 1, 3, 1, 2000])
    u = np.array([0.5, 0.5, 0.5, 0.25, 0.1])
    assert np.array_equal(seller_then_random(seller, u), np.lexsort((u, seller)))


def test_rationing_never_exceeds_stock_and_fills_in_full_until_it_runs_out():
    rng = np.random.default_rng(1)
    seller = rng.integers(0, 5, 300)
    wanted = rng.integers(1, 6, 300)
    capacity = np.array([0, 10, 50, 1000, 37])
    filled = ration(seller, wanted, capacity, rng)
    for s in range(5):
        mine = seller == s
        assert filled[mine].sum() == min(capacity[s], wanted[mine].sum())
        assert (filled[mine] <= wanted[mine]).all()
        partial = (filled[mine] > 0) & (filled[mine] < wanted[mine])
        assert partial.sum() <= 1  # lines are served whole until stock runs out
