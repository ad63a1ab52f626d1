"""The county's books (MODEL.md §6): the ledgers, the week's tallies, closing and settling.

Money moves in integer fen and goods in integer grams between accounts of the two
:class:`~village_sim.market.ledger.Ledger` objects kept here; every mechanism posts its transfers
there and nowhere else. The books open the week (tallies at zero, opening stock per village),
close it (each anchor's result from the ledger: revenue, gross margin, income; households' farm
income; the week's totals for the indicators) and settle it: money and goods must balance.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

import mesa
import numpy as np
import pandas as pd

from village_sim.accounts import Account, Flow
from village_sim.market.ledger import Ledger, VillageGoodsBook
from village_sim.market.tallies import AnchorTallies
from village_sim.units import FEN_PER_YUAN

MONEY_GROUPS = (
    "contractors",
    "consumers",
    "middlemen",
    "suppliers",
    "vendors",
    "platform",
    "government",
    "government_budget",
    "training_providers",
    "employers",
    "inputs",
    "savings",
    "lender",
)
"""External money accounts that close the system (one account each)."""

GOODS_GROUPS = ("consumers", "imports", "spoiled_transit", "written_off")
"""External goods accounts (one account each)."""

COUNTERS = (
    "alive_local_anchor_weeks",
    "local_anchor_exits",
    "ambient_shipped_kg",
    "ambient_spoiled_kg",
    "anchor_exits",
    "anchor_kg_bought",
    "anchor_kg_unsold",
    "cold_shipped_kg",
    "cold_spoiled_kg",
    "complaints",
    "consumer_net_spend_yuan",
    "detections",
    "dormant_anchor_weeks",
    "fake_detections",
    "farmer_live_net_yuan",
    "farmer_live_receipts_yuan",
    "fresh_shipped_kg",
    "fresh_spoiled_kg",
    "goods_error_kg",
    "gross_gmv_yuan",
    "inspections",
    "kg_fake_sold",
    "kg_sold",
    "local_gmv_yuan",
    "local_kg_sold",
    "markdown_kg",
    "markup_kg",
    "money_error_yuan",
    "orders_filled",
    "orders_unmet",
    "orders_wanted",
    "policy_spend_yuan",
    "purchases",
    "refunds_fen",
    "repeat_purchases",
    "rural_tool_weeks_suspended",
    "rural_tool_weeks_trading",
    "seat_returnees",
    "seats_filled",
    "seats_offered",
    "sessions_hosted",
    "sessions_mountain",
    "sessions_stalled",
    "stalled_mountain",
    "suspensions",
    "tool_weeks_held",
    "tool_weeks_idle",
    "tool_weeks_idle_dormant",
    "tool_weeks_idle_effort",
    "tool_weeks_idle_skill",
    "tool_weeks_idle_suspended",
    "tool_weeks_in_use",
    "trainee_applicants",
    "views",
    "write_offs_yuan",
    "youth_returned",
)
"""Weekly tallies the mechanisms keep in :attr:`Books.tally` (all start at zero each week)."""

VILLAGE_TALLIES = (
    "sessions",
    "stalled",
    "fresh_shipped_kg",
    "fresh_spoiled_kg",
    "gmv_yuan",
    "farmer_live_yuan",
)
"""Whole-run tallies per village (:attr:`Books.village`)."""

VILLAGE_WEEK = (
    "middlemen_kg",
    "middlemen_yuan",
    "contract_kg",
    "contract_yuan",
    "own_stream_kg",
    "own_stream_yuan",
    "liquidated_kg",
    "spoiled_transit_kg",
    "sessions",
    "stalled",
)
"""Weekly tallies per village that mechanisms add to (:attr:`Books.village_week`); the rest of a
village-week row is read from the books when the week settles (:meth:`Books.settle`)."""

PRODUCT_WEEK = ("markup_kg", "local_kg_sold")
"""Weekly tallies per product (:attr:`Books.product_week`): rural sellers' kg sold and
``(p − c_var)/c_var`` × kg (the product-level parts of ``markup_mean``)."""


class Books:
    """Ledgers and tallies of one run.

    Args:
        model: The model whose books these are (its anchors, farm households, governance and
            logistics are read when the week closes and settles).
        n_villages: Number of villages.
        n_products: Number of products.
    """

    def __init__(self, model: mesa.Model, n_villages: int, n_products: int) -> None:
        self.model = model
        self.n_products = n_products
        self.money = Ledger("fen", tracked=(Account.FARMERS, Account.ANCHORS), accounts=Account)
        for group in MONEY_GROUPS:
            self.money.open_group(group, 1)
        self.money.open_group("anchors", 16)
        self.goods = Ledger(
            "g", tracked=(Account.ANCHOR_STOCK, Account.ANCHOR_IMPORT), accounts=Account
        )
        for group in GOODS_GROUPS:
            self.goods.open_group(group, 1)
        for group in ("nature", "middlemen", "spoiled_origin"):
            self.goods.open_group(group, n_villages)
        self.goods.open_group("anchor_stock", 16 * n_products)
        self.goods.open_group("anchor_import", 16 * n_products)
        self.goods.open_group("in_transit", 0)
        self.lot_origin = np.zeros(16 * n_products, dtype=np.int64)
        """Village each anchor's lot of each product was bought in (by stock slot)."""
        self.village_goods = VillageGoodsBook(n_villages)
        self.tally: defaultdict[str, float] = defaultdict(float)
        self.history: list[dict[str, float]] = []
        self.village = {k: np.zeros(n_villages) for k in VILLAGE_TALLIES}
        self.village_week = {k: np.zeros(n_villages) for k in VILLAGE_WEEK}
        self.village_history: list[dict[str, np.ndarray]] = []
        self.product_week = {k: np.zeros(n_products) for k in PRODUCT_WEEK}
        self.product_history: list[dict[str, np.ndarray]] = []
        self.anchor_tallies = AnchorTallies(n_villages)

    # -- accounts ---------------------------------------------------------------------------------
    def open_households(self, n: int) -> None:
        """Open the farm households' money and store accounts."""
        self.money.open_group("farmers", n)
        self.goods.open_group("farm_store", n)

    def open_anchor(self, index: int) -> None:
        """Open (or make room for) an anchor's money and stock accounts."""
        n_p = self.n_products
        self.money.ensure_size("anchors", index + 1)
        self.goods.ensure_size("anchor_stock", (index + 1) * n_p)
        self.goods.ensure_size("anchor_import", (index + 1) * n_p)
        if self.lot_origin.size < (index + 1) * n_p:
            grown = np.zeros(self.goods.balances["anchor_stock"].size, dtype=np.int64)
            grown[: self.lot_origin.size] = self.lot_origin
            self.lot_origin = grown

    def label_lot(self, slot: int, village: int) -> None:
        """Label an anchor's lot (stock slot) with the village its goods come from.

        A lot holds one village's goods (ECONOMICS.md §A: one lot per product at a time): it ships,
        spoils and counts in the village goods balance as that village's.

        Raises:
            ValueError: The slot still holds goods from another village.
        """
        held = int(self.goods.balances["anchor_stock"][slot])
        if held > 0 and int(self.lot_origin[slot]) != village:
            raise ValueError(
                f"stock slot {slot} holds {held} g from village {int(self.lot_origin[slot])}; "
                f"a lot from village {village} must wait until it is sold"
            )
        self.lot_origin[slot] = village

    def lot_village(self, slot: np.ndarray | int) -> np.ndarray | int:
        """Village the goods in stock slot(s) come from (the lot's label)."""
        if isinstance(slot, np.ndarray):
            return self.lot_origin[slot]
        return int(self.lot_origin[slot])

    def mark_opening(self) -> None:
        """Record the opening totals (after construction) that the balances are checked against."""
        self.money.opening_total = self.money.total()
        self.goods.opening_total = self.goods.total()

    # -- the week ---------------------------------------------------------------------------------
    def open_week(self) -> None:
        """Clear the week's tallies and flows; record each village's opening stock."""
        self.tally = defaultdict(float, dict.fromkeys(COUNTERS, 0.0))
        self.money.start_week()
        self.goods.start_week()
        self.village_goods.start_week(self.stock_by_village())
        for tally in (*self.village_week.values(), *self.product_week.values()):
            tally[:] = 0.0
        goods = self.goods.balances
        n_p = self.n_products
        cells = self.model.anchor_count * n_p
        # Grams each anchor holds, own stock and imports, for every anchor at once (whole grams:
        # the integer sums do not depend on their order).
        held = goods["anchor_stock"][:cells] + goods["anchor_import"][:cells]
        held = held.reshape(-1, n_p).sum(axis=1).tolist()
        for a in self.model.anchor_list:
            a.cogs_week = 0.0
            a.shipping_week = 0.0
            a.complaints_week = 0
            if not a.exited:  # the pricing memory's new week opens with the stock held
                a.memory.open_week(held[a.index])

    def close_week(self, orders: Any) -> None:
        """Each anchor's week from the ledger: revenue, gross margin and profit (ECONOMICS.md §A).

        Gross margin ``y`` = sales net of refunds − platform fee − commission − cost of goods sold
        (moving-average cost of kg sold or spoiled) − shipping − paid traffic. Profit (accrual) =
        ``y`` − tool upkeep − depreciation − interest − fines − brand upkeep + subsidies and awards;
        purchases of stock, tools and brand are not costs (stock is an asset, capital depreciates).

        Args:
            orders: This week's :class:`~village_sim.market.orders.Orders` (None if nobody
                streamed): views, wanted and filled orders per anchor.
        """
        model = self.model
        ledger = self.money
        n = model.anchor_count

        def paid(*kinds: str) -> np.ndarray:
            return ledger.payments(Account.ANCHORS, kinds)[:n] / FEN_PER_YUAN

        sales = ledger.receipts(Account.ANCHORS, ("sale",))[:n] / FEN_PER_YUAN
        refunds = paid("refund")
        selling = paid("platform_fee", "commission", "paid_traffic")
        overheads = paid("tool_upkeep", "interest", "fine", "brand_upkeep")
        capex = paid("tool_purchase", "brand_building")
        subsidies = (
            ledger.receipts(Account.ANCHORS, ("policy_honour_award", "policy_income_floor"))[:n]
            / FEN_PER_YUAN
        )
        views = orders.views_by_anchor if orders is not None else {}
        filled = orders.filled_by_anchor if orders is not None else {}
        wanted = orders.wanted_by_anchor if orders is not None else {}
        week = model.week
        for a in model.anchor_list:
            if a.exited:
                continue
            i = a.index
            if capex[i] > 0:
                a.capex.append((week, float(capex[i])))
            revenue = float(sales[i] - refunds[i])
            margin = revenue - selling[i] - a.cogs_week - a.shipping_week
            a.depreciation_booked = a.depreciation_week()
            profit = margin - overheads[i] - a.depreciation_booked + subsidies[i]
            profit += model.governance.top_up(a, profit)
            a.profit_week = profit
            a.profit_total += profit
            a.record_week(
                revenue,
                margin,
                profit,
                views.get(i, 0.0),
                filled.get(i, 0.0),
                wanted.get(i, 0.0),
                a.complaints_week,
            )
        model.governance.pay_local_jobs(model.anchor_list)
        model.farmers.close_week(model.week)
        self._close_tallies()

    def _close_tallies(self) -> None:
        """The week's totals the indicators read (GMV, unmet orders ...)."""
        model = self.model
        stats = self.tally
        ledger = self.money
        sales = ledger.flows["sale"] / FEN_PER_YUAN
        refunds = ledger.flows["refund"] / FEN_PER_YUAN
        stats["gross_gmv_yuan"] = sales
        stats["consumer_net_spend_yuan"] = sales - refunds
        stats["orders_unmet"] = stats["orders_wanted"] - stats["orders_filled"]
        stats["ambient_shipped_kg"] = stats["fresh_shipped_kg"] - stats["cold_shipped_kg"]
        stats["ambient_spoiled_kg"] = stats["fresh_spoiled_kg"] - stats["cold_spoiled_kg"]
        stats["policy_spend_yuan"] = model.governance.spent_this_week
        n = model.anchor_count
        sale_by_anchor = ledger.receipts(Account.ANCHORS, ("sale",))[:n] / FEN_PER_YUAN
        local = np.array([a.is_local for a in model.anchor_list], dtype=bool)
        stats["local_gmv_yuan"] = float(sale_by_anchor[local].sum()) if n else 0.0
        village = np.array([a.base_village for a in model.anchor_list], dtype=np.int64)
        if n:
            np.add.at(self.village["gmv_yuan"], village, sale_by_anchor)
        # Tool-weeks are counted where tools are used (Anchor._update_tool_use).

    def stock_by_village(self) -> np.ndarray:
        """Grams of village goods in each village (households' stores + anchors' lots by origin)."""
        model = self.model
        n_v = self.village_goods.n
        farmers = model.farmers
        stock = (
            np.bincount(farmers.village, weights=self.goods.balances["farm_store"], minlength=n_v)
            if farmers.n
            else np.zeros(n_v)
        )
        stock = stock.astype(np.int64)
        n = model.anchor_count
        if n:
            # Anchors' stock counts in the village its lot comes from (Books.label_lot).
            m = n * self.n_products
            np.add.at(stock, self.lot_origin[:m], self.goods.balances["anchor_stock"][:m])
        return stock

    def settle(self, week: int) -> None:
        """Close the books: money and goods must balance (MODEL.md §6).

        Records the week's residuals (``money_error_yuan``, ``goods_error_kg``) and appends the
        week's tallies to :attr:`history`.
        """
        money_error = self.money.balance_error() / FEN_PER_YUAN
        closing = self.stock_by_village()
        village_residual = self.village_goods.residual(closing)
        self._record_village_week(closing)
        self.product_history.append({k: v.copy() for k, v in self.product_week.items()})
        logistics = self.model.logistics
        transit = self.goods.balances["in_transit"][: logistics.next_id]
        expected = np.zeros(transit.size, dtype=np.int64)
        q = logistics.queue
        if q and q["id"].size:
            expected[q["id"]] = q["grams"]
        shipment_residual = np.abs(transit - expected).max() if transit.size else 0
        goods_error = (
            max(
                self.goods.balance_error(),
                int(np.abs(village_residual).max()) if village_residual.size else 0,
                int(shipment_residual),
            )
            / 1000
        )
        self.anchor_tallies.settle_week(self.model, week, self.tally)
        self.tally["money_error_yuan"] = float(money_error)
        self.tally["goods_error_kg"] = float(goods_error)
        self.tally["week"] = week
        self.history.append(dict(self.tally))

    def _record_village_week(self, closing: np.ndarray) -> None:
        """Keep the week's row of every village (``villages_weekly.parquet``)."""
        model = self.model
        goods = self.village_goods
        n_v = goods.n
        farmers = model.farmers
        income = self.money.receipts(Account.FARMERS) / FEN_PER_YUAN
        n = model.anchor_count
        sales = self.money.receipts(Account.ANCHORS, (Flow.SALE,))[:n] / FEN_PER_YUAN
        base = np.array([a.base_village for a in model.anchor_list], dtype=np.int64)
        row = {
            "opening_stock_kg": goods.opening / 1000,
            "harvest_kg": goods.flow["harvest"] / 1000,
            "to_middlemen_kg": goods.flow["to_middlemen"] / 1000,
            "shipped_kg": goods.flow["shipped"] / 1000,
            "spoiled_origin_kg": goods.flow["spoiled_origin"] / 1000,
            "closing_stock_kg": closing / 1000,
            **{k: v.copy() for k, v in self.village_week.items()},
            "live_sales_yuan": np.bincount(base, weights=sales, minlength=n_v)
            if n
            else np.zeros(n_v),
            "farm_receipts_yuan": np.bincount(farmers.village, weights=income, minlength=n_v)
            if farmers.n
            else np.zeros(n_v),
            "farm_net_income_yuan": np.bincount(
                farmers.village, weights=farmers.net_week / FEN_PER_YUAN, minlength=n_v
            )
            if farmers.n
            else np.zeros(n_v),
        }
        self.village_history.append(row)

    def villages_weekly(self) -> pd.DataFrame:
        """One row per village and week (``villages_weekly.parquet``)."""
        frames = [
            pd.DataFrame({"week": week, "village": np.arange(self.village_goods.n), **row})
            for week, row in enumerate(self.village_history)
        ]
        return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()

    def stats_frame(self) -> pd.DataFrame:
        """Weekly tallies as a DataFrame (one row per week)."""
        return pd.DataFrame(self.history).fillna(0.0)
