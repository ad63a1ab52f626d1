"""The anchor's sourcing choice in plain Python agrees with its array formula (project rule)."""

from __future__ import annotations

import numpy as np
import pytest

from village_sim.agents.anchor import best_source_cell, best_source_cell_plain


def _case(rng: np.random.Generator, rows: int, products: int):
    """A random reach: margins of both signs, empty stores, ties, some lots in stock."""
    margin = rng.choice([-1.0, 0.0, 0.5, 1.0, 2.5], size=(rows, products))
    available = rng.choice([0.0, 300.0, 1000.0, 5000.0], size=(rows, products))
    grows = rng.random((rows, products)) < 0.7
    columns = sorted(rng.choice(products, size=rng.integers(1, products + 1), replace=False))
    need_all = np.zeros(products)
    need_all[columns] = rng.choice([0, 200, 1000, 2**62], size=len(columns))
    villages = rng.permutation(50)[:rows]
    lot_all = np.where(rng.random(products) < 0.3, rng.choice(villages, size=products), -1)
    return margin, available, grows, columns, need_all, villages, lot_all


@pytest.mark.parametrize("seed", range(200))
def test_best_source_cell_agrees_with_the_array_formula(seed: int):
    rng = np.random.default_rng(seed)
    rows, products = int(rng.integers(1, 13)), int(rng.integers(1, 5))
    margin, available, grows, columns, need_all, villages, lot_all = _case(rng, rows, products)
    buyable = grows & (margin > 0)
    ok = buyable & (need_all[None, :] > 0)
    ok &= (lot_all[None, :] < 0) | (villages[:, None] == lot_all[None, :])
    expected = best_source_cell_plain(ok, margin, available, need_all)
    got = best_source_cell(
        buyable,
        margin,
        available,
        columns,
        [float(need_all[p]) for p in columns],
        [int(lot_all[p]) for p in columns],
        villages,
    )
    assert got == expected


def test_best_source_cell_breaks_ties_by_the_first_village_then_product():
    margin = np.ones((2, 2))
    available = np.full((2, 2), 100.0)
    buyable = np.ones((2, 2), dtype=bool)
    assert best_source_cell(buyable, margin, available, [0, 1], [50.0, 50.0], [-1, -1]) == (0, 0)
    assert best_source_cell(buyable, margin, available, [1], [50.0], [-1]) == (0, 1)
    # product 0's lot comes from the second village: only there may more of it be bought
    villages = np.array([7, 9])
    assert best_source_cell(buyable, margin, available, [0], [50.0], [9], villages) == (1, 0)
    assert best_source_cell(buyable, -margin, available, [0, 1], [50.0, 50.0], [-1, -1]) is None
