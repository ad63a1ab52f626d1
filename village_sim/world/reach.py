"""Sourcing reach (ECONOMICS.md §A "Sourcing"): each village and its nearest villages by road.

An anchor buys in its own village or one of the ``k`` villages nearest to it by road km along the
places graph (village → township → … → village). The table is computed once when the world is
built (SciPy's compiled Dijkstra over the road graph, in blocks of sources so that a province's
table stays small); nothing walks the graph inside the week.
"""

from __future__ import annotations

from dataclasses import dataclass

import networkx as nx
import numpy as np

REACH_BLOCK = 256
"""Source villages per Dijkstra call (bounds the (block, nodes) distance matrix in memory)."""


@dataclass(frozen=True)
class Reach:
    """Each village's sourcing reach: itself first, then its ``k`` nearest villages by road km.

    Attributes:
        villages: (V, k + 1) village indices, column 0 the village itself; -1 pads a row when
            fewer villages are connected.
        km: (V, k + 1) road km to each of them (0 for the village itself, ``inf`` for padding).
    """

    villages: np.ndarray
    km: np.ndarray

    def of(self, village: int) -> tuple[np.ndarray, np.ndarray]:
        """The villages in reach of ``village`` and their road km (padding dropped)."""
        row = self.villages[village]
        keep = row >= 0
        return row[keep], self.km[village][keep]


def village_reach(graph: nx.Graph, village_nodes: list[int], k: int) -> Reach:
    """Each village's ``k`` nearest other villages by road km (ties: lower village index first).

    Args:
        graph: The places graph; every road carries ``km``.
        village_nodes: Node id of each village index.
        k: How many neighbouring villages each village reaches (ECONOMICS.md §A: 3).

    Returns:
        The :class:`Reach` table.
    """
    # SciPy only here, at world build: importing it costs time no run needs otherwise.
    from scipy.sparse.csgraph import dijkstra

    nodes = list(graph.nodes)
    matrix = nx.to_scipy_sparse_array(graph, nodelist=nodes, weight="km", format="csr")
    position = {n: i for i, n in enumerate(nodes)}
    columns = np.array([position[n] for n in village_nodes], dtype=np.int64)
    n_v = len(village_nodes)
    width = min(k, max(n_v - 1, 0)) + 1
    villages = np.full((n_v, k + 1), -1, dtype=np.int64)
    km = np.full((n_v, k + 1), np.inf)
    for start in range(0, n_v, REACH_BLOCK):
        rows = np.arange(start, min(start + REACH_BLOCK, n_v))
        dist = dijkstra(matrix, directed=False, indices=columns[rows])[:, columns]
        dist[np.arange(rows.size), rows] = -1.0  # the village itself comes first
        order = np.argsort(dist, axis=1, kind="stable")[:, :width]
        near = np.take_along_axis(dist, order, axis=1)
        near[:, 0] = 0.0
        found = np.isfinite(near)
        villages[rows, :width] = np.where(found, order, -1)
        km[rows, :width] = np.where(found, near, np.inf)
    return Reach(villages=villages, km=km)
