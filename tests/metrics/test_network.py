"""The market network view (MODEL.md §2)."""

from __future__ import annotations

from helpers import small_scenario

from village_sim.model import VillageMarket


def test_market_network_views_agree_with_the_arrays():
    from village_sim.metrics.network import follow_matrix, market_graph, supply_matrix

    model = VillageMarket(small_scenario(steps=30), seed=5)
    for _ in range(30):
        model.step()
    supply = supply_matrix(model)
    follows = follow_matrix(model)
    contracted = (model.farmers.contract_anchor >= 0) | (model.farmers.stream_anchor >= 0)
    assert supply.nnz == contracted.sum()
    assert follows.sum() == model.consumers.follow_people[model.consumers.follow_anchor >= 0].sum()
    graph = market_graph(model)
    supply_edges = sum(d["weight"] for u, _, d in graph.edges(data=True) if u[0] == "village")
    live = [a.index for a in model.anchor_list if not a.exited]
    assert supply_edges == supply[:, live].sum()
