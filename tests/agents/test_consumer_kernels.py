"""The tuned consumer kernels agree with their plain forms (bit for bit where claimed)."""

from __future__ import annotations

import copy

import numpy as np
import pytest
from helpers import small_scenario

from village_sim.agents import consumers as consumer_module
from village_sim.agents.consumers import (
    PAIRWISE_LEAF,
    ConsumerPopulation,
    _row_sums,
    _sum_of_products,
    choice_plain,
)
from village_sim.model import VillageMarket


def test_choice_kernel_equals_the_logit_formula_every_week(monkeypatch):
    """Over 12 weeks of a county, the blocked in-place kernel gives the formula's numbers."""
    checked = []
    kernel = ConsumerPopulation.choose_offers

    def both(self, offers, slot_of, seller, stall_keep):
        rng = copy.deepcopy(self.rng)
        viewers, buyers = choice_plain(self, offers, slot_of, seller, stall_keep, rng)
        got_viewers, got_buyers = kernel(self, offers, slot_of, seller, stall_keep)
        assert got_viewers.dtype == viewers.dtype == np.float32
        assert got_viewers.tobytes() == viewers.tobytes()
        assert np.array_equal(got_buyers, buyers)
        assert self.rng.bit_generator.state == rng.bit_generator.state  # same draws used
        checked.append(int(buyers.sum()))
        return got_viewers, got_buyers

    monkeypatch.setattr(ConsumerPopulation, "choose_offers", both)
    monkeypatch.setattr(consumer_module, "UNIT_BLOCK", 700)  # several uneven blocks
    model = VillageMarket(small_scenario(), seed=2)
    for _ in range(12):
        model.step()
    assert len(checked) >= 10 and sum(checked) > 0


@pytest.mark.parametrize("k", range(1, 13))
def test_row_sums_equal_numpy_sum_bit_for_bit(k):
    v = np.random.default_rng(k).random((999, k)).astype(np.float32) * 1e3
    assert _row_sums(v).tobytes() == v.sum(axis=1).tobytes()


@pytest.mark.parametrize("n", [0, 1, 129, 1000, PAIRWISE_LEAF + 7, 3 * PAIRWISE_LEAF + 1000])
def test_sum_of_products_equals_numpy_bit_for_bit(n):
    rng = np.random.default_rng(n)
    a = rng.integers(0, 60, n)
    b = rng.random(n).astype(np.float32)
    assert _sum_of_products(a, b) == (a * b).sum()


def test_onlookers_running_total_equals_the_formula(monkeypatch):
    model = VillageMarket(small_scenario(), seed=1)
    population = model.consumers
    rng = np.random.default_rng(0)
    viewers = rng.random(5003).astype(np.float32) * 5
    buyers = np.where(rng.random(5003) < 0.2, rng.integers(0, 7, 5003), 0)
    line = np.flatnonzero(buyers)
    monkeypatch.setattr(consumer_module, "OFFER_BLOCK", 1000)
    got = population._onlooker_cumsum(viewers, buyers, line)
    assert got.tobytes() == np.cumsum(np.maximum(viewers - buyers, 0.0)).tobytes()
