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

ZERO_KM = 1e-9
"""Length given to a road of 0 km, so that it still joins its two places."""


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

    Dijkstra runs only as far as a search radius: a few road lengths first, doubled for the
    villages that have not yet found ``k`` neighbours within it (distances within the radius are
    exact, so the nearest found are the nearest), until the radius spans the whole road network.

    Args:
        graph: The places graph; every road carries ``km``.
        village_nodes: Node id of each village index.
        k: How many neighbouring villages each village reaches (ECONOMICS.md §A: 3).

    Returns:
        The :class:`Reach` table.
    """
    # SciPy only here, at world build: importing it costs time no run needs otherwise.
    from scipy.sparse import csr_array
    from scipy.sparse.csgraph import dijkstra

    nodes = list(graph.nodes)
    position = {n: i for i, n in enumerate(nodes)}
    edges = list(graph.edges(data="km"))
    ends = (
        np.array([position[a] for a, _, _ in edges], dtype=np.int64),
        np.array([position[b] for _, b, _ in edges], dtype=np.int64),
    )
    # A road rounded to 0 km is still a road (a sparse matrix would drop a zero entry).
    length = np.maximum(np.array([d for _, _, d in edges], dtype=float), ZERO_KM)
    matrix = csr_array((length, ends), shape=(len(nodes), len(nodes)))
    columns = np.array([position[n] for n in village_nodes], dtype=np.int64)
    n_v = len(village_nodes)
    width = min(k, max(n_v - 1, 0)) + 1
    villages = np.full((n_v, k + 1), -1, dtype=np.int64)
    km = np.full((n_v, k + 1), np.inf)
    whole = float(matrix.data.sum())  # no shortest path is longer than every road together
    radius = min(4.0 * float(np.median(matrix.data)), whole) if matrix.nnz else np.inf
    pending = np.arange(n_v)
    while pending.size:
        unfinished = []
        for start in range(0, pending.size, REACH_BLOCK):
            rows = pending[start : start + REACH_BLOCK]
            dist = dijkstra(matrix, directed=False, indices=columns[rows], limit=radius)
            dist = dist[:, columns]
            dist[np.arange(rows.size), rows] = -1.0  # the village itself comes first
            order = np.argsort(dist, axis=1, kind="stable")[:, :width]
            near = np.take_along_axis(dist, order, axis=1)
            near[:, 0] = 0.0
            found = np.isfinite(near)
            done = found.all(axis=1) | (radius >= whole)
            villages[rows[done], :width] = np.where(found[done], order[done], -1)
            km[rows[done], :width] = np.where(found[done], near[done], np.inf)
            unfinished.append(rows[~done])
        pending = np.concatenate(unfinished)
        radius = whole if 2 * radius >= whole else 2 * radius
    return Reach(villages=villages, km=km)
