"""Supply contracts between anchors and farm households (paper §3.1; bargaining is an extension).

An anchor offers a price per kg: the typical reservation of the village's growers plus a bargaining
share of the surplus — what a kg is worth to the anchor after fees, commission, slot fee and shipping,
less that reservation. A household accepts when the offer beats its expected middleman price plus a
risk premium (MODEL.md §8) and it can contract online (it has a connection). Households already
under contract with the anchor deliver first; new ones are recruited in random order. A
minimum-farmer-share policy bounds the offer from below.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import mesa
import numpy as np

from village_sim.accounts import Account, Flow
from village_sim.agents.farmer import NO_ANCHOR
from village_sim.numerics import median
from village_sim.units import to_fen

if TYPE_CHECKING:
    from village_sim.agents.anchor import Anchor


class Contracts:
    """Sourcing from farm households: offers, acceptance, deliveries."""

    def __init__(self, model: mesa.Model) -> None:
        self.model = model
        self.rng = model.streams["contracts"]
        self._week = -1
        self._reservation_cache: dict[tuple[int, int], float] = {}
        self._available: np.ndarray | None = None

    def _this_week(self) -> None:
        """Forget last week's reservations and stock snapshot (price information may change)."""
        if self._week != self.model.week:
            self._week = self.model.week
            self._reservation_cache = {}
            self._available = None

    def available_by_village_product(self) -> np.ndarray:
        """Grams connected growers could sell, (villages, products), as of the start of planning.

        Computed once a week (after the harvest) so that anchors choosing what to sell compare
        the same snapshot.
        """
        self._this_week()
        if self._available is None:
            model = self.model
            farmers = model.farmers
            n_p = len(model.products)
            store = np.where(farmers.connected, model.goods.balances["farm_store"], 0)
            key = farmers.village * n_p + farmers.product
            flat = np.bincount(key, weights=store, minlength=model.world.n_villages * n_p)
            self._available = flat.reshape(model.world.n_villages, n_p)
        return self._available

    def _growers(self, village: int, product: int) -> np.ndarray:
        return self.model.farmers.by_village_product.get(
            (village, product), np.zeros(0, dtype=np.int64)
        )

    def typical_reservation(self, village: int, product: int) -> float:
        """Median reservation price of the village's growers of a product (yuan/kg)."""
        self._this_week()
        key = (village, product)
        if key not in self._reservation_cache:
            idx = self._growers(village, product)
            if idx.size:
                value = median(self.model.farmers.reservation_price(idx))
            else:
                spec = self.model.products[product]
                value = spec.farm_gate_price * (1 + self.model.config.farmers.risk_premium)
            self._reservation_cache[key] = value
        return self._reservation_cache[key]

    def available_g(self, village: int, product: int) -> int:
        """Grams in connected growers' stores that anchors could contract (weekly snapshot)."""
        return int(self.available_by_village_product()[village, product])

    def offer_price(self, anchor: Anchor) -> float:
        """The anchor's price per kg to farmers this week (yuan/kg)."""
        sc = self.model.config
        res = self.typical_reservation(anchor.base_village, anchor.product)
        net = anchor.net_value_per_kg()
        weight = (
            sc.external_anchors.bargaining_weight
            if anchor.kind == "external"
            else sc.farmers.bargaining_weight
        )
        offer = res + weight * (net - res) if net > res else net
        floor = self.model.governance.min_farmer_share() * anchor.price[anchor.product]
        return max(offer, floor, 0.0)

    def may_source(self, anchor: Anchor) -> bool:
        """Whether the anchor's village has growers of its product."""
        return self._growers(anchor.base_village, anchor.product).size > 0

    def buy_from_farmers(self, anchor: Anchor, need_g: int) -> int:
        """Buy up to ``need_g`` grams from households that accept the anchor's offer.

        Returns:
            Grams bought.
        """
        model = self.model
        farmers = model.farmers
        idx = self._growers(anchor.base_village, anchor.product)
        offer = anchor.offer_price
        reservation = farmers.reservation_price(idx)
        contract = farmers.contract_anchor[idx]
        stream = farmers.stream_anchor[idx]
        mine = contract == anchor.index
        affordable = reservation <= offer
        dropped = mine & ~affordable  # its own growers whose reservation now exceeds the offer
        farmers.contract_anchor[idx[dropped]] = NO_ANCHOR
        own = stream == anchor.index
        free = ((contract == NO_ANCHOR) | dropped) & (stream == NO_ANCHOR)
        accepts = farmers.connected[idx] & affordable & (mine | free)
        accepts |= own
        store = model.goods.balances["farm_store"][idx]
        candidates = np.flatnonzero(accepts & (store > 0))
        if candidates.size == 0:
            return 0
        priority = np.where(own[candidates], 0, np.where(mine[candidates], 1, 2))
        order = candidates[np.lexsort((self.rng.random(candidates.size), priority))]
        grams = store[order]
        before = np.cumsum(grams) - grams
        take = np.minimum(np.maximum(need_g - before, 0), grams)  # integer clip
        sold = take > 0
        sellers, take = idx[order[sold]], take[sold]
        if sellers.size == 0:
            return 0
        farmers.contract_anchor[sellers[farmers.stream_anchor[sellers] == NO_ANCHOR]] = anchor.index
        self._deliver(anchor, sellers, take, offer)
        return int(take.sum())

    def _deliver(
        self, anchor: Anchor, sellers: np.ndarray, grams: np.ndarray, offer: float
    ) -> None:
        """Goods from the households' stores to the anchor's stock; money the other way."""
        model = self.model
        p = anchor.product
        slot = anchor.index * len(model.products) + p
        local, _ = anchor.stock_g()
        quality = model.farmers.stock_quality[sellers]
        total = local + int(grams.sum())
        anchor.stock_quality[p] = (
            anchor.stock_quality[p] * local + float((quality * grams).sum())
        ) / max(total, 1)
        anchor.unit_cost[p] = (anchor.unit_cost[p] * local + offer * float(grams.sum())) / max(
            total, 1
        )
        model.goods.transfer(
            Flow.CONTRACT, Account.FARM_STORE, sellers, Account.ANCHOR_STOCK, slot, grams
        )
        pay = to_fen(offer * grams / 1000.0)
        model.money.transfer(
            Flow.CONTRACT_SALE, Account.ANCHORS, anchor.index, Account.FARMERS, sellers, pay
        )
        channel = "own_stream" if anchor.kind == "farmer" else "contract"
        week = model.books.village_week  # the sellers are growers of the anchor's village
        week[f"{channel}_kg"][anchor.base_village] += float(grams.sum()) / 1000
        week[f"{channel}_yuan"][anchor.base_village] += float(pay.sum()) / 100
