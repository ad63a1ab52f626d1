"""Fulfilment (paper §3.2, §4.2): routes, shipments through hubs, spoilage, storage at origin.

Filled orders are grouped into one shipment per (anchor, city) and routed along the cheapest path
village → township → hub → city. Hubs decide what leaves this week and what rides cold
(:class:`~village_sim.agents.hub.LogisticsHub`); what waits keeps spoiling. Spoilage of a shipment is
``1 − exp(−perishability·days·temp_factor)`` (MODEL.md §3), ``temp_factor`` much lower on an end-to-end
cold chain. What arrives is handed to consumers as a :class:`Deliveries` record: some parcels
spoiled (their goods written off as spoiled in transit), the rest vary around the shipment's
quality. Goods waiting at origin spoil too, less in a village's cold storage while the power is on.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import mesa
import numpy as np

from village_sim.accounts import Account, Flow
from village_sim.randomness import thin
from village_sim.units import to_fen

if TYPE_CHECKING:
    from village_sim.market.orders import Orders

QUEUE_FIELDS = (
    "spread",
    "id",
    "anchor",
    "village",
    "city",
    "grams",
    "quality",
    "fresh",
    "perish",
    "waited",
    "hub",
)


def spoilage_fraction(
    perishability: np.ndarray, days: np.ndarray, temp_factor: np.ndarray
) -> np.ndarray:
    """Share of a shipment lost: ``1 − exp(−perishability·days·temp_factor)`` (MODEL.md §3)."""
    return 1.0 - np.exp(-perishability * days * temp_factor)


@dataclass
class Deliveries:
    """Order lines delivered this week.

    Attributes:
        lines: The delivered order lines (the fields of :attr:`Orders.lines` plus ``shipment``).
        quality: Quality each line's parcels arrived with, in [0, 1].
        spoiled: Buyers of each line whose parcel spoiled on the way.
    """

    lines: dict[str, np.ndarray]
    quality: np.ndarray
    spoiled: np.ndarray


def _concat(a: dict[str, np.ndarray] | None, b: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    if not a:
        return b
    return {k: np.concatenate([a[k], b[k]]) for k in b}


def _select(d: dict[str, np.ndarray], mask: np.ndarray) -> dict[str, np.ndarray]:
    return {k: v[mask] for k, v in d.items()}


class Logistics:
    """Routes, shipments, hubs, deliveries and storage at origin.

    Args:
        model: The model (scenario, world, products, hubs, ledgers, governance levers).
    """

    def __init__(self, model: mesa.Model) -> None:
        self.model = model
        self.rng = model.streams["logistics"]
        self.queue: dict[str, np.ndarray] | None = None
        self.pending_lines: dict[str, np.ndarray] | None = None
        self.next_id = 0
        self.edge_direction: dict[tuple[int, int], tuple[int, int]] = {}
        """The direction goods travel each used road, by (smaller node, larger node)."""
        self.route_history: list[dict[str, np.ndarray]] = []
        """Shipments that left each week by (village, city, cold), for ``flows.parquet``."""
        self._edge_cache: dict[tuple[int, int], tuple[tuple[int, int], ...]] = {}
        self._flows = _RouteFlows(model.world.route_paths, model.world.n_cities)
        self._cold_share = np.ones(model.world.n_villages)
        self._spoilage: dict[tuple[float, int], float] = {}  # origin_spoilage, this week's shares
        self._ship_cost_key: tuple[int, int] | None = None
        self._ship_cost = np.zeros(model.world.n_villages)
        self._ship_cost_rows: tuple[np.ndarray | None, list[float]] = (None, [])
        self._route_spoil_key: tuple[int, int] | None = None
        self._route_spoil_routes: tuple | None = None
        self._route_spoil: dict[tuple[int, int], float] = {}

    # -- routes and storage --------------------------------------------------------------------------
    def route_cost(self) -> np.ndarray:
        """Shipping cost per kg village → city (V, C); shared delivery lowers the last mile."""
        world = self.model.world
        keep = self.model.governance.levers.last_mile_factor
        if keep >= 1.0:
            return world.route_cost
        return world.route_cost - (1 - keep) * world.route_first_mile_cost

    @property
    def ship_cost_village(self) -> np.ndarray:
        """Expected shipping cost per kg from each village (city-weighted mean over cities).

        Policies change routes and the last mile when they act (``governance.apply`` publishes a
        new set of levers), so the cost is remembered for the week's levers only.
        """
        key = (self.model.week, id(self.model.governance.levers))
        if self._ship_cost_key != key:
            world = self.model.world
            w = world.city_weight / world.city_weight.sum()
            self._ship_cost, self._ship_cost_key = self.route_cost() @ w, key
        return self._ship_cost

    def ship_cost_rows(self) -> list[float]:
        """:attr:`ship_cost_village` as a list (the same numbers, for plain-Python kernels)."""
        cost = self.ship_cost_village
        if self._ship_cost_rows[0] is not cost:
            self._ship_cost_rows = (cost, cost.tolist())
        return self._ship_cost_rows[1]

    def route_spoilage(self, product: int, village: int) -> float:
        """Expected share of parcels of ``product`` spoiled on the way from ``village``.

        City-weighted over the routes to the cities (what a seller expects to refund, the prior of
        its refund share). Routes change only when policies act (``governance.apply`` publishes
        new levers), so for each week's levers the routes are compared with those the remembered
        values came from, once; each (village, product) is computed once for the routes it has.
        :meth:`route_spoilage_plain` is the formula itself.
        """
        key = (self.model.week, id(self.model.governance.levers))
        if self._route_spoil_key != key:
            self._route_spoil_key = key
            world = self.model.world
            routes = (
                world.route_days.tobytes(),
                world.route_cold.tobytes(),
                world.city_weight.tobytes(),
                self.model.config.logistics.cold_temp_factor,
            )
            if routes != self._route_spoil_routes:
                self._route_spoil_routes = routes
                self._route_spoil = {}
        value = self._route_spoil.get((village, product))
        if value is None:
            value = self._route_spoil[(village, product)] = self.route_spoilage_plain(
                product, village
            )
        return value

    def route_spoilage_plain(self, product: int, village: int) -> float:
        """:meth:`route_spoilage` computed afresh from the world's routes."""
        model = self.model
        world = model.world
        weights = world.city_weight / world.city_weight.sum()
        temp = np.where(world.route_cold[village], model.config.logistics.cold_temp_factor, 1.0)
        days = world.route_days[village]
        lost = 1.0 - np.exp(-model.products[product].perishability_per_day * days * temp)
        return float(lost @ weights)

    def open_week(self) -> None:
        """Note how much of each village's stock at origin fits in its cold storage this week."""
        model = self.model
        n_v = model.world.n_villages
        n_p = len(model.products)
        fresh = model.products.array("fresh").astype(bool)
        held = np.zeros(n_v)
        active = [a for a in model.anchor_list if not a.exited]
        if active:
            goods = model.goods.balances
            n = model.anchor_count
            index = np.array([a.index for a in active], dtype=np.int64)
            village = np.array([a.base_village for a in active], dtype=np.int64)
            slots = (index[:, None] * n_p + np.flatnonzero(fresh)[None, :]).reshape(-1)
            # Lots wait in the village they come from, imports at the anchor's village.
            np.add.at(held, model.books.lot_village(slots), goods["anchor_stock"][slots] / 1000)
            imported = goods["anchor_import"][: n * n_p].reshape(n, n_p)[index][:, fresh]
            np.add.at(held, village, imported.sum(axis=1) / 1000)
        cap = model.world.cold_storage_kg
        share = np.where(held > 0, np.minimum(1.0, cap / np.maximum(held, 1e-9)), 1.0)
        self._cold_share = share * model.world.power_reliability
        self._spoilage = {}

    def cold_storage_share(self, village: int) -> float:
        """Share of stock at origin that fits in the village's cold storage (while powered)."""
        return self._cold_share[village]

    # -- dispatch ----------------------------------------------------------------------------------
    def dispatch(self, orders: Orders) -> None:
        """Pack this week's filled orders into shipments (one per anchor and city)."""
        model = self.model
        s, lines = orders.sellers, orders.lines
        local_used = orders.local_used
        if lines["unit"].size == 0:
            return
        n_cities = model.world.n_cities
        city = model.consumers.city[lines["unit"]]
        key = lines["seller"] * n_cities + city
        uniq, inverse = np.unique(key, return_inverse=True)
        grams = np.bincount(inverse, weights=lines["buyers"] * lines["pack_g"]).astype(np.int64)
        seller = uniq // n_cities
        ship_city = uniq % n_cities
        before = np.cumsum(grams) - grams
        first = np.concatenate(([True], seller[1:] != seller[:-1]))
        seller_start = np.maximum.accumulate(np.where(first, np.arange(seller.size), 0))
        within = before - before[seller_start]
        local_part = np.minimum(np.maximum(local_used[seller] - within, 0), grams)  # integer clip
        import_part = grams - local_part
        n = uniq.size
        ids = np.arange(self.next_id, self.next_id + n, dtype=np.int64)
        self.next_id += n
        model.goods.ensure_size("in_transit", self.next_id)
        n_p = len(model.products)
        slots = s.ids[seller] * n_p + s.product[seller]
        has_local = local_part > 0
        # A shipment leaves from the village its lot comes from (imports: the anchor's village).
        village = np.where(has_local, model.books.lot_village(slots), s.village[seller])
        model.goods.transfer(
            Flow.SHIP,
            Account.ANCHOR_STOCK,
            slots[has_local],
            Account.IN_TRANSIT,
            ids[has_local],
            local_part[has_local],
        )
        model.books.village_goods.add("shipped", village[has_local], local_part[has_local])
        has_import = import_part > 0
        model.goods.transfer(
            Flow.SHIP_IMPORT,
            Account.ANCHOR_IMPORT,
            slots[has_import],
            Account.IN_TRANSIT,
            ids[has_import],
            import_part[has_import],
        )
        quality = (
            local_part * s.quality_local[seller] + import_part * s.quality_import[seller]
        ) / np.maximum(grams, 1)
        product = s.product[seller]
        shipments = {
            "id": ids,
            "anchor": s.ids[seller],
            "village": village,
            "city": ship_city,
            "grams": grams,
            "quality": quality,
            "spread": model.products.array("quality_sd")[product]
            * model.governance.standard_factor[village],
            "fresh": model.products.array("fresh")[product].astype(bool),
            "perish": model.products.array("perishability_per_day")[product],
            "waited": np.zeros(n, dtype=np.int64),
            "hub": model.world.route_hub[village, ship_city],
        }
        self.queue = _concat(self.queue, shipments)
        lines = dict(lines)
        lines["shipment"] = ids[inverse]
        self.pending_lines = _concat(self.pending_lines, lines)

    # -- ship and deliver ----------------------------------------------------------------------------
    def ship(self, orders: Orders | None) -> Deliveries | None:
        """Pack the week's orders; hubs move what fits; what leaves is delivered, the rest waits.

        Returns:
            The order lines delivered this week (None when nothing was waiting or packed).
        """
        if orders is not None:
            self.dispatch(orders)
        model = self.model
        q = self.queue
        if not q or q["id"].size == 0:
            return None
        world = model.world
        leaves = np.zeros(q["id"].size, dtype=bool)
        cold = np.zeros(q["id"].size, dtype=bool)
        route_cold = world.route_cold[q["village"], q["city"]] | model.governance.cold_route(
            q["village"], q["city"]
        )
        eligible = q["fresh"] & route_cold
        order = self.rng.random(q["id"].size)
        for hub in model.hubs:
            mine = q["hub"] == hub.index
            if mine.any():
                out, c = hub.process(
                    q["grams"][mine], eligible[mine], q["waited"][mine], order[mine]
                )
                leaves[mine], cold[mine] = out, c
        no_hub = q["hub"] < 0
        leaves[no_hub] = True
        cold[no_hub] = eligible[no_hub]
        self._charge_shipping(_select(q, leaves), cold[leaves])
        deliveries = self._deliver(_select(q, leaves), cold[leaves])
        rest = _select(q, ~leaves)
        rest["waited"] = rest["waited"] + 1
        self.queue = rest
        return deliveries

    def _charge_shipping(self, q: dict[str, np.ndarray], cold: np.ndarray) -> None:
        model = self.model
        cfg = model.config.logistics
        cost = self.route_cost()[q["village"], q["city"]] * np.where(
            cold, cfg.cold_cost_multiplier, 1.0
        )
        fen = to_fen(cost * q["grams"] / 1000)
        hub = np.where(q["hub"] >= 0, q["hub"], len(model.hubs))
        model.money.transfer(Flow.SHIPPING, Account.ANCHORS, q["anchor"], Account.HUBS, hub, fen)
        anchors = model.anchor_list
        for i, f in zip(q["anchor"].tolist(), (cost * q["grams"] / 1000).tolist(), strict=True):
            anchors[i].shipping_week += f

    def _deliver(self, q: dict[str, np.ndarray], cold: np.ndarray) -> Deliveries | None:
        model = self.model
        cfg = model.config.logistics
        stats = model.week_stats
        if q["id"].size == 0:
            return None
        days = model.world.route_days[q["village"], q["city"]] + 7.0 * q["waited"]
        temp = np.where(cold, cfg.cold_temp_factor, 1.0)
        frac = spoilage_fraction(q["perish"], days, temp)
        lines = self.pending_lines
        if lines is None:
            raise RuntimeError("shipments in the queue without order lines")
        pos = np.searchsorted(q["id"], lines["shipment"])
        pos = np.minimum(pos, q["id"].size - 1)
        arriving = q["id"][pos] == lines["shipment"]
        delivered_lines = _select(lines, arriving)
        self.pending_lines = _select(lines, ~arriving)
        spos = pos[arriving]
        spoiled_buyers = thin(delivered_lines["buyers"], frac[spos], self.rng)
        spoiled_g = np.bincount(
            spos, weights=spoiled_buyers * delivered_lines["pack_g"], minlength=q["id"].size
        ).astype(np.int64)
        spoiled_g = np.minimum(spoiled_g, q["grams"])
        arrived_g = q["grams"] - spoiled_g
        model.goods.transfer(
            Flow.SPOILED_TRANSIT, Account.IN_TRANSIT, q["id"], Account.SPOILED_TRANSIT, 0, spoiled_g
        )
        model.goods.transfer(
            Flow.DELIVERED, Account.IN_TRANSIT, q["id"], Account.CONSUMERS, 0, arrived_g
        )
        fresh = q["fresh"]
        stats["fresh_shipped_kg"] += float(q["grams"][fresh].sum()) / 1000
        stats["fresh_spoiled_kg"] += float(spoiled_g[fresh].sum()) / 1000
        stats["cold_shipped_kg"] += float(q["grams"][fresh & cold].sum()) / 1000
        stats["cold_spoiled_kg"] += float(spoiled_g[fresh & cold].sum()) / 1000
        vs = model.books.village
        np.add.at(vs["fresh_shipped_kg"], q["village"][fresh], q["grams"][fresh] / 1000)
        np.add.at(vs["fresh_spoiled_kg"], q["village"][fresh], spoiled_g[fresh] / 1000)
        np.add.at(model.books.village_week["spoiled_transit_kg"], q["village"], spoiled_g / 1000)
        self._record_flows(q)
        self._record_routes(q, cold, spoiled_g, spos, delivered_lines)
        # Each order line's parcels vary around the shipment's mean quality by the goods' spread
        # (paper §3.3: 品质参差不齐; standardisation narrows it).
        parcel = q["quality"][spos] + q["spread"][spos] * self.rng.standard_normal(spos.size)
        return Deliveries(delivered_lines, np.clip(parcel, 0, 1), spoiled_buyers)

    @property
    def edge_flow_kg(self) -> dict[tuple[int, int], float]:
        """Kilograms shipped over each road since week 0, by (smaller node, larger node)."""
        return self._flows.edge_kg()

    @property
    def node_flow_kg(self) -> dict[int, float]:
        """Kilograms that passed through each place since week 0 (once per parcel and place)."""
        return self._flows.node_kg()

    def _record_flows(self, q: dict[str, np.ndarray]) -> None:
        """Add the shipments that left to the roads and places on their routes."""
        flows = self._flows
        route = q["village"] * self.model.world.n_cities + q["city"]
        for v, c in flows.unseen(route):
            flows.add_route(v, c, self._route_edges(v, c))
        flows.add(route, q["grams"] / 1000)

    def _record_routes(
        self,
        q: dict[str, np.ndarray],
        cold: np.ndarray,
        spoiled_g: np.ndarray,
        spos: np.ndarray,
        lines: dict[str, np.ndarray],
    ) -> None:
        """This week's shipments that left, by origin village, destination city and cold chain."""
        value_fen = np.bincount(
            spos, weights=lines["buyers"] * lines["price_fen"], minlength=q["id"].size
        )
        key = (q["village"] * self.model.world.n_cities + q["city"]) * 2 + cold
        uniq, inverse = np.unique(key, return_inverse=True)
        self.route_history.append(
            {
                "week": np.full(uniq.size, self.model.week),
                "village": uniq // 2 // self.model.world.n_cities,
                "city": uniq // 2 % self.model.world.n_cities,
                "cold": (uniq % 2).astype(bool),
                "kg": np.bincount(inverse, weights=q["grams"]) / 1000,
                "spoiled_kg": np.bincount(inverse, weights=spoiled_g) / 1000,
                "yuan": np.bincount(inverse, weights=value_fen) / 100,
            }
        )

    def _route_edges(self, village: int, city: int) -> tuple[tuple[int, int], ...]:
        """The (smaller node, larger node) edges of the route village → city (cached)."""
        edges = self._edge_cache.get((village, city))
        if edges is None:
            path = self.model.world.route_paths[(village, city)]
            steps = list(zip(path[:-1], path[1:], strict=True))
            edges = tuple((min(edge), max(edge)) for edge in steps)
            self._edge_cache[(village, city)] = edges
            for key, step in zip(edges, steps, strict=True):
                self.edge_direction.setdefault(key, step)
        return edges

    # -- storage at origin --------------------------------------------------------------------------
    def store_at_origin(self) -> None:
        """Unsold stock waits a week at origin and spoils; cold storage slows it (power allowing).

        Each active anchor's lot of each product loses ``int(held · origin_spoilage)`` grams (its
        imports at the anchor's own village); the losses are posted in one transfer per kind
        (integer sums: the balances are those of one transfer per lot).
        """
        model = self.model
        anchors = [a for a in model.anchor_list if not a.exited]
        if not anchors:
            return
        goods = model.goods.balances
        products = model.products
        n_p = len(products)
        slots = np.add.outer(np.array([a.index for a in anchors]) * n_p, np.arange(n_p)).ravel()
        held_all = goods["anchor_stock"][slots]
        import_all = goods["anchor_import"][slots]
        lots = np.flatnonzero(held_all + import_all)
        # The lots' numbers as Python integers, read once (the same integers one by one).
        held_of, import_of = held_all[lots].tolist(), import_all[lots].tolist()
        slot_of = slots[lots].tolist()
        origin_of = model.books.lot_village(slots[lots]).tolist()
        spoiled: list[tuple[int, int, int]] = []  # (slot, village, grams) of village goods
        spoiled_import: list[tuple[int, int, int]] = []
        for j, w in enumerate(lots.tolist()):
            anchor, p = anchors[w // n_p], w % n_p
            slot, held, held_import = slot_of[j], held_of[j], import_of[j]
            perish = products[p].perishability_per_day
            # The lot waits and spoils in the village it comes from; imports at the anchor's.
            origin = origin_of[j]
            lost = int(held * self.origin_spoilage(perish, origin))
            lost_import = int(held_import * self.origin_spoilage(perish, anchor.base_village))
            anchor.memory.now.unsold_g += lost + lost_import
            if lost:
                spoiled.append((slot, origin, lost))
                anchor.cogs_week += lost * anchor.unit_cost[p] / 1000
            if lost_import:
                spoiled_import.append((slot, anchor.base_village, lost_import))
                spec = products[p]
                anchor.cogs_week += (
                    lost_import * spec.import_price_share * spec.farm_gate_price / 1000
                )
        if spoiled:
            village, grams = self._post_spoiled(Flow.SPOILED_ORIGIN, Account.ANCHOR_STOCK, spoiled)
            model.books.village_goods.add("spoiled_origin", village, grams)
        if spoiled_import:
            self._post_spoiled(Flow.SPOILED_IMPORT, Account.ANCHOR_IMPORT, spoiled_import)

    def _post_spoiled(
        self, flow: str, stock: str, losses: list[tuple[int, int, int]]
    ) -> tuple[np.ndarray, np.ndarray]:
        """Move ``(slot, village, grams)`` losses from the anchors' ``stock`` in one transfer.

        Returns:
            The villages and grams posted (whole grams: the balances do not depend on the order).
        """
        slot_of, village, grams = (np.array(x, dtype=np.int64) for x in zip(*losses, strict=True))
        self.model.goods.transfer(flow, stock, slot_of, Account.SPOILED_ORIGIN, village, grams)
        return village, grams

    def origin_spoilage(self, perishability: float, village: int) -> float:
        """Share of stock lost in a week waiting in ``village`` (its cold storage, power allowing).

        Remembered until the cold storage shares change (:meth:`open_week`): anchors ask for the
        same few (perishability, village) pairs all week.
        """
        key = (perishability, village)
        lost = self._spoilage.get(key)
        if lost is None:
            lost = self._spoilage[key] = self.origin_spoilage_plain(perishability, village)
        return lost

    def origin_spoilage_plain(self, perishability: float, village: int) -> float:
        """:meth:`origin_spoilage` computed afresh from the village's cold storage share."""
        share_cold = self.cold_storage_share(village)
        temp = share_cold * self.model.config.logistics.origin_cold_temp_factor + (1 - share_cold)
        return float(1 - np.exp(-perishability * 7 * temp))

    def in_transit_g(self) -> int:
        """Grams in shipments still waiting (the queue's view of goods in transit)."""
        return int(self.queue["grams"].sum()) if self.queue else 0


def record_flows_plain(
    edge_kg: dict[tuple[int, int], float],
    node_kg: dict[int, float],
    q: dict[str, np.ndarray],
    paths: dict[tuple[int, int], list[int]],
    route_edges: Callable[[int, int], tuple[tuple[int, int], ...]],
) -> None:
    """Shipments' kilograms added to roads and places one shipment at a time (dictionaries).

    The formula of :meth:`Logistics._record_flows`: :class:`_RouteFlows` adds the same numbers in
    the same order (a test compares them).
    """
    for v, c, g in zip(q["village"].tolist(), q["city"].tolist(), q["grams"].tolist(), strict=True):
        kg = float(g) / 1000
        for key in route_edges(v, c):
            edge_kg[key] = edge_kg.get(key, 0.0) + kg
        for node in paths[(v, c)]:
            node_kg[node] = node_kg.get(node, 0.0) + kg


class _RouteFlows:
    """Kilograms shipped since week 0 over each road and through each place, as arrays.

    Each route (village → city) is a row of road and place numbers, padded with a spare slot
    that nothing reads; a week's shipments add their kilograms to their routes' rows with one
    ``np.add.at``, which adds in the order of the shipments, as a loop over them does. Roads and
    places are numbered when a route first carries goods, in the order a loop would meet them.

    Args:
        paths: The node path of each (village, city) route.
        n_cities: Cities (a route's number is ``village · n_cities + city``).
    """

    def __init__(self, paths: dict[tuple[int, int], list[int]], n_cities: int) -> None:
        self.n_cities = n_cities
        width = max((len(path) for path in paths.values()), default=1)
        n_routes = max((v * n_cities + c + 1 for v, c in paths), default=0)
        self.paths = paths
        self.seen = np.zeros(n_routes, dtype=bool)
        self.route_edges = np.zeros((n_routes, max(width - 1, 1)), dtype=np.int64)  # 0: spare
        self.route_nodes = np.zeros((n_routes, width), dtype=np.int64)
        self.edge_keys: list[tuple[int, int]] = []
        self.node_keys: list[int] = []
        self.edge_number: dict[tuple[int, int], int] = {}
        self.node_number: dict[int, int] = {}
        most = 1 + sum(len(path) for path in paths.values())  # at least every road and place
        self.edge_sums = np.zeros(most)
        self.node_sums = np.zeros(most)

    def unseen(self, route: np.ndarray) -> list[tuple[int, int]]:
        """(village, city) of routes that carry goods for the first time, in order of shipment."""
        new = ~self.seen[route]
        if not new.any():
            return []
        firsts, at = np.unique(route[new], return_index=True)
        return [divmod(int(r), self.n_cities) for r in firsts[np.argsort(at)]]

    def add_route(self, village: int, city: int, edges: tuple[tuple[int, int], ...]) -> None:
        """Number a new route's roads and places (those not numbered yet)."""
        r = village * self.n_cities + city
        nodes = self.paths[(village, city)]
        self.route_edges[r, : len(edges)] = [
            self._number(self.edge_number, self.edge_keys, e) for e in edges
        ]
        self.route_nodes[r, : len(nodes)] = [
            self._number(self.node_number, self.node_keys, n) for n in nodes
        ]
        self.seen[r] = True

    @staticmethod
    def _number(numbers: dict, keys: list, key: Any) -> int:
        number = numbers.get(key)
        if number is None:
            keys.append(key)
            number = numbers[key] = len(keys)  # 0 is the spare slot
        return number

    def add(self, route: np.ndarray, kg: np.ndarray) -> None:
        """Add each shipment's kilograms to the roads and places of its route, in order."""
        for table, sums in ((self.route_edges, self.edge_sums), (self.route_nodes, self.node_sums)):
            cells = table[route]
            np.add.at(sums, cells.reshape(-1), np.repeat(kg, cells.shape[1]))

    def edge_kg(self) -> dict[tuple[int, int], float]:
        """Kilograms by road, for the roads that carried goods (in the order first used)."""
        return {key: float(self.edge_sums[i]) for i, key in enumerate(self.edge_keys, 1)}

    def node_kg(self) -> dict[int, float]:
        """Kilograms by place, for the places goods passed (in the order first reached)."""
        return {key: float(self.node_sums[i]) for i, key in enumerate(self.node_keys, 1)}
