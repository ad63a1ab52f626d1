"""Sessions and orders: what happens between anchors, the platform and consumers each week.

``run_sessions`` gathers the anchors streaming this week into arrays, draws stalls per session from
the host village's bandwidth and power (paper §3.2, MODEL.md §8:
``p_bw = p_floor + (p_ceiling − p_floor)·exp(−uplink_mbps / b_scale)``,
``p_stall = 1 − (1 − p_bw)·power_reliability``; a stalled session loses a share of its viewers),
asks the platform for each unit's offers, lets consumers choose, fills orders from stock (unmet
demand is counted), takes payment and platform fees, and hands the filled orders to logistics.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from village_sim.market.contracts import Contracts
from village_sim.market.ledger import to_fen
from village_sim.market.platform import Platform
from village_sim.numerics import binned_sums
from village_sim.randomness import stochastic_round

if TYPE_CHECKING:
    from village_sim.agents.anchor import Anchor
    from village_sim.model import VillageMarket


OFFER_BLOCK = 1 << 17
"""Flat (unit, offer) cells per block in :meth:`Market._onlooker_cumsum` and in the views per
seller of :meth:`Market._fill_orders` (a block fits in the CPU cache; a province's week does not)."""


def stall_probability(
    uplink_mbps: np.ndarray,
    power_reliability: np.ndarray,
    p_floor: float,
    p_ceiling: float,
    b_scale: float,
) -> np.ndarray:
    """Chance that a session stalls, from bandwidth and power (MODEL.md §8)."""
    p_bw = p_floor + (p_ceiling - p_floor) * np.exp(-np.asarray(uplink_mbps) / b_scale)
    return 1 - (1 - p_bw) * np.asarray(power_reliability)


def _seller_then_random(seller: np.ndarray, u: np.ndarray) -> np.ndarray:
    """``np.lexsort((u, seller))`` for seller positions and uniform draws from ``rng.random``.

    A draw is ``j · 2**-53`` for an integer ``j < 2**53``, so ``seller · 2**53 + j`` is an exact
    integer key with the same order. Without tied keys every sort gives the one (stable) order
    lexsort gives, so the fast unstable sort is used and checked; ties fall back to lexsort.
    """
    if seller.size == 0 or seller.max() >= 1 << 10 or seller.min() < 0:
        return np.lexsort((u, seller))
    key = (seller << 53) + (u * 2.0**53).astype(np.int64)
    order = np.argsort(key)
    ordered = key[order]
    if (ordered[1:] == ordered[:-1]).any():
        return np.lexsort((u, seller))
    return order


@dataclass
class Sellers:
    """This week's streaming anchors as arrays (position = index into these arrays)."""

    anchors: list
    ids: np.ndarray
    village: np.ndarray
    product: np.ndarray
    price: np.ndarray
    pack_g: np.ndarray
    hosted: np.ndarray
    local: np.ndarray
    sessions: np.ndarray
    stalled: np.ndarray
    stock_local: np.ndarray
    stock_import: np.ndarray
    quality_local: np.ndarray
    quality_import: np.ndarray
    advertised: np.ndarray
    unit_cost: np.ndarray
    import_cost: np.ndarray
    fee: np.ndarray


class Market:
    """The market between agents: contracts, platform, sessions and orders."""

    def __init__(self, model: VillageMarket) -> None:
        self.model = model
        self.contracts = Contracts(model)
        self.platform = Platform(model)
        self.rng = model.streams["sessions"]
        self.sellers: Sellers | None = None
        self.seller_ids_ext = np.array([-1], dtype=np.int64)
        self.inspected_this_week: set[int] = set()
        self._wanted: dict[int, float] = {}
        self._filled: dict[int, float] = {}
        self._peer_price: dict[int, tuple[float, int]] = {}
        self.views_by_seller = np.zeros(0)
        self.week_views: dict[int, float] = {}
        self.week_lines: dict[str, np.ndarray] | None = None
        self._adoption_key: tuple[int, int] | None = None
        self._adoption: dict[str, float] = {}

    # -- information anchors use ------------------------------------------------------------------
    def start_week(self) -> None:
        """Reset weekly state; note last week's best-earning local peer per product."""
        self.contracts.start_week()
        self.inspected_this_week = set()
        self._peer_price = {}
        for anchor in self.model.anchor_list:
            if (
                not anchor.is_local
                or anchor.exited
                or not anchor.revenue_history
                or anchor.sessions == 0
            ):
                continue
            p = anchor.product
            earned = anchor.revenue_history[-1]
            best = self._peer_price.get(p)
            if best is None or earned > best[0]:
                self._peer_price[p] = (earned, anchor.index)

    def best_peer_price(self, product: int, exclude: int) -> float | None:
        """Price of last week's best-earning anchor selling the product (other than ``exclude``)."""
        best = self._peer_price.get(product)
        if best is None or best[1] == exclude:
            return None
        return float(self.model.anchor_list[best[1]].price[product])

    def wanted_orders(self, anchor_index: int) -> float:
        """Orders consumers wanted from an anchor this week (filled or not)."""
        return self._wanted.get(anchor_index, 0.0)

    def filled_orders(self, anchor_index: int) -> float:
        """Orders an anchor filled this week."""
        return self._filled.get(anchor_index, 0.0)

    def tool_adoption_share(self, name: str) -> float:
        """Share of active anchors holding a tool (peers' adoption).

        Remembered until an anchor joins, quits or acquires a tool (``model.anchor_changes``).
        """
        model = self.model
        key = (len(model.anchor_list), model.anchor_changes)
        if key != self._adoption_key:
            self._adoption_key, self._adoption = key, {}
        share = self._adoption.get(name)
        if share is None:
            active = [a for a in model.anchor_list if not a.exited]
            share = sum(name in a.tools for a in active) / len(active) if active else 0.0
            self._adoption[name] = share
        return share

    def inspection_queue(self, rng: np.random.Generator) -> list[Anchor]:
        """Trading anchors not yet inspected this week, most complained-about first."""
        from village_sim.agents.regulator import complaint_order

        week = self.model.week
        pool = [
            a
            for a in self.model.anchor_list
            if a.can_trade(week) and a.index not in self.inspected_this_week
        ]
        if not pool:
            return []
        complaints = np.array([sum(a.complaints_hist) for a in pool], dtype=float)
        return [pool[i] for i in complaint_order(complaints, rng)]

    # -- sessions ----------------------------------------------------------------------------------
    def _gather(self) -> Sellers | None:
        model = self.model
        anchors = [a for a in model.anchor_list if a.sessions_planned > 0]
        if not anchors:
            return None
        world = model.world
        sc = model.config
        n_p = len(model.products)
        ids = np.array([a.index for a in anchors], dtype=np.int64)
        product = np.array([a.product for a in anchors], dtype=np.int64)
        village = np.array([a.base_village for a in anchors], dtype=np.int64)
        hosted = np.array([a.kind != "external" for a in anchors])
        sessions = np.array([a.sessions_planned for a in anchors], dtype=np.int64)
        s = sc.streaming
        upgrade = model.governance.uplink_multiplier(village)
        p_stall = stall_probability(
            world.uplink_mbps[village] * upgrade,
            model.power_reliability()[village],
            s.p_floor,
            s.p_ceiling,
            s.b_scale_mbps,
        )
        p_stall = np.where(hosted, p_stall, 0.0)
        stalled = self.rng.binomial(sessions, p_stall)
        slots = ids * n_p + product
        goods = model.goods.balances
        quality_local = np.array([a.stock_quality[a.product] for a in anchors])
        exaggeration = np.array([a.exaggeration for a in anchors])
        spec_quality = model.product_array("quality_mean")[product]
        import_quality = model.product_array("import_quality")[product]
        stock_local = goods["anchor_stock"][slots].copy()
        advertised = np.clip(
            np.where(stock_local > 0, quality_local, spec_quality) + exaggeration, 0, 1
        )
        import_cost = (
            model.product_array("import_price_share")[product]
            * model.product_array("farm_gate_price")[product]
        )
        return Sellers(
            anchors=anchors,
            ids=ids,
            village=village,
            product=product,
            price=np.array([a.price[a.product] for a in anchors]),
            pack_g=np.rint(model.product_array("pack_kg")[product] * 1000).astype(np.int64),
            hosted=hosted,
            local=np.array([a.is_local for a in anchors]),
            sessions=sessions,
            stalled=stalled,
            stock_local=stock_local,
            stock_import=goods["anchor_import"][slots].copy(),
            quality_local=quality_local,
            quality_import=import_quality,
            advertised=advertised,
            unit_cost=np.array([a.unit_cost[a.product] for a in anchors]),
            import_cost=import_cost,
            fee=np.array([a.fee_rate() for a in anchors]),
        )

    def run_sessions(self) -> None:
        """Stalls, traffic, choice, orders, payment; filled orders go to logistics."""
        model = self.model
        self._wanted = {}
        self._filled = {}
        self.week_lines = None
        for anchor in model.anchor_list:
            anchor.sessions = anchor.stalled = 0
        sellers = self._gather()
        self.sellers = sellers
        if sellers is None:
            self.views_by_seller = np.zeros(0)
            self.week_views = {}
            return
        for anchor, n, st in zip(sellers.anchors, sellers.sessions, sellers.stalled, strict=True):
            anchor.sessions, anchor.stalled = int(n), int(st)
        self._count_sessions(sellers)
        self.seller_ids_ext = np.append(sellers.ids, -1)
        followers = model.consumers.followers(model.anchor_count)[sellers.ids]
        for anchor, f in zip(sellers.anchors, followers, strict=True):
            anchor.followers = int(f)
        orders4 = np.array([sum(a.orders_hist) for a in sellers.anchors], dtype=float)
        views4 = np.array([sum(a.views_hist) for a in sellers.anchors], dtype=float)
        paid_request = np.array([a.paid_views for a in sellers.anchors], dtype=float)
        allocation, paid_delivered = self.platform.allocate(
            sellers.ids, followers, orders4, views4, paid_request, sellers.local, sellers.sessions
        )
        self._charge_paid_traffic(sellers, np.minimum(paid_delivered, paid_request))

        loss = model.config.anchors.stall_viewer_loss
        stall_keep = np.append(1 - loss * sellers.stalled / np.maximum(sellers.sessions, 1), 1.0)
        spec_price = model.product_array("city_price")[sellers.product]
        markdown = (spec_price - sellers.price) / spec_price
        utility = {
            "markdown": np.append(markdown, 0.0),
            "quality": np.append(sellers.advertised, 0.0),
            "brand": np.append([float(a.branded()) for a in sellers.anchors], 0.0),
            "boost": np.append(
                [
                    np.log1p(a.tool_effect("conversion"))
                    + model.config.consumers.skill_weight * (a.skill - 0.5)
                    for a in sellers.anchors
                ],
                0.0,
            ),
            "trust_boost": np.append(
                [
                    max(a.tool_effect("trust"), model.governance.offer_credibility(a))
                    for a in sellers.anchors
                ],
                0.0,
            ),
            "village": np.append(sellers.village, 0),
        }
        viewers, buyers = model.consumers.choose(
            allocation.offers, allocation.slot_of, utility, stall_keep
        )
        line = np.flatnonzero(buyers != 0)  # order lines (flat unit-offer cells), row-major
        self._follow_from_views(allocation, viewers, buyers, sellers, line)
        self._fill_orders(sellers, allocation.offers, viewers, buyers, markdown, line)

    def _ration(self, seller: np.ndarray, wanted: np.ndarray, capacity: np.ndarray) -> np.ndarray:
        """Orders filled per line: each seller serves its lines in random order until stock ends."""
        order = _seller_then_random(seller, self.rng.random(seller.size))
        w = wanted[order]
        s_sorted = seller[order]
        before = np.cumsum(w) - w
        first = (
            np.concatenate(([True], s_sorted[1:] != s_sorted[:-1]))
            if s_sorted.size
            else (np.zeros(0, bool))
        )
        group_start = np.maximum.accumulate(np.where(first, np.arange(s_sorted.size), 0))
        before -= before[group_start]
        filled = np.zeros(seller.size, dtype=np.int64)
        filled[order] = np.minimum(np.maximum(capacity[s_sorted] - before, 0), w)  # integer clip
        return filled

    def _count_sessions(self, s: Sellers) -> None:
        stats = self.model.week_stats
        mountain = self.model.world.terrain[s.village] == 2
        stats["sessions_hosted"] += int(s.sessions[s.hosted].sum())
        stats["sessions_stalled"] += int(s.stalled[s.hosted].sum())
        stats["sessions_mountain"] += int(s.sessions[s.hosted & mountain].sum())
        stats["stalled_mountain"] += int(s.stalled[s.hosted & mountain].sum())
        vs = self.model.village_stats
        np.add.at(vs["sessions"], s.village[s.hosted], s.sessions[s.hosted])
        np.add.at(vs["stalled"], s.village[s.hosted], s.stalled[s.hosted])

    def _charge_paid_traffic(self, s: Sellers, views: np.ndarray) -> None:
        cpm = self.model.config.platform.cpm_yuan
        fen = to_fen(views * cpm / 1000)
        buyers = np.flatnonzero(fen > 0)
        self.model.money.transfer(
            "paid_traffic", "anchors", s.ids[buyers], "platform", 0, fen[buyers]
        )

    def _onlooker_cumsum(
        self, viewers: np.ndarray, buyers: np.ndarray, line: np.ndarray
    ) -> np.ndarray:
        """Running total of onlookers (viewers who did not buy, at least 0) over flat offers.

        ``np.cumsum(np.maximum(viewers - buyers, 0.0))`` bit for bit: a running sum adds in
        order, so each block starts from the last total. Computed block by block into a buffer
        kept from week to week, so a province's week does not build two fresh arrays of its
        every offer.
        """
        n = viewers.size
        weights = getattr(self, "_weights_buffer", None)
        if weights is None or weights.size != n:
            weights = self._weights_buffer = np.empty(n, dtype=np.float64)
        np.copyto(weights, viewers)
        weights[line] = np.maximum(weights[line] - buyers[line], 0.0)  # elsewhere nobody bought
        carry = 0.0
        for lo in range(0, n, OFFER_BLOCK):
            block = weights[lo : lo + OFFER_BLOCK]
            block[0] += carry
            np.cumsum(block, out=block)
            carry = block[-1]
        return weights

    def _follow_from_views(self, allocation, viewers, buyers, s: Sellers, line) -> None:
        """Some viewers who did not buy follow the anchor they watched.

        ``line`` holds the flat cells with buyers; elsewhere the onlookers are all the viewers.
        """
        cfg = self.model.config.consumers
        rng = self.model.consumers.rng
        flat_viewers, flat_buyers = viewers.reshape(-1), buyers.reshape(-1)
        weights = self._onlooker_cumsum(flat_viewers, flat_buyers, line)
        # Joins are rare (a fraction of a person per offer): draw their number, then place each on
        # an offer in proportion to its onlookers — the same expectation as thinning every offer.
        total = int(stochastic_round(np.array(weights[-1] * cfg.follow_after_view), rng))
        if total <= 0:
            return
        # Sorted targets search faster; their order does not matter (np.unique sorts the cells).
        targets = np.sort(rng.random(total) * weights[-1])
        cells = np.searchsorted(weights, targets, side="right")
        cells, joins = np.unique(np.minimum(cells, weights.size - 1), return_counts=True)
        u, j = np.divmod(cells, viewers.shape[1])
        onlookers = np.maximum(flat_viewers[cells] - flat_buyers[cells], 0.0)  # float64
        joins = np.minimum(joins, np.ceil(onlookers).astype(np.int64))
        anchors = s.ids[allocation.offers[u, j]]
        self.model.consumers.add_follows(u, anchors, joins, np.full(u.size, cfg.trust_initial))

    def _fill_orders(
        self,
        s: Sellers,
        offers: np.ndarray,
        viewers: np.ndarray,
        buyers: np.ndarray,
        markdown: np.ndarray,
        line: np.ndarray,
    ) -> None:
        """Fill orders from stock (first come, first served), take payment, record order lines.

        ``line`` holds the flat (unit, offer) cells with buyers, row-major.
        """
        model = self.model
        stats = model.week_stats
        n_s = s.ids.size
        flat_offers = offers.reshape(-1)
        # Bin 0 collects the empty offers (-1); each seller's views add up in the same order.
        views_by_seller = binned_sums(
            flat_offers, viewers.reshape(-1), n_s + 1, shift=1, block=OFFER_BLOCK
        )[1:]
        self.views_by_seller = views_by_seller
        u = line // offers.shape[1]
        seller = flat_offers[line]
        wanted_line = buyers.reshape(-1)[line]
        # Buyers are whole numbers, so summing only the non-zero lines gives the same floats.
        wanted = np.bincount(seller, weights=wanted_line, minlength=n_s)
        filled_line = self._ration(
            seller, wanted_line, (s.stock_local + s.stock_import) // s.pack_g
        )
        filled_by_seller = np.bincount(seller, weights=filled_line, minlength=n_s).astype(np.int64)
        grams = filled_by_seller * s.pack_g
        local_used = np.minimum(grams, s.stock_local)
        import_used = grams - local_used
        price_fen = to_fen(s.price * s.pack_g / 1000)
        sales_fen = filled_by_seller * price_fen
        stats["views"] += float(views_by_seller.sum())
        stats["orders_wanted"] += float(wanted.sum())
        stats["orders_filled"] += float(filled_by_seller.sum())
        stats["kg_sold"] += float(grams.sum()) / 1000
        stats["kg_fake_sold"] += float(import_used.sum()) / 1000
        stats["markdown_kg"] += float((markdown * grams).sum()) / 1000
        for anchor, w, f in zip(s.anchors, wanted, filled_by_seller, strict=True):
            self._wanted[anchor.index] = float(w)
            self._filled[anchor.index] = float(f)
        self.week_views = {int(i): float(v) for i, v in zip(s.ids, views_by_seller, strict=True)}
        pay = np.flatnonzero(sales_fen > 0)
        model.money.transfer("sale", "consumers", 0, "anchors", s.ids[pay], sales_fen[pay])
        fee_fen = np.rint(sales_fen * s.fee).astype(np.int64)
        model.money.transfer("platform_fee", "anchors", s.ids[pay], "platform", 0, fee_fen[pay])
        # What farmers were paid for the village goods sold this week (their contract price).
        farmer_value = local_used * s.unit_cost / 1000
        stats["farmer_live_receipts_yuan"] += float(farmer_value.sum())
        np.add.at(model.village_stats["farmer_live_yuan"], s.village, farmer_value)
        import_gain = (s.price * (1 - s.fee) - s.import_cost) * import_used / 1000
        for i in np.flatnonzero(grams > 0):
            anchor = s.anchors[i]
            anchor.cogs_week += (
                local_used[i] * s.unit_cost[i] + import_used[i] * s.import_cost[i]
            ) / 1000
            anchor.fake_gain_open += max(float(import_gain[i]), 0.0)
        keep = filled_line > 0
        u, seller = u[keep], seller[keep]
        consumers = model.consumers
        repeat = consumers.remember_purchases(
            u, s.village[seller], filled_line[keep], consumers.repeat_share_at(line[keep])
        )
        stats["purchases"] += float(filled_line.sum())
        stats["repeat_purchases"] += float(repeat.sum())
        self.week_lines = {
            "unit": u,
            "seller": seller,
            "anchor": s.ids[seller],
            "village": s.village[seller],
            "buyers": filled_line[keep],
            "pack_g": s.pack_g[seller],
            "price_fen": price_fen[seller],
            "advertised": s.advertised[seller],
            "week": np.full(u.size, model.week),
        }
        self.week_fill = {
            "local_used": local_used,
            "import_used": import_used,
            "grams": grams,
            "sales_fen": sales_fen,
        }
        model.logistics.dispatch(s, self.week_lines, local_used, import_used)
