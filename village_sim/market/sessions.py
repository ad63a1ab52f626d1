"""Sessions (paper §3.2): who streams this week, and which sessions stall.

:meth:`Market.open_sessions` gathers the anchors streaming this week into a :class:`Sellers`
record and draws stalls per session from the host village's bandwidth and power (MODEL.md §8:
``p_bw = p_floor + (p_ceiling − p_floor)·exp(−uplink_mbps / b_scale)``,
``p_stall = 1 − (1 − p_bw)·power_reliability``; a stalled session loses a share of its viewers).
The record also carries what each seller offers consumers (price cut, advertised quality, brand
``Q·E``, skill and tool boosts): the platform allocates attention over it, consumers choose from it, and
:meth:`Market.fill_orders` fills what they chose (:mod:`village_sim.market.orders`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import mesa
import numpy as np

from village_sim.agents.pricing import PeerPrices
from village_sim.market.orders import Orders, fill_orders

if TYPE_CHECKING:
    from village_sim.agents.consumers import Choices
    from village_sim.market.platform import Offers


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


def stall_draws(sessions: np.ndarray, p_stall: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Stalled sessions per seller: one uniform per session, stalled when below its chance.

    Binomial in distribution; coupled across stall chances (a higher chance stalls every session
    a lower one does, given the same draws).
    """
    owner = np.repeat(np.arange(sessions.size), sessions)
    u = rng.random(owner.size)
    return np.bincount(owner, weights=u < p_stall[owner], minlength=sessions.size).astype(np.int64)


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
    followers: np.ndarray
    markdown: np.ndarray
    branded: np.ndarray
    boost: np.ndarray
    trust_boost: np.ndarray

    @property
    def size(self) -> int:
        """Number of sellers."""
        return int(self.ids.size)


class Market:
    """Sessions and orders: who streams, which sessions stall, and how orders are filled.

    Args:
        model: The model (scenario, world, products, anchors, ledgers, governance).
    """

    def __init__(self, model: mesa.Model) -> None:
        self.model = model
        self.rng = model.streams["sessions"]
        self.stall_rng = model.streams["stalls"]
        """Stalls' own stream, one uniform draw per session: the same seed gives the same draws
        whatever the market does, and a higher stall chance stalls a superset of the sessions
        (common random numbers, so calibration compares parameters, not noise)."""
        self.peer_prices = PeerPrices(len(model.products), model.config.anchors.review_window_weeks)
        """The county's kg-weighted prices by product (imitators' ``p̄``, ECONOMICS.md §A)."""

    # -- information anchors use ------------------------------------------------------------------
    def open_week(self) -> None:
        """Open this week's price sums (what imitators read as ``p̄`` in later weeks)."""
        self.peer_prices.open_week()

    # -- sessions ----------------------------------------------------------------------------------
    def open_sessions(self) -> Sellers | None:
        """This week's sellers: sessions, stalls, followings and what they offer (None: nobody).

        Anchors record their sessions and stalls; every anchor that does not stream has none.
        """
        model = self.model
        for anchor in model.anchor_list:
            anchor.sessions = anchor.stalled = 0
        anchors = [a for a in model.anchor_list if a.sessions_planned > 0 and not a.exited]
        if not anchors:
            return None
        sellers = self._gather(anchors)
        for anchor, n, st, f in zip(
            anchors, sellers.sessions, sellers.stalled, sellers.followers, strict=True
        ):
            anchor.sessions, anchor.stalled, anchor.followers = int(n), int(st), int(f)
        self._count_sessions(sellers)
        return sellers

    def _gather(self, anchors: list) -> Sellers:
        model = self.model
        world = model.world
        products = model.products
        sc = model.config
        n_p = len(products)
        ids = np.array([a.index for a in anchors], dtype=np.int64)
        product = np.array([a.product for a in anchors], dtype=np.int64)
        village = np.array([a.base_village for a in anchors], dtype=np.int64)
        hosted = np.array([a.kind != "external" for a in anchors])
        sessions = np.array([a.sessions_planned for a in anchors], dtype=np.int64)
        s = sc.streaming
        upgrade = model.governance.uplink_multiplier(village)
        p_stall = stall_probability(
            world.uplink_mbps[village] * upgrade,
            world.power_reliability[village],
            s.p_floor,
            s.p_ceiling,
            s.b_scale_mbps,
        )
        p_stall = np.where(hosted, p_stall, 0.0)
        stalled = stall_draws(sessions, p_stall, self.stall_rng)
        slots = ids * n_p + product
        goods = model.goods.balances
        quality_local = np.array([a.stock_quality[a.product] for a in anchors])
        exaggeration = np.array([a.exaggeration for a in anchors])
        spec_quality = products.array("quality_mean")[product]
        import_quality = products.array("import_quality")[product]
        stock_local = goods["anchor_stock"][slots].copy()
        advertised = np.clip(
            np.where(stock_local > 0, quality_local, spec_quality) + exaggeration, 0, 1
        )
        import_cost = (
            products.array("import_price_share")[product]
            * products.array("farm_gate_price")[product]
        )
        price = np.array([a.price[a.product] for a in anchors])
        spec_price = products.array("city_price")[product]
        return Sellers(
            anchors=anchors,
            ids=ids,
            village=village,
            product=product,
            price=price,
            pack_g=np.rint(products.array("pack_kg")[product] * 1000).astype(np.int64),
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
            followers=model.consumers.followers(model.anchor_count)[ids],
            markdown=(spec_price - price) / spec_price,
            branded=np.array([a.brand_term() for a in anchors]),
            boost=np.array(
                [
                    np.log1p(a.tool_effect("conversion"))
                    + sc.consumers.skill_weight * (a.skill - 0.5)
                    for a in anchors
                ]
            ),
            trust_boost=np.array(
                [
                    max(a.tool_effect("trust"), model.governance.offer_credibility(a))
                    for a in anchors
                ]
            ),
        )

    def _count_sessions(self, s: Sellers) -> None:
        stats = self.model.week_stats
        mountain = self.model.world.terrain[s.village] == 2
        stats["sessions_hosted"] += int(s.sessions[s.hosted].sum())
        stats["sessions_stalled"] += int(s.stalled[s.hosted].sum())
        stats["sessions_mountain"] += int(s.sessions[s.hosted & mountain].sum())
        stats["stalled_mountain"] += int(s.stalled[s.hosted & mountain].sum())
        vs = self.model.books.village
        np.add.at(vs["sessions"], s.village[s.hosted], s.sessions[s.hosted])
        np.add.at(vs["stalled"], s.village[s.hosted], s.stalled[s.hosted])
        week = self.model.books.village_week
        np.add.at(week["sessions"], s.village[s.hosted], s.sessions[s.hosted])
        np.add.at(week["stalled"], s.village[s.hosted], s.stalled[s.hosted])

    # -- orders ------------------------------------------------------------------------------------
    def fill_orders(
        self, sellers: Sellers | None, offers: Offers | None, choices: Choices | None
    ) -> Orders | None:
        """Fill what consumers chose from stock; take payment and fees (:func:`fill_orders`)."""
        if sellers is None:
            return None
        return fill_orders(self.model, sellers, offers, choices, self.rng)
