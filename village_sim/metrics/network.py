"""The market network: who supplies whom and who follows whom (MODEL.md §2).

The relations live in the agents' NumPy arrays (``farmers.contract_anchor``,
``consumers.follow_anchor``/``follow_people``); these functions expose them as sparse matrices and
build an aggregated NetworkX view on demand — never kept in sync during a run.
"""

from __future__ import annotations

import mesa
import networkx as nx
import numpy as np
from scipy import sparse


def supply_matrix(model: mesa.Model) -> sparse.csr_matrix:
    """Households × anchors: 1 where a household supplies an anchor (contract or own stream)."""
    farmers = model.farmers
    anchor = np.where(farmers.stream_anchor >= 0, farmers.stream_anchor, farmers.contract_anchor)
    rows = np.flatnonzero(anchor >= 0)
    data = np.ones(rows.size, dtype=np.int8)
    return sparse.csr_matrix((data, (rows, anchor[rows])), shape=(farmers.n, model.anchor_count))


def follow_matrix(model: mesa.Model) -> sparse.csr_matrix:
    """Consumer units × anchors: people of the unit following the anchor."""
    consumers = model.consumers
    held = consumers.follow_anchor >= 0
    rows = np.nonzero(held)[0]
    return sparse.csr_matrix(
        (consumers.follow_people[held], (rows, consumers.follow_anchor[held])),
        shape=(consumers.n, model.anchor_count),
    )


def market_graph(model: mesa.Model) -> nx.DiGraph:
    """An aggregated view: villages → anchors (supplying households) → cities (followers).

    Nodes are ``("village", v)``, ``("anchor", i)`` and ``("city", c)`` with attributes; edge
    attribute ``weight`` counts households (supply) or people (follows).
    """
    graph = nx.DiGraph()
    world = model.world
    for v, name in enumerate(world.village_names()):
        graph.add_node(("village", v), kind="village", name=name)
    for c, node in enumerate(world.city_nodes):
        graph.add_node(("city", c), kind="city", name=world.graph.nodes[node]["name"])
    for a in model.anchor_list:
        if not a.exited:
            graph.add_node(
                ("anchor", a.index),
                kind=f"anchor_{a.kind}",
                person_id=a.person_id,
                followers=a.followers,
                strategy=a.strategy,
            )
    supply = supply_matrix(model).tocoo()
    households = np.zeros((world.n_villages, model.anchor_count), dtype=np.int64)
    np.add.at(households, (model.farmers.village[supply.row], supply.col), 1)
    for v, a in zip(*np.nonzero(households), strict=True):
        if graph.has_node(("anchor", int(a))):
            graph.add_edge(("village", int(v)), ("anchor", int(a)), weight=int(households[v, a]))
    follows = follow_matrix(model).tocoo()
    people = np.zeros((model.anchor_count, world.n_cities), dtype=np.int64)
    np.add.at(people, (follows.col, model.consumers.city[follows.row]), follows.data)
    for a, c in zip(*np.nonzero(people), strict=True):
        if graph.has_node(("anchor", int(a))):
            graph.add_edge(("anchor", int(a)), ("city", int(c)), weight=int(people[a, c]))
    return graph
