"""Fulfilment (paper §3.2, §4.2): storage at origin, shipments through hubs, spoilage, delivery.

Filled orders are grouped into one shipment per (anchor, city) and routed along the cheapest path
village → township → hub → city. Hubs decide what leaves this week and what rides cold
(:class:`~village_sim.agents.hub.LogisticsHub`); what waits keeps spoiling. On delivery some buyers
receive spoiled parcels (refunded; the goods are written off as spoiled in transit) and the rest
compare the quality received with the quality advertised: a large shortfall brings complaints and
refunds; trust and follows move with satisfaction. Goods waiting at origin spoil too, less in a
village's cold storage while the power is on.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from village_sim.agents.hub import spoilage_fraction
from village_sim.market.ledger import to_fen
from village_sim.randomness import thin

if TYPE_CHECKING:
    from village_sim.market.sessions import Sellers
    from village_sim.model import VillageMarket

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


def _concat(a: dict[str, np.ndarray] | None, b: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    if not a:
        return b
    return {k: np.concatenate([a[k], b[k]]) for k in b}


def _select(d: dict[str, np.ndarray], mask: np.ndarray) -> dict[str, np.ndarray]:
    return {k: v[mask] for k, v in d.items()}


class Logistics:
    """Shipments, hubs, deliveries and storage at origin."""

    def __init__(self, model: VillageMarket) -> None:
        self.model = model
        self.rng = model.streams["logistics"]
        self.queue: dict[str, np.ndarray] | None = None
        self.pending_lines: dict[str, np.ndarray] | None = None
        self.next_id = 0
        self.edge_flow_kg: dict[tuple[int, int], float] = {}
        self._edge_cache: dict[tuple[int, int], tuple[tuple[int, int], ...]] = {}

    # -- dispatch ----------------------------------------------------------------------------------
    def dispatch(
        self,
        s: Sellers,
        lines: dict[str, np.ndarray],
        local_used: np.ndarray,
        import_used: np.ndarray,
    ) -> None:
        """Pack this week's filled orders into shipments (one per anchor and city)."""
        model = self.model
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
        village = s.village[seller]
        has_local = local_part > 0
        model.goods.transfer(
            "ship",
            "anchor_stock",
            slots[has_local],
            "in_transit",
            ids[has_local],
            local_part[has_local],
        )
        model.village_goods.add("shipped", village[has_local], local_part[has_local])
        has_import = import_part > 0
        model.goods.transfer(
            "ship_import",
            "anchor_import",
            slots[has_import],
            "in_transit",
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
            "spread": model.product_array("quality_sd")[product] * model.standard_factor[village],
            "fresh": model.product_array("fresh")[product].astype(bool),
            "perish": model.product_array("perishability_per_day")[product],
            "waited": np.zeros(n, dtype=np.int64),
            "hub": model.world.route_hub[village, ship_city],
        }
        self.queue = _concat(self.queue, shipments)
        lines = dict(lines)
        lines["shipment"] = ids[inverse]
        self.pending_lines = _concat(self.pending_lines, lines)

    # -- ship and deliver ----------------------------------------------------------------------------
    def ship(self) -> None:
        """Hubs move what fits; shipments that leave are delivered, the rest wait a week."""
        model = self.model
        q = self.queue
        if not q or q["id"].size == 0:
            return
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
        self._deliver(_select(q, leaves), cold[leaves])
        rest = _select(q, ~leaves)
        rest["waited"] = rest["waited"] + 1
        self.queue = rest

    def _charge_shipping(self, q: dict[str, np.ndarray], cold: np.ndarray) -> None:
        model = self.model
        cfg = model.config.logistics
        cost = model.route_cost()[q["village"], q["city"]] * np.where(
            cold, cfg.cold_cost_multiplier, 1.0
        )
        fen = to_fen(cost * q["grams"] / 1000)
        hub = np.where(q["hub"] >= 0, q["hub"], len(model.hubs))
        model.money.transfer("shipping", "anchors", q["anchor"], "hubs", hub, fen)
        for i, f in zip(q["anchor"], cost * q["grams"] / 1000, strict=True):
            model.anchor_list[int(i)].shipping_week += float(f)

    def _deliver(self, q: dict[str, np.ndarray], cold: np.ndarray) -> None:
        model = self.model
        cfg = model.config.logistics
        stats = model.week_stats
        if q["id"].size == 0:
            return
        days = model.world.route_days[q["village"], q["city"]] + 7.0 * q["waited"]
        temp = np.where(cold, cfg.cold_temp_factor, 1.0)
        frac = spoilage_fraction(q["perish"], days, temp)
        lines = self.pending_lines
        assert lines is not None
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
            "spoiled_transit", "in_transit", q["id"], "spoiled_transit", 0, spoiled_g
        )
        model.goods.transfer("delivered", "in_transit", q["id"], "consumers", 0, arrived_g)
        fresh = q["fresh"]
        stats["fresh_shipped_kg"] += float(q["grams"][fresh].sum()) / 1000
        stats["fresh_spoiled_kg"] += float(spoiled_g[fresh].sum()) / 1000
        stats["cold_shipped_kg"] += float(q["grams"][fresh & cold].sum()) / 1000
        stats["cold_spoiled_kg"] += float(spoiled_g[fresh & cold].sum()) / 1000
        vs = model.village_stats
        np.add.at(vs["fresh_shipped_kg"], q["village"][fresh], q["grams"][fresh] / 1000)
        np.add.at(vs["fresh_spoiled_kg"], q["village"][fresh], spoiled_g[fresh] / 1000)
        self._record_flows(q)
        # Each order line's parcels vary around the shipment's mean quality by the goods' spread
        # (paper §3.3: 品质参差不齐; standardisation narrows it).
        parcel = q["quality"][spos] + q["spread"][spos] * self.rng.standard_normal(spos.size)
        self._consumers_receive(delivered_lines, np.clip(parcel, 0, 1), spoiled_buyers)

    def _record_flows(self, q: dict[str, np.ndarray]) -> None:
        flows = self.edge_flow_kg
        for v, c, g in zip(
            q["village"].tolist(), q["city"].tolist(), q["grams"].tolist(), strict=True
        ):
            kg = float(g) / 1000
            for key in self._route_edges(v, c):
                flows[key] = flows.get(key, 0.0) + kg

    def _route_edges(self, village: int, city: int) -> tuple[tuple[int, int], ...]:
        """The (smaller node, larger node) edges of the route village → city (cached)."""
        edges = self._edge_cache.get((village, city))
        if edges is None:
            path = self.model.world.route_paths[(village, city)]
            edges = tuple((min(edge), max(edge)) for edge in zip(path[:-1], path[1:], strict=True))
            self._edge_cache[(village, city)] = edges
        return edges

    def _consumers_receive(
        self, lines: dict[str, np.ndarray], quality: np.ndarray, spoiled: np.ndarray
    ) -> None:
        """Compare received with advertised quality: complaints, refunds, trust, follows."""
        model = self.model
        cfg = model.config.consumers
        stats = model.week_stats
        consumers = model.consumers
        buyers = lines["buyers"]
        intact = buyers - spoiled
        gap = quality - lines["advertised"]
        let_down = gap < -cfg.complaint_gap
        problems = spoiled + np.where(let_down, intact, 0)
        complaints = thin(problems, cfg.complain_given_problem, consumers.rng)
        refunded_intact = thin(
            np.where(let_down, intact, 0), cfg.refund_given_problem, consumers.rng
        )
        refund_fen = (spoiled + refunded_intact) * lines["price_fen"]
        has = refund_fen > 0
        model.money.transfer(
            "refund", "anchors", lines["anchor"][has], "consumers", 0, refund_fen[has]
        )
        model.goods.transfer(
            "refund_write_off",
            "consumers",
            0,
            "written_off",
            0,
            int((refunded_intact * lines["pack_g"]).sum()),
        )
        anchor_complaints = np.bincount(
            lines["anchor"], weights=complaints, minlength=model.anchor_count
        )
        for i in np.flatnonzero(anchor_complaints):
            model.anchor_list[int(i)].complaints_week += int(anchor_complaints[i])
        stats["complaints"] += float(complaints.sum())
        stats["refunds_fen"] += float(refund_fen.sum())
        satisfaction_intact = np.clip(
            1 + (gap + cfg.trust_gap_tolerance) / (2 * max(cfg.complaint_gap, 1e-9)), 0, 1
        )
        satisfaction = satisfaction_intact * intact / np.maximum(buyers, 1)
        satisfied = np.where(let_down, 0, intact - refunded_intact)
        consumers.experience(
            lines["unit"], lines["anchor"], lines["village"], satisfaction, satisfied
        )

    # -- storage at origin --------------------------------------------------------------------------
    def store_at_origin(self) -> None:
        """Unsold stock waits a week at origin and spoils; cold storage slows it (power allowing)."""
        model = self.model
        cfg = model.config.logistics
        goods = model.goods.balances
        n_p = len(model.products)
        for anchor in model.anchor_list:
            if anchor.exited:
                continue
            for p in range(n_p):
                slot = anchor.index * n_p + p
                held = int(goods["anchor_stock"][slot])
                held_import = int(goods["anchor_import"][slot])
                if held + held_import == 0:
                    continue
                perish = model.products[p].perishability_per_day
                share_cold = model.cold_storage_share(anchor.base_village)
                temp = share_cold * cfg.origin_cold_temp_factor + (1 - share_cold)
                frac = 1 - np.exp(-perish * 7 * temp)
                lost = int(held * frac)
                lost_import = int(held_import * frac)
                if lost:
                    model.goods.transfer(
                        "spoiled_origin",
                        "anchor_stock",
                        slot,
                        "spoiled_origin",
                        anchor.base_village,
                        lost,
                    )
                    model.village_goods.add("spoiled_origin", anchor.base_village, lost)
                    anchor.cogs_week += lost * anchor.unit_cost[p] / 1000
                if lost_import:
                    model.goods.transfer(
                        "spoiled_import",
                        "anchor_import",
                        slot,
                        "spoiled_origin",
                        anchor.base_village,
                        lost_import,
                    )
                    spec = model.products[p]
                    anchor.cogs_week += (
                        lost_import * spec.import_price_share * spec.farm_gate_price / 1000
                    )

    def in_transit_g(self) -> int:
        """Grams in shipments still waiting (the queue's view of goods in transit)."""
        return int(self.queue["grams"].sum()) if self.queue else 0
