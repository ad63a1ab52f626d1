"""Orders (paper §2.3): what consumers chose is filled from stock, paid for and packed into lines.

Each seller serves its order lines in random order until its stock runs out (unmet demand is
counted); consumers pay the selling price, the platform takes its fee, and the filled lines — one
per (consumer unit, seller) — are handed on as an :class:`Orders` record to logistics and to the
consumers' purchase memory.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from village_sim.accounts import Account, Flow
from village_sim.agents.pricing import record_sales
from village_sim.numerics import OFFER_BLOCK, binned_sums
from village_sim.units import to_fen

if TYPE_CHECKING:
    from village_sim.agents.consumers import Choices
    from village_sim.market.platform import Offers
    from village_sim.market.sessions import Sellers


@dataclass
class Orders:
    """This week's filled orders.

    Attributes:
        sellers: The sellers they were placed with.
        views_by_seller: Person-views of each seller (A,).
        wanted_by_seller: Orders consumers wanted from each seller (A,).
        filled_by_seller: Orders each seller filled (A,).
        local_used: Grams of village goods each seller shipped (A,).
        import_used: Grams of out-of-region goods each seller shipped (A,).
        grams: Grams each seller shipped (A,).
        lines: Filled order lines (``unit, seller, anchor, village, buyers, pack_g, price_fen,
            advertised, week``), one per (consumer unit, seller) with buyers.
        cells: The flat (unit, offer) cell of each line in the week's choice arrays.
    """

    sellers: Sellers
    views_by_seller: np.ndarray
    wanted_by_seller: np.ndarray
    filled_by_seller: np.ndarray
    local_used: np.ndarray
    import_used: np.ndarray
    grams: np.ndarray
    lines: dict[str, np.ndarray]
    cells: np.ndarray

    @property
    def views_by_anchor(self) -> dict[int, float]:
        """Person-views by global anchor index."""
        return {
            int(i): float(v) for i, v in zip(self.sellers.ids, self.views_by_seller, strict=True)
        }

    @property
    def wanted_by_anchor(self) -> dict[int, float]:
        """Orders consumers wanted, by global anchor index (anchors that streamed)."""
        return self._by_anchor(self.wanted_by_seller)

    @property
    def filled_by_anchor(self) -> dict[int, float]:
        """Orders filled, by global anchor index (anchors that streamed)."""
        return self._by_anchor(self.filled_by_seller)

    def wanted(self, anchor_index: int) -> float:
        """Orders consumers wanted from an anchor (0 if it did not stream)."""
        return self._by_anchor(self.wanted_by_seller).get(anchor_index, 0.0)

    def filled(self, anchor_index: int) -> float:
        """Orders an anchor filled (0 if it did not stream)."""
        return self._by_anchor(self.filled_by_seller).get(anchor_index, 0.0)

    def _by_anchor(self, values: np.ndarray) -> dict[int, float]:
        cache = self.__dict__.setdefault("_cache", {})
        key = id(values)
        if key not in cache:
            cache[key] = {
                int(a.index): float(v) for a, v in zip(self.sellers.anchors, values, strict=True)
            }
        return cache[key]


def seller_then_random(seller: np.ndarray, u: np.ndarray) -> np.ndarray:
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


def ration(
    seller: np.ndarray, wanted: np.ndarray, capacity: np.ndarray, rng: np.random.Generator
) -> np.ndarray:
    """Orders filled per line: each seller serves its lines in random order until stock ends."""
    order = seller_then_random(seller, rng.random(seller.size))
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


def fill_orders(
    model: Any, s: Sellers, offers: Offers, choices: Choices, rng: np.random.Generator
) -> Orders:
    """Fill orders from stock (first come, first served), take payment and fees.

    Args:
        model: The model (ledgers, tallies, week).
        s: This week's sellers.
        offers: The platform's offers (seller position per unit and slot).
        choices: Viewers and buyers per offer; ``choices.line`` holds the flat (unit, offer)
            cells with buyers, row-major.
        rng: The sessions' random stream (rationing order).
    """
    stats = model.week_stats
    n_s = s.ids.size
    offer_grid = offers.offers
    flat_offers = offer_grid.reshape(-1)
    viewers, buyers, line = choices.viewers, choices.buyers, choices.line
    # Bin 0 collects the empty offers (-1); each seller's views add up in the same order.
    views_by_seller = binned_sums(
        flat_offers, viewers.reshape(-1), n_s + 1, shift=1, block=OFFER_BLOCK
    )[1:]
    u = line // offer_grid.shape[1]
    seller = flat_offers[line]
    wanted_line = buyers.reshape(-1)[line]
    # Buyers are whole numbers, so summing only the non-zero lines gives the same floats.
    wanted = np.bincount(seller, weights=wanted_line, minlength=n_s)
    filled_line = ration(seller, wanted_line, (s.stock_local + s.stock_import) // s.pack_g, rng)
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
    stats["markdown_kg"] += float((s.markdown * grams).sum()) / 1000
    record_sales(
        model.market.peer_prices,
        stats,
        s.anchors,
        s.product,
        s.price,
        s.local,
        wanted,
        filled_by_seller,
        grams,
        by_product=model.books.product_week,
    )
    _take_payment(model, s, sales_fen)
    _book_cost_of_goods(model, s, local_used, import_used, grams)
    keep = filled_line > 0
    u, seller = u[keep], seller[keep]
    lines = {
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
    return Orders(
        sellers=s,
        views_by_seller=views_by_seller,
        wanted_by_seller=wanted,
        filled_by_seller=filled_by_seller.astype(float),
        local_used=local_used,
        import_used=import_used,
        grams=grams,
        lines=lines,
        cells=line[keep],
    )


def _take_payment(model: Any, s: Sellers, sales_fen: np.ndarray) -> None:
    """Consumers pay the sellers; the platform takes its fee."""
    pay = np.flatnonzero(sales_fen > 0)
    model.money.transfer(
        Flow.SALE, Account.CONSUMERS, 0, Account.ANCHORS, s.ids[pay], sales_fen[pay]
    )
    fee_fen = np.rint(sales_fen * s.fee).astype(np.int64)
    model.money.transfer(
        Flow.PLATFORM_FEE, Account.ANCHORS, s.ids[pay], Account.PLATFORM, 0, fee_fen[pay]
    )


def _book_cost_of_goods(
    model: Any, s: Sellers, local_used: np.ndarray, import_used: np.ndarray, grams: np.ndarray
) -> None:
    """Each seller's cost of the goods sold; what farmers were paid for the village goods."""
    stats = model.week_stats
    # What farmers were paid for the village goods sold this week (their contract price).
    farmer_value = local_used * s.unit_cost / 1000
    stats["farmer_live_receipts_yuan"] += float(farmer_value.sum())
    np.add.at(model.books.village["farmer_live_yuan"], s.village, farmer_value)
    import_gain = (s.price * (1 - s.fee) - s.import_cost) * import_used / 1000
    for i in np.flatnonzero(grams > 0):
        anchor = s.anchors[i]
        anchor.cogs_week += (
            local_used[i] * s.unit_cost[i] + import_used[i] * s.import_cost[i]
        ) / 1000
        anchor.fake_gain_open += max(float(import_gain[i]), 0.0)
