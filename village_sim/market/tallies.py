"""Per-anchor running totals and the week's §D tallies, kept when the books settle (ECONOMICS.md §D).

The books (:class:`~village_sim.market.books.Books`) call :meth:`AnchorTallies.settle_week` once a
week after every flow of the week is posted. It reads the ledgers and the anchors (never changes
them) and keeps:

- per anchor (``anchors.csv``): fines paid, complaints, strategy switches, the last week with a
  session, idle tool-weeks by reason, dormant weeks as the anchor counts them;
- per week (the books' tallies, :data:`~village_sim.market.books.COUNTERS`): farm households'
  live-stream receipts from the ledger, kg anchors bought and kg they lost unsold, debt written
  off, dormant and alive local anchor-weeks, local anchors' exits by reason (``exits_<reason>``).

Attributes the anchors gain in the economic core (``weeks_dormant``, a tool's ``idle_reason``) are
read where present: before they exist the dormancy tallies are NaN (undefined), not zero.
"""

from __future__ import annotations

import math
from typing import Any

import mesa
import numpy as np

from village_sim.accounts import Account, Flow
from village_sim.units import FEN_PER_YUAN

FLOWS_BACK = ("commission", "slot_fee", "charge_back")
"""Kinds of transfer a supplier pays back out of a live-stream receipt (external anchors'
commission and slot fee, refunds charged back): its live-stream receipts are net of them."""

WRITE_OFF = "write_off"
"""Kind of transfer of debt written off (lender → anchor)."""

UNSOLD = ("spoiled_origin", "spoiled_import", "liquidation")
"""Kinds of goods transfer out of an anchor's stock that leave it unsold."""

DORMANT_ATTRIBUTES = ("weeks_dormant", "dormant_weeks")
"""Names under which an anchor counts its dormant weeks (the first one present is read)."""


def dormant_weeks(anchor: Any) -> float:
    """An anchor's dormant weeks so far (NaN where the anchor does not count them)."""
    for name in DORMANT_ATTRIBUTES:
        value = getattr(anchor, name, None)
        if value is not None:
            return float(value)
    return math.nan


def _new_row(strategy: str | None) -> dict[str, Any]:
    return {
        "fines_yuan": 0.0,
        "complaints": 0,
        "strategy_switches": 0,
        "strategy": strategy,
        "last_session_week": None,
        "dormant_seen": 0.0,
        "idle": {},
    }


class AnchorTallies:
    """Per-anchor totals (``rows[index]``) and the week's §D tallies."""

    def __init__(self, n_villages: int = 0) -> None:
        self.rows: dict[int, dict[str, Any]] = {}
        self.village_live_net = np.zeros(n_villages)
        """Farm households' live-stream receipts by village, whole run (yuan; households by their
        village, own streams by the anchor's)."""
        self.village_net_spend = np.zeros(n_villages)
        """Consumers' live-stream spending net of refunds by the seller's village, whole run."""

    def row(self, index: int) -> dict[str, Any]:
        """The totals of anchor ``index`` (zeros for one never seen at a settlement)."""
        return self.rows.get(index) or _new_row(None)

    def settle_week(self, model: mesa.Model, week: int, stats: dict[str, float]) -> None:
        """Add the week just closed to the totals and write its tallies into ``stats``."""
        money = model.money
        n = model.anchor_count
        fines = money.payments(Account.ANCHORS, (Flow.FINE,))[:n]
        dormant = alive = 0.0
        counted = False
        farmer_anchor = np.zeros(n, dtype=bool)
        for a in model.anchor_list:
            farmer_anchor[a.index] = a.kind == "farmer"
            if a.exited and a.exit_week != week:
                continue
            row = self.rows.get(a.index)
            if row is None:  # (setdefault would build a fresh row every week)
                row = self.rows[a.index] = _new_row(a.strategy)
            row["fines_yuan"] += fines[a.index] / FEN_PER_YUAN
            row["complaints"] += getattr(a, "complaints_week", 0)
            if a.strategy != row["strategy"]:
                row["strategy_switches"] += 1
                row["strategy"] = a.strategy
            if a.sessions > 0:
                row["last_session_week"] = week
            for holding in a.tools.values():
                if not holding.in_use:
                    reason = getattr(holding, "idle_reason", None) or "unknown"
                    row["idle"][reason] = row["idle"].get(reason, 0) + 1
            if not a.is_local:
                continue
            alive += 1
            so_far = dormant_weeks(a)
            if not math.isnan(so_far):
                counted = True
                dormant += so_far - row["dormant_seen"]
                row["dormant_seen"] = so_far
            if a.exited:
                key = f"exits_{a.exit_reason}"
                stats[key] = stats.get(key, 0.0) + 1
                stats["local_anchor_exits"] += 1
        stats["alive_local_anchor_weeks"] = alive
        stats["dormant_anchor_weeks"] = dormant if counted or alive == 0 else math.nan
        stats["write_offs_yuan"] = money.flows.get(WRITE_OFF, 0) / FEN_PER_YUAN
        stats["farmer_live_net_yuan"] = self._live_receipts(model, farmer_anchor) / FEN_PER_YUAN
        goods = model.goods
        stock = (Account.ANCHOR_STOCK, Account.ANCHOR_IMPORT)
        stats["anchor_kg_bought"] = sum(int(goods.receipts(g).sum()) for g in stock) / 1000
        stats["anchor_kg_unsold"] = sum(int(goods.payments(g, UNSOLD).sum()) for g in stock) / 1000

    def _live_receipts(self, model: mesa.Model, farmer_anchor: np.ndarray) -> int:
        """Farm households' live-stream receipts of the week, fen, from the ledger.

        Households' ``contract_sale`` receipts less what they paid back (:data:`FLOWS_BACK`),
        plus what their own streams (anchors of kind ``farmer``) took from consumers net of
        refunds and the platform fee, less what those streams paid households (counted once).
        Also adds the week to the per-village totals (:attr:`village_live_net`,
        :attr:`village_net_spend`).
        """
        money = model.money
        households = money.receipts(Account.FARMERS, (Flow.CONTRACT_SALE,)) - money.payments(
            Account.FARMERS, FLOWS_BACK
        )
        n = farmer_anchor.size
        sales = money.receipts(Account.ANCHORS, (Flow.SALE,))[:n]
        refunds = money.payments(Account.ANCHORS, (Flow.REFUND,))[:n]
        own = (
            sales
            - refunds
            - money.payments(Account.ANCHORS, (Flow.PLATFORM_FEE, Flow.CONTRACT_SALE))[:n]
        )
        own = np.where(farmer_anchor, own, 0)
        n_v = self.village_live_net.size
        if n_v:
            farmers = model.farmers
            base = np.array([a.base_village for a in model.anchor_list], dtype=np.int64)
            self.village_live_net += (
                np.bincount(farmers.village, weights=households[: farmers.n], minlength=n_v)
                / FEN_PER_YUAN
            )
            if n:
                self.village_live_net += (
                    np.bincount(base, weights=own, minlength=n_v) / FEN_PER_YUAN
                )
                self.village_net_spend += (
                    np.bincount(base, weights=sales - refunds, minlength=n_v) / FEN_PER_YUAN
                )
        return int(households.sum()) + int(own.sum())
