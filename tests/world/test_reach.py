"""Sourcing reach (ECONOMICS.md §A): each village and its nearest villages by road km."""

from __future__ import annotations

import networkx as nx
import numpy as np
import pytest
from helpers import small_scenario

from village_sim.model import VillageMarket
from village_sim.world.graph import build_graph
from village_sim.world.reach import village_reach


def _roads() -> nx.Graph:
    """Five villages (nodes 0-4) on two townships (10, 11) joined by a 30 km road; node 5 alone."""
    g = nx.Graph()
    g.add_edge(0, 10, km=2.0)
    g.add_edge(1, 10, km=5.0)
    g.add_edge(2, 10, km=9.0)
    g.add_edge(3, 11, km=1.0)
    g.add_edge(4, 11, km=4.0)
    g.add_edge(10, 11, km=30.0)
    g.add_edge(0, 1, km=1.5)  # a village road shorter than the way round the township
    g.add_node(5)
    return g


def test_reach_is_the_village_then_its_nearest_villages_by_road_km():
    reach = village_reach(_roads(), [0, 1, 2, 3, 4, 5], k=3)
    assert reach.villages[0].tolist() == [0, 1, 2, 3]
    assert reach.km[0].tolist() == [0.0, 1.5, 11.0, 33.0]
    assert reach.villages[3].tolist() == [3, 4, 0, 1]
    assert reach.km[3].tolist() == [0.0, 5.0, 33.0, 34.5]
    villages, km = reach.of(5)  # not connected to anything: only itself
    assert villages.tolist() == [5] and km.tolist() == [0.0]


def test_reach_of_fewer_villages_than_k_is_padded():
    reach = village_reach(_roads(), [0, 1], k=3)
    assert reach.villages.tolist() == [[0, 1, -1, -1], [1, 0, -1, -1]]
    assert np.isinf(reach.km[:, 2:]).all()
    assert reach.of(1)[0].tolist() == [1, 0]


@pytest.mark.parametrize("k", [0, 3, 5])
def test_reach_matches_dijkstra_on_a_generated_county(k):
    scenario = small_scenario(**{"world.county.villages": 9})
    graph = build_graph(scenario, seed=4)
    villages = sorted(n for n, d in graph.nodes(data=True) if d["kind"] == "village")
    reach = village_reach(graph, villages, k=k)
    for v, node in enumerate(villages):
        dist = nx.single_source_dijkstra_path_length(graph, node, weight="km")
        expected = sorted(
            ((dist[other], w) for w, other in enumerate(villages) if w != v and other in dist)
        )[:k]
        assert reach.villages[v, 0] == v and reach.km[v, 0] == 0
        assert reach.km[v, 1:].tolist() == pytest.approx([d for d, _ in expected])
        assert reach.villages[v, 1:].tolist() == [w for _, w in expected]


def test_reach_products_are_the_products_grown_in_reach():
    model = VillageMarket(small_scenario(), seed=2)
    world = model.world
    for v in range(world.n_villages):
        villages, _ = world.reach.of(v)
        grown = sorted({p for w in villages for p in world.village_products[w]})
        assert world.reach_products[v] == grown
        assert set(world.village_products[v]) <= set(grown)


def test_a_road_of_zero_km_still_joins_its_villages():
    g = nx.Graph()
    g.add_edge(0, 10, km=0.0)  # rounded to 0 km by the generator's one-decimal km
    g.add_edge(1, 10, km=3.0)
    g.add_edge(2, 10, km=7.0)
    reach = village_reach(g, [0, 1, 2], k=2)
    assert reach.villages[1].tolist() == [1, 0, 2]
    assert reach.km[1].tolist() == pytest.approx([0.0, 3.0, 10.0])
