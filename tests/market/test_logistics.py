"""Logistics: spoilage, cold chain, hub capacity (paper §3.2, §4.2)."""

from __future__ import annotations

import numpy as np
from helpers import small_scenario

from village_sim.market.logistics import Logistics, record_flows_plain, spoilage_fraction
from village_sim.model import VillageMarket
from village_sim.run import run


def test_spoilage_grows_with_days_and_falls_with_cold():
    days = np.array([1.0, 2, 4, 8])
    ambient = spoilage_fraction(0.06, days, np.ones(4))
    cold = spoilage_fraction(0.06, days, np.full(4, 0.1))
    assert np.all(np.diff(ambient) > 0)
    assert np.all(cold < ambient)


def test_cold_chain_cuts_spoilage_in_a_run():
    kwargs = {
        "steps": 52,
        "world__county__products_by_terrain": {
            "plain": ["kiwi"],
            "hill": ["shiitake"],
            "mountain": ["shiitake"],
        },
    }
    none = run(small_scenario(**kwargs, world__county__cold_chain_village_share=0.0), seed=2)
    full = run(
        small_scenario(
            **kwargs,
            world__county__cold_chain_village_share=1.0,
            logistics__hub_cold_capacity_kg_week=1e9,
        ),
        seed=2,
    )
    assert none.indicators["spoilage_rate_cold_chain"] is None
    assert full.indicators["spoilage_rate"] < none.indicators["spoilage_rate"]
    assert (
        full.indicators["spoilage_rate_cold_chain"] < none.indicators["spoilage_rate_no_cold_chain"]
    )


def test_hub_capacity_makes_parcels_wait_and_spoil_more():
    fresh = {
        "world__county__products_by_terrain": {
            "plain": ["kiwi"],
            "hill": ["shiitake"],
            "mountain": ["shiitake"],
        }
    }
    roomy = run(small_scenario(steps=40, **fresh), seed=6)
    shipped = roomy.model.books.stats_frame()["fresh_shipped_kg"]
    tight_capacity = float(shipped[shipped > 0].median()) * 0.5
    tight = run(
        small_scenario(steps=40, logistics__hub_capacity_kg_week=tight_capacity, **fresh), seed=6
    )
    assert sum(h.queued_kg for h in tight.model.hubs) > 0
    assert tight.indicators["spoilage_rate"] > roomy.indicators["spoilage_rate"]


def test_remembered_origin_spoilage_equals_the_formula_every_week():
    """The week's remembered spoilage shares follow the cold storage shares as they change."""
    model = VillageMarket(small_scenario(), seed=1)
    logistics = model.logistics
    perish = sorted({p.perishability_per_day for p in model.products})
    seen = set()
    for _ in range(6):
        model.step()
        for village in range(model.world.n_villages):
            for p in perish:
                share = logistics.origin_spoilage(p, village)
                assert share == logistics.origin_spoilage_plain(p, village)
                seen.add(share)
    assert len(seen) > len(perish)  # the shares differ by village and week


def test_flows_by_road_and_place_equal_the_shipment_loop_every_week(monkeypatch):
    """The roads' and places' kilograms (arrays, one ``np.add.at`` a week) are the numbers of
    the loop over shipments, in the same order, and the roads keep the direction of first use."""
    model = VillageMarket(small_scenario(), seed=3)
    logistics = model.logistics
    edge_kg, node_kg, shipped = {}, {}, []
    kernel = Logistics._record_flows

    def both(self, q):
        kernel(self, q)
        record_flows_plain(edge_kg, node_kg, q, self.model.world.route_paths, self._route_edges)
        shipped.append(q["grams"].size)

    monkeypatch.setattr(Logistics, "_record_flows", both)
    for _ in range(20):
        model.step()
        assert list(logistics.edge_flow_kg.items()) == list(edge_kg.items())
        assert list(logistics.node_flow_kg.items()) == list(node_kg.items())
    assert sum(shipped) > 50 and len(edge_kg) > 3
    assert set(logistics.edge_direction) == set(edge_kg)
