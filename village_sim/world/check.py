"""The world's validity check: a places graph that can carry trade.

Every graph :func:`village_sim.world.graph.build_graph` builds passes through
:func:`check_places`; :func:`village_sim.world.graph.world_problems` runs it for a scenario and
reports its problems against the scenario's fields, which :func:`village_sim.load_scenario` shows
with the file and line.
"""

from __future__ import annotations

import networkx as nx

#: The kinds of place a graph needs at least one of, and why.
NEEDED_KINDS = {
    "village": "at least one village is needed",
    "township": "at least one township (a station where parcels are collected) is needed",
    "county_hub": "at least one county hub is needed (parcels pass a hub on their way out)",
    "city": "at least one city is needed",
}


class WorldError(ValueError):
    """A graph that cannot carry trade (names the scenario field at fault)."""

    def __init__(self, path: str, message: str) -> None:
        super().__init__(f"{path}: {message}")
        self.path = path
        self.message = message


def check_places(graph: nx.Graph) -> None:
    """Check that a places graph can carry trade.

    Args:
        graph: Nodes with a ``kind`` attribute (``village``, ``township``, ``county_hub``,
            ``city``).

    Raises:
        WorldError: A kind of place missing, a city with no village in reach, or a disconnected
            graph.
    """
    kinds = nx.get_node_attributes(graph, "kind")
    present = set(kinds.values())
    for kind, message in NEEDED_KINDS.items():
        if kind not in present:
            raise WorldError("world.nodes", message)
    components = list(nx.connected_components(graph))
    for comp in components:
        cities = sorted(n for n in comp if kinds[n] == "city")
        if cities and not any(kinds[n] == "village" for n in comp):
            raise WorldError("world.edges", f"city {cities[0]} has no route to any village")
    if len(components) > 1:
        parts = "; ".join(
            "{" + ", ".join(str(n) for n in sorted(c)[:6]) + (", ..." if len(c) > 6 else "") + "}"
            for c in components
        )
        raise WorldError("world.edges", f"the graph is disconnected: components {parts}")
