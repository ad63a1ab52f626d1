"""Consumers: trust and following (MODEL.md §3)."""

from __future__ import annotations

import numpy as np
import pytest
from helpers import small_scenario

from village_sim.agents import consumers as consumers_module
from village_sim.agents.consumers import KEPT_SUMS_MIN_UNITS, _EmptySeeding
from village_sim.model import VillageMarket


def test_trust_moves_toward_experience():
    model = VillageMarket(small_scenario(), seed=0)
    consumers = model.consumers
    units = np.array([0, 1])
    anchors = np.array([0, 0])
    consumers.follow_anchor[units, 0] = 0
    consumers.follow_people[units, 0] = 10
    consumers.follow_trust[units, 0] = 0.5
    consumers.experience(units, anchors, np.array([0, 0]), np.array([1.0, 0.0]), np.array([0, 0]))
    assert consumers.follow_trust[0, 0] > 0.5 > consumers.follow_trust[1, 0]


@pytest.mark.parametrize("seed, slots", [(0, 8), (1, 3), (2, 1), (3, 5)])
def test_seeding_many_anchors_at_once_equals_adding_them_one_by_one(seed, slots):
    """Initial followings of external anchors are seeded together; the slots must end up as if
    each anchor were added in turn (first free slot, then the first weakest one)."""
    scenario = small_scenario(population__external_anchors=0, consumers__follow_slots=slots)
    together = VillageMarket(scenario, seed=seed).consumers
    one_by_one = VillageMarket(scenario, seed=seed).consumers
    rng = np.random.default_rng(seed)
    n_anchors = 12
    people = rng.integers(0, 6, size=(together.n, n_anchors)) * (rng.random((together.n, 1)) < 0.9)
    people[: together.n // 3] = 1  # ties: a newcomer with as many people as the weakest stays out
    anchors = np.arange(n_anchors) + 3
    seeding = _EmptySeeding(together)
    for j, anchor in enumerate(anchors):
        seeding.add(anchor, people[:, j], 0.7)
    for j, anchor in enumerate(anchors):
        units = np.flatnonzero(people[:, j] > 0)
        one_by_one.add_follows(
            units, np.full(units.size, anchor), people[units, j], np.full(units.size, 0.7)
        )
    for name in ("follow_anchor", "follow_people", "follow_trust"):
        assert np.array_equal(getattr(together, name), getattr(one_by_one, name)), name
    assert np.array_equal(together.followers(20), one_by_one.followers(20))
    assert (together.follow_anchor >= 0).all(axis=1).any()  # some units filled every slot


@pytest.mark.parametrize("kept_from", [0, KEPT_SUMS_MIN_UNITS])
def test_village_brand_trust_reads_the_same_numbers_as_the_column(monkeypatch, kept_from):
    """The village-major copy of brand trust stays equal to ``brand_trust`` through a run, and
    ``T_v`` read from it equals the column's formula exactly (a stale copy would change plans),
    with kept partial sums (as a province) and from whole rows (as a county)."""
    monkeypatch.setattr(consumers_module, "KEPT_SUMS_MIN_UNITS", kept_from)
    model = VillageMarket(small_scenario(), seed=4)
    consumers = model.consumers
    assert (consumers._village_sums is not None) == (kept_from == 0)  # 2,000 units
    n_v = model.world.n_villages
    moved = 0
    for _ in range(12):
        before = consumers.brand_trust.copy()
        model.step()
        moved += int((consumers.brand_trust != before).sum())
        assert np.array_equal(consumers._brand_trust_by_village, consumers.brand_trust.T)
        for v in range(n_v):
            assert consumers.village_brand_trust(v) == consumers.village_brand_trust_plain(v)
    assert moved > 0
    assert consumers._people_each is not None  # units of one size: one weight for all
    each, consumers._people_each = consumers._people_each, None
    consumers.forget_village_trust()  # recompute with a weight per unit
    for v in range(n_v):
        assert consumers.village_brand_trust(v) == consumers.village_brand_trust_plain(v)
    consumers._people_each = each
    units, villages = np.array([0, 1, 0]), np.array([0, 1, 0])  # a cell twice: the last write
    consumers.experience(units, np.array([0, 0, 0]), villages, np.array([1.0, 0.0, 0.2]), units)
    assert np.array_equal(consumers._brand_trust_by_village, consumers.brand_trust.T)


def test_village_brand_trust_of_an_irregular_population_sums_whole_rows(monkeypatch):
    """500 units: NumPy's sum tree is irregular, so T_v sums the village's whole row each week
    even where kept sums are allowed — the same numbers as the formula."""
    monkeypatch.setattr(consumers_module, "KEPT_SUMS_MIN_UNITS", 0)
    model = VillageMarket(small_scenario(population__consumer_units=500), seed=4)
    consumers = model.consumers
    assert consumers._village_sums is None
    for _ in range(6):
        model.step()
        for v in range(model.world.n_villages):
            assert consumers.village_brand_trust(v) == consumers.village_brand_trust_plain(v)
