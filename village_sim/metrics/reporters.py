"""Weekly reporters of anchors and youth for Mesa's DataCollector (beyond the indicators).

They make every chart of the browser view reproducible from the run folder: the Lorenz curves of
traffic and sales over anchors and technology suspension by tool and by anchor group come from
``anchors_weekly.parquet`` (one row per anchor and week, :class:`AnchorRecorder` applying
:data:`ANCHOR_REPORTERS`), the youth pipeline from ``youth_weekly.csv`` (people by status,
:data:`YOUTH_REPORTERS`, model reporters of the DataCollector). Anchor rows are kept apart from the
DataCollector so that ``mesa.batch_run`` still returns one row per run and week.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import mesa
import pandas as pd

from village_sim.accounts import Account, Flow
from village_sim.units import FEN_PER_YUAN

YOUTH_STATUSES = ("migrant", "home", "training", "trained", "anchor", "exited")


def _views(anchor: Any) -> float:
    orders = anchor.model.last_week.orders
    return orders.views_by_anchor.get(anchor.index, 0.0) if orders is not None else 0.0


def _sales_yuan(anchor: Any) -> float:
    receipts = anchor.model.money.receipts(Account.ANCHORS, (Flow.SALE,))
    return float(receipts[anchor.index]) / FEN_PER_YUAN


def _cash_yuan(anchor: Any) -> float:
    return float(anchor.model.money.balances[Account.ANCHORS][anchor.index]) / FEN_PER_YUAN


def _tools(anchor: Any, keep: Callable[[Any], bool]) -> str:
    return "+".join(sorted(name for name, h in anchor.tools.items() if keep(h)))


ANCHOR_REPORTERS: dict[str, Any] = {
    "index": "index",
    "person_id": "person_id",
    "kind": "kind",
    "village": "base_village",
    "sessions": "sessions",
    "views": _views,
    "sales_yuan": _sales_yuan,
    "income_yuan": lambda a: a.income_history[-1] if a.income_history else None,
    "cash_yuan": _cash_yuan,
    "margin_hat_yuan": "margin_hat",
    "delta_v_yuan": "last_delta_v",
    "exit_reason": "exit_reason",
    "followers": "followers",
    "strategy": "strategy",
    "tools_held": lambda a: _tools(a, lambda h: True),
    "tools_idle": lambda a: _tools(a, lambda h: not h.in_use),
    "tools_handed_out": lambda a: _tools(a, lambda h: h.handed_out),
}
"""One row per anchor in the week, leavers in their last week included (``anchors_weekly.parquet``).

``income_yuan`` is the week's profit (ECONOMICS.md §A); ``margin_hat_yuan`` its expected gross
margin of an active week (M̂); ``delta_v_yuan`` ΔV at its last review."""


def _youth_count(status: str) -> Callable[[mesa.Model], int]:
    def count(model: mesa.Model) -> int:
        return model.youth_roster.status_counts(model).get(status, 0)

    count.__name__ = f"youth_{status}"
    count.__doc__ = f"Young people whose status is {status}."
    return count


YOUTH_REPORTERS = {f"youth_{s}": _youth_count(s) for s in YOUTH_STATUSES}
"""People by youth status at the end of each week (``youth_weekly.csv``)."""


class AnchorRecorder:
    """Applies :data:`ANCHOR_REPORTERS` to every anchor of the week, leavers included."""

    def __init__(self, model: mesa.Model) -> None:
        self.model = model
        self.rows: list[dict[str, Any]] = []

    def record(self) -> None:
        """Append the week that just ended."""
        week = self.model.week - 1
        for anchor in self.model.anchor_list:
            if anchor.exited and anchor.exit_week != week:
                continue
            row = {"week": week}
            for name, reporter in ANCHOR_REPORTERS.items():
                row[name] = (
                    getattr(anchor, reporter) if isinstance(reporter, str) else reporter(anchor)
                )
            self.rows.append(row)

    def frame(self) -> pd.DataFrame:
        """One row per anchor and week (``anchors_weekly.parquet``)."""
        return pd.DataFrame(self.rows, columns=["week", *ANCHOR_REPORTERS])
