"""The places graph (paper §3.2): villages, township stations, county hubs and cities.

Nodes have integer ids and carry their attributes (names as attributes). A scenario either names the
``county`` generator or lists nodes and edges. :func:`build_world` turns the graph into flat NumPy
arrays the market uses each week: village attributes and the cheapest route from every village to
every city (cost per kg, days, end-to-end cold chain, hub passed).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import networkx as nx
import numpy as np

from village_sim.scenario.schema import TERRAINS, Scenario
from village_sim.world.check import WorldError, check_places
from village_sim.world.reach import Reach, village_reach

__all__ = ["World", "WorldError", "build_graph", "build_world", "world_problems"]

TERRAIN_CODE = {name: i for i, name in enumerate(TERRAINS)}


@dataclass
class World:
    """The places graph and its routing tables, as arrays indexed by village and city.

    Attributes:
        graph: The NetworkX graph (integer node ids).
        village_nodes: Node id of each village index.
        city_nodes: Node id of each city index.
        hub_nodes: Node id of each hub index.
        terrain: Terrain code per village (0 plain, 1 hill, 2 mountain).
        route_cost: Ambient cost per kg from village to city, yuan/kg, shape (V, C).
        route_days: Days in transit, shape (V, C).
        route_cold: Whether every road of the route has a cold-chain service, shape (V, C).
        route_hub: Hub index passed on the route (-1 if none), shape (V, C).
        route_paths: Node path per (village, city).
    """

    graph: nx.Graph
    village_nodes: list[int]
    city_nodes: list[int]
    hub_nodes: list[int]
    township_nodes: list[int]
    terrain: np.ndarray
    uplink_mbps: np.ndarray
    power_reliability: np.ndarray
    internet_share: np.ndarray
    cold_storage_kg: np.ndarray
    service_center: np.ndarray
    premises: np.ndarray
    village_products: list[list[int]]
    city_weight: np.ndarray
    hub_capacity: np.ndarray
    hub_cold_capacity: np.ndarray
    route_cost: np.ndarray
    route_days: np.ndarray
    route_cold: np.ndarray
    route_hub: np.ndarray
    route_first_mile_cost: np.ndarray
    route_first_mile_days: np.ndarray
    route_paths: dict[tuple[int, int], list[int]] = field(default_factory=dict)
    product_mask: np.ndarray | None = None
    """(V, P) whether a village grows each product."""
    reach: Reach | None = None
    """Each village's sourcing reach: itself and its nearest villages by road km."""
    reach_products: list[list[int]] = field(default_factory=list)
    """Products grown somewhere in each village's reach (sorted ids; the activity calendar's)."""

    @property
    def n_villages(self) -> int:
        """Number of villages."""
        return len(self.village_nodes)

    @property
    def n_cities(self) -> int:
        """Number of cities."""
        return len(self.city_nodes)

    def village_cold(self, village: int) -> bool:
        """Whether every road out of the village has a cold-chain service."""
        node = self.village_nodes[village]
        return all(d["cold_chain"] for _, _, d in self.graph.edges(node, data=True))

    def make_roads_cold(self, village: int) -> None:
        """Give every road out of the village a cold-chain service, then refresh routes."""
        node = self.village_nodes[village]
        for _, _, data in self.graph.edges(node, data=True):
            data["cold_chain"] = True
        self.refresh_cold_routes()

    def refresh_cold_routes(self) -> None:
        """Recompute which routes are cold end to end from the roads' attributes."""
        edges = self.graph.edges
        for (v, c), path in self.route_paths.items():
            self.route_cold[v, c] = all(
                edges[e]["cold_chain"] for e in zip(path[:-1], path[1:], strict=True)
            )

    def village_names(self) -> list[str]:
        """Names of the villages, by village index."""
        return [self.graph.nodes[n]["name"] for n in self.village_nodes]


def build_graph(scenario: Scenario, seed: int | np.random.Generator) -> nx.Graph:
    """Build the places graph from a scenario and check that it can carry trade.

    Args:
        scenario: The scenario.
        seed: Seed or generator for the ``county`` generator's random layout.

    Returns:
        The graph with node and edge attributes (see MODEL.md §2).

    Raises:
        WorldError: Unknown edge endpoints, or a graph that fails
            :func:`~village_sim.world.check.check_places`.
    """
    rng = np.random.default_rng(seed)
    if scenario.world.generator == "county":
        graph = _county_graph(scenario, rng)
    else:
        graph = _explicit_graph(scenario)
    check_places(graph)
    _add_edge_costs(graph, scenario)
    return graph


