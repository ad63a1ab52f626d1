"""The sourcing stage (ECONOMICS.md §A "Sourcing"; paper §2.3): purchases clear once a week.

After every anchor has planned its week (product, price) and posted what it needs
(:meth:`Sourcing.post`: grams short of its stock target at its offer), the purchases clear in one
stage, highest offer first — growers sell to the best bidder; equal offers in random order (the
``contracts`` stream). Each anchor buys in a single village of its reach: the one with the highest
``(net value − offer − c_km·km)·min(available, need)``, where ``available`` is what that village's
growers would sell it at its offer *now*, after the higher bidders. The goods become its lot of the
product, labelled with that village (:meth:`~village_sim.market.books.Books.label_lot`). Then, in
the order they planned, each anchor imports what is still short (priced, budgeted, decided) and
finishes its plan (paid traffic, tools, sessions).
"""

from __future__ import annotations

from dataclasses import dataclass
from operator import itemgetter
from typing import TYPE_CHECKING

import mesa
import numpy as np

from village_sim.agents.anchor import affordable_grams

if TYPE_CHECKING:
    from village_sim.agents.anchor import Anchor

CANDIDATES = 4
"""Villages per purchase whose growers are counted one by one (the best by the week's snapshot);
a local anchor's reach is no larger (its village and 3 neighbours), a city anchor's is the county."""


@dataclass
class Purchase:
    """One anchor's posted purchase of the week.

    Attributes:
        anchor: The buyer.
        need_g: Grams short of its stock target.
        offer: Its price per kg to growers (yuan/kg).
    """

    anchor: Anchor
    need_g: int
    offer: float


class Sourcing:
    """The week's purchases: posted while anchors plan, cleared in one stage.

    Args:
        model: The model (contracts, world, ledgers).
    """

    def __init__(self, model: mesa.Model) -> None:
        self.model = model
        self.posted: list[Purchase] = []

    def post(self, anchor: Anchor, need_g: int, funds: float | None = None) -> None:
        """Record an anchor's purchase for this week (it is cleared by :meth:`clear`).

        The grams are capped by what its available funds buy at its offer (ECONOMICS.md §A:
        whoever spends has a budget; nothing else is paid between posting and clearing).

        Args:
            anchor: The buyer (its product and offer).
            need_g: Grams short of its stock target.
            funds: ``anchor.available_funds()`` when the caller has just read it.
        """
        funds = anchor.available_funds() if funds is None else funds
        affordable = affordable_grams(funds, anchor.offer_price)
        need = min(int(need_g), affordable)
        self.posted.append(Purchase(anchor, need, float(anchor.offer_price)))

    def clear(self) -> None:
        """Clear the posted purchases highest offer first; then imports and the rest of the plans."""
        posted, self.posted = self.posted, []
        if not posted:
            return
        rng = self.model.contracts.rng
        offers = np.array([p.offer for p in posted])
        order = np.lexsort((rng.random(len(posted)), -offers))
        contracts = self.model.contracts
        live = contracts.available_by_village_product().copy()
        results = {}
        with contracts.clearing():
            for i in order.tolist():
                results[i] = self._buy(posted[i], live)
        for i, purchase in enumerate(posted):
            bought, supply = results[i]
            purchase.anchor.finish_sourcing(purchase.need_g, bought, supply)
            purchase.anchor.finish_plan()

    def _buy(self, purchase: Purchase, live: np.ndarray) -> tuple[int, int | None]:
        """Buy in the best village in reach.

        Returns:
            Grams bought, and grams the chosen village's growers would sell at the offer (0 when
            no village pays; None when no grower in reach holds the product at all: a shortfall
            no offer could cure, e.g. off-season).
        """
        anchor, need = purchase.anchor, purchase.need_g
        if need <= 0:
            return 0, None
        ranked = (
            self._candidates_arrays(purchase, live)
            if anchor.kind == "external"
            else self._candidates(purchase, live)
        )
        if ranked is None or not ranked:
            return 0, None if ranked is None else 0
        contracts = self.model.contracts
        p = anchor.product
        best_v, best_score, best_supply, best_sellers = -1, 0.0, 0, None
        for v, margin in ranked:
            supply, sellers = contracts.acceptable(anchor, v, p, purchase.offer)
            score = margin * min(supply, need)
            if score > best_score:
                best_v, best_score, best_supply, best_sellers = v, score, supply, sellers
        if best_v < 0:
            return 0, 0
        # Nothing changed since the growers were counted: the purchase reuses what was found.
        bought = contracts.buy_from_farmers(anchor, need, best_v, best_sellers)
        live[best_v, p] -= bought
        return bought, best_supply

    def _candidates(self, purchase: Purchase, live: np.ndarray) -> list[tuple[int, float]] | None:
        """:meth:`_candidates_arrays` in plain Python over a rural seller's few villages.

        The same floating-point operations village by village (a test compares); the villages
        where buying pays, ranked by estimate, ties in reach order (a stable sort).
        """
        anchor, need, offer = purchase.anchor, purchase.need_g, purchase.offer
        model = self.model
        p = anchor.product
        rows, km = anchor.reach_rows()
        c_km = model.config.anchors.sourcing_cost_per_kg_km
        net = anchor.net_value_column(rows, p)
        mask = model.contracts.grown_rows()
        slot = anchor.stock_slot(p)
        lot = None  # one lot per product at a time: with goods in stock, only the lot's village
        if model.goods.balances["anchor_stock"][slot] > 0:
            lot = model.books.lot_village(slot)
        exists = False
        paying = []
        for r, v in enumerate(rows):
            held = float(live[v, p])
            if not (mask[v][p] and held > 0) or (lot is not None and v != lot):
                continue
            exists = True
            margin = net[r] - offer - c_km * km[r]
            if margin > 0:
                paying.append((-(margin * min(held, need)), v, margin))
        if not exists:
            return None
        paying.sort(key=itemgetter(0))
        return [(v, margin) for _, v, margin in paying[:CANDIDATES]]

    def _candidates_arrays(
        self, purchase: Purchase, live: np.ndarray
    ) -> list[tuple[int, float]] | None:
        """Villages to count growers in, best estimate first, with the margin per kg bought there.

        ``(net value − offer − c_km·km)`` per kg, estimated at ``min(available, need)`` with the
        stage's live availability; at most :data:`CANDIDATES` villages where buying pays.

        Returns:
            ``(village, margin)`` pairs; empty when no village pays; None when no grower in reach
            holds the product (or, with a lot in stock, none in the lot's village).
        """
        anchor, need = purchase.anchor, purchase.need_g
        model = self.model
        p = anchor.product
        villages, km = anchor.reach()
        margin = (
            anchor.net_values(villages)[:, p]
            - purchase.offer
            - model.config.anchors.sourcing_cost_per_kg_km * km
        )
        exists = model.world.product_mask[villages, p] & (live[villages, p] > 0)
        slot = anchor.stock_slot(p)
        if model.goods.balances["anchor_stock"][slot] > 0:  # one lot per product at a time
            exists &= villages == model.books.lot_village(slot)
        if not exists.any():
            return None
        ok = exists & (margin > 0)
        if not ok.any():
            return []
        estimate = np.where(ok, margin * np.minimum(live[villages, p], need), -np.inf)
        out = []
        for r in np.argsort(-estimate, kind="stable")[:CANDIDATES]:
            if not ok[r]:
                break
            out.append((int(villages[r]), float(margin[r])))
        return out
