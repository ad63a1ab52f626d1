"""The anchor's sourcing kernels in plain Python agree with their array formulas (project rule)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from village_sim.agents.anchor import best_source_cell, best_source_cell_plain
from village_sim.model import VillageMarket
from village_sim.run import load_scenario

ROOT = Path(__file__).resolve().parents[2]


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


@pytest.mark.parametrize("name", ["baseline", "co_governance"])
def test_one_cell_net_value_and_offer_agree_with_the_array_formulas(name: str):
    """``net_value_per_kg`` and ``offer_price`` (one cell, scalars) against ``net_values`` and
    ``offers`` (every village and product), for local, farmer and city anchors, with and without a
    minimum farmer share."""
    scenario = load_scenario(ROOT / "scenarios" / f"{name}.yaml", overrides={"steps": 16})
    model = VillageMarket(scenario, seed=2)
    kinds = set()
    for _ in range(16):
        model.step()
        villages = np.arange(model.world.n_villages)
        for a in model.anchors:
            net = a.net_values(villages)
            offers = model.contracts.offers(a, villages)
            for v in villages.tolist():
                for p in range(len(model.products)):
                    assert a.net_value_per_kg(p, v) == net[v, p]
                assert model.contracts.offer_price(a, v) == offers[v, a.product]
            kinds.add(a.kind)
    assert kinds == {"local", "farmer", "external"}
    if name == "co_governance":
        assert model.governance.min_farmer_share() > 0