def world_problems(scenario: Scenario) -> list[tuple[str, str]]:
    """The world's check of a scenario: build its places graph once (seed 0) and check it.

    Returns:
        ``(field path, message)`` problems (empty when the world can carry trade); for
        :func:`village_sim.scenario.load.load_scenario`'s ``check``.
    """
    try:
        build_graph(scenario, seed=0)
    except WorldError as exc:
        return [(exc.path, exc.message)]
    return []


def _village_attrs(scenario: Scenario, terrain: str) -> dict:
    profile = scenario.world.terrain[terrain]
    return {
        "kind": "village",
        "terrain": terrain,
        "uplink_mbps": profile.uplink_mbps,
        "power_reliability": profile.power_reliability,
        "internet_share": profile.internet_share,
        "cold_storage_kg": profile.cold_storage_kg,
        "service_center": False,
        "premises": -1,
    }


def _county_graph(scenario: Scenario, rng: np.random.Generator) -> nx.Graph:
    """The ``county`` generator: villages around townships, townships to hubs, hubs to cities."""
    cfg = scenario.world.county
    log = scenario.logistics
    graph = nx.Graph()
    mix = np.array([cfg.terrain_mix.get(t, 0.0) for t in TERRAINS], dtype=float)
    counts = np.floor(mix / mix.sum() * cfg.villages).astype(int)
    for i in np.argsort(-(mix / mix.sum() * cfg.villages - counts))[: cfg.villages - counts.sum()]:
        counts[i] += 1
    terrains = [t for t, c in zip(TERRAINS, counts, strict=True) for _ in range(c)]
    terrains = [terrains[i] for i in rng.permutation(len(terrains))]

    n_v, n_t, n_h, n_c = cfg.villages, cfg.townships, cfg.hubs, cfg.cities
    township_ids = list(range(n_v, n_v + n_t))
    hub_ids = list(range(n_v + n_t, n_v + n_t + n_h))
    city_ids = list(range(n_v + n_t + n_h, n_v + n_t + n_h + n_c))
    cold_villages = set(rng.permutation(n_v)[: round(cfg.cold_chain_village_share * n_v)].tolist())
    n_centers = round(scenario.world.service_center_share * n_v)
    centers = set(rng.permutation(n_v)[:n_centers].tolist())

    for h, node in enumerate(hub_ids):
        angle = 2 * np.pi * h / max(n_h, 1)
        graph.add_node(
            node,
            name=f"hub_{h}",
            kind="county_hub",
            x=0.6 * np.cos(angle),
            y=0.6 * np.sin(angle),
            capacity_kg_week=log.hub_capacity_kg_week,
            cold_capacity_kg_week=log.hub_cold_capacity_kg_week,
        )
    for c, node in enumerate(city_ids):
        graph.add_node(
            node,
            name=f"city_{c}",
            kind="city",
            x=4.0,
            y=(c - (n_c - 1) / 2) * 1.5,
            population_weight=1.0,
        )
        for h in hub_ids:
            km = float(rng.uniform(*cfg.hub_city_km))
            graph.add_edge(h, node, km=round(km, 1), cold_chain=True)
    for t, node in enumerate(township_ids):
        angle = 2 * np.pi * (t + 0.5) / n_t
        hub = hub_ids[t % n_h]
        graph.add_node(
            node,
            name=f"township_{t}",
            kind="township",
            x=1.6 * np.cos(angle) - 0.5,
            y=1.6 * np.sin(angle),
        )
        km = float(rng.uniform(*cfg.township_hub_km))
        graph.add_edge(node, hub, km=round(km, 1), cold_chain=True)
    for v in range(n_v):
        terrain = terrains[v]
        township = township_ids[v % n_t]
        attrs = _village_attrs(scenario, terrain)
        attrs["service_center"] = v in centers
        products = cfg.products_by_terrain[terrain]
        angle = 2 * np.pi * (v % n_t + 0.5) / n_t + (v // n_t + 1) * 0.35 - 0.5
        radius = 2.6 + 0.4 * TERRAIN_CODE[terrain]
        graph.add_node(
            v,
            name=f"village_{v}_{terrain}",
            products=",".join(products),
            x=radius * np.cos(angle) - 0.5,
            y=radius * np.sin(angle),
            **attrs,
        )
        km = scenario.world.terrain[terrain].first_mile_km * float(rng.uniform(0.7, 1.3))
        graph.add_edge(v, township, km=round(km, 1), cold_chain=v in cold_villages)
    return graph


def _explicit_graph(scenario: Scenario) -> nx.Graph:
    graph = nx.Graph()
    seen: set[int] = set()
    for i, node in enumerate(scenario.world.nodes):
        if node.id in seen:
            raise WorldError(f"world.nodes.{i}.id", f"duplicate node id {node.id}")
        seen.add(node.id)
        attrs: dict = {"kind": node.kind, "name": node.name or f"{node.kind}_{node.id}"}
        if node.kind == "village":
            attrs.update(_village_attrs(scenario, node.terrain or "plain"))
            for key in ("uplink_mbps", "power_reliability", "internet_share", "cold_storage_kg"):
                if getattr(node, key) is not None:
                    attrs[key] = getattr(node, key)
            attrs["service_center"] = node.service_center
            attrs["premises"] = -1 if node.premises is None else node.premises
            attrs["products"] = ",".join(node.products or [])
        elif node.kind == "county_hub":
            attrs["capacity_kg_week"] = (
                node.capacity_kg_week
                if node.capacity_kg_week is not None
                else scenario.logistics.hub_capacity_kg_week
            )
            attrs["cold_capacity_kg_week"] = (
                node.cold_capacity_kg_week
                if node.cold_capacity_kg_week is not None
                else scenario.logistics.hub_cold_capacity_kg_week
            )
        elif node.kind == "city":
            attrs["population_weight"] = node.population_weight
        graph.add_node(node.id, **attrs)
    for i, edge in enumerate(scenario.world.edges):
        for end in ("u", "v"):
            if getattr(edge, end) not in seen:
                raise WorldError(f"world.edges.{i}.{end}", f"unknown node id {getattr(edge, end)}")
        if edge.u == edge.v:
            raise WorldError(f"world.edges.{i}", "a road must join two different places")
        attrs = {"km": edge.km, "cold_chain": edge.cold_chain}
        if edge.cost_per_kg is not None:
            attrs["cost_per_kg"] = edge.cost_per_kg
        graph.add_edge(edge.u, edge.v, **attrs)
    _explicit_layout(graph)
    return graph


def _explicit_layout(graph: nx.Graph) -> None:
    """A fixed left-to-right layout by kind for explicit graphs (villages left, cities right)."""
    columns = {"village": 0.0, "township": 1.5, "county_hub": 2.5, "city": 4.0}
    for kind, x in columns.items():
        nodes = sorted(n for n, d in graph.nodes(data=True) if d["kind"] == kind)
        for j, n in enumerate(nodes):
            graph.nodes[n]["x"] = x
            graph.nodes[n]["y"] = (j - (len(nodes) - 1) / 2) * 1.0


def _add_edge_costs(graph: nx.Graph, scenario: Scenario) -> None:
    """Per-kg cost and days of each road; village roads carry the rural last-mile penalty."""
    log = scenario.logistics
    for u, v, data in graph.edges(data=True):
        village = next((n for n in (u, v) if graph.nodes[n]["kind"] == "village"), None)
        multiplier, extra_days = 1.0, 0.0
        if village is not None:
            profile = scenario.world.terrain[graph.nodes[village]["terrain"]]
            multiplier = log.rural_last_mile_multiplier * profile.first_mile_cost_multiplier
            extra_days = profile.first_mile_extra_days
        data.setdefault("cost_per_kg", round(data["km"] * log.cost_per_kg_km * multiplier, 4))
        data["days"] = data["km"] / log.km_per_day + extra_days
        data["flow_kg"] = 0.0


def build_world(scenario: Scenario, graph: nx.Graph, product_index: dict[str, int]) -> World:
    """Flatten the graph into arrays and compute cheapest routes village → city.

    Args:
        scenario: The scenario (costs and speeds).
        graph: The places graph from :func:`build_graph`.
        product_index: Product name → index.

    Returns:
        The :class:`World`.
    """
    nodes = graph.nodes
    villages = sorted(n for n in graph if nodes[n]["kind"] == "village")
    cities = sorted(n for n in graph if nodes[n]["kind"] == "city")
    hubs = sorted(n for n in graph if nodes[n]["kind"] == "county_hub")
    townships = sorted(n for n in graph if nodes[n]["kind"] == "township")
    log = scenario.logistics
    n_v, n_c = len(villages), len(cities)
    cost = np.zeros((n_v, n_c))
    days = np.zeros((n_v, n_c))
    cold = np.zeros((n_v, n_c), dtype=bool)
    hub_of = np.full((n_v, n_c), -1, dtype=np.int64)
    first_cost = np.zeros((n_v, n_c))
    first_days = np.zeros((n_v, n_c))
    paths: dict[tuple[int, int], list[int]] = {}
    hub_index = {h: i for i, h in enumerate(hubs)}
    for c, city in enumerate(cities):
        dist, path_to = nx.single_source_dijkstra(graph, city, weight="cost_per_kg")
        for v, village in enumerate(villages):
            path = list(reversed(path_to[village]))
            edges = list(zip(path[:-1], path[1:], strict=True))
            paths[(v, c)] = path
            cost[v, c] = dist[village] + log.handling_yuan_per_kg
            days[v, c] = sum(graph.edges[e]["days"] for e in edges) + log.handling_days
            cold[v, c] = all(graph.edges[e]["cold_chain"] for e in edges)
            first_cost[v, c] = graph.edges[edges[0]]["cost_per_kg"] if edges else 0.0
            first_days[v, c] = graph.edges[edges[0]]["days"] if edges else 0.0
            on_path = [hub_index[n] for n in path if n in hub_index]
            hub_of[v, c] = on_path[0] if on_path else -1
    village_products = [
        [product_index[p] for p in nodes[n]["products"].split(",") if p] for n in villages
    ]
    mask = _product_mask(village_products, len(product_index))
    reach = village_reach(graph, villages, scenario.anchors.reach_villages)
    return World(
        graph=graph,
        village_nodes=villages,
        city_nodes=cities,
        hub_nodes=hubs,
        township_nodes=townships,
        terrain=np.array([TERRAIN_CODE[nodes[n]["terrain"]] for n in villages], dtype=np.int64),
        uplink_mbps=np.array([nodes[n]["uplink_mbps"] for n in villages], dtype=float),
        power_reliability=np.array([nodes[n]["power_reliability"] for n in villages], dtype=float),
        internet_share=np.array([nodes[n]["internet_share"] for n in villages], dtype=float),
        cold_storage_kg=np.array([nodes[n]["cold_storage_kg"] for n in villages], dtype=float),
        service_center=np.array([bool(nodes[n]["service_center"]) for n in villages]),
        premises=np.array([int(nodes[n]["premises"]) for n in villages], dtype=np.int64),
        village_products=village_products,
        city_weight=np.array([nodes[n].get("population_weight", 1.0) for n in cities]),
        hub_capacity=np.array([nodes[n]["capacity_kg_week"] for n in hubs], dtype=float),
        hub_cold_capacity=np.array([nodes[n]["cold_capacity_kg_week"] for n in hubs], dtype=float),
        route_cost=cost,
        route_days=days,
        route_cold=cold,
        route_hub=hub_of,
        route_first_mile_cost=first_cost,
        route_first_mile_days=first_days,
        route_paths=paths,
        product_mask=mask,
        reach=reach,
        reach_products=[
            np.flatnonzero(mask[reach.of(v)[0]].any(axis=0)).tolist() for v in range(n_v)
        ],
    )


def _product_mask(village_products: list[list[int]], n_products: int) -> np.ndarray:
    """(V, P) whether each village grows each product."""
    mask = np.zeros((len(village_products), n_products), bool)
    for v, products in enumerate(village_products):
        mask[v, products] = True
    return mask
