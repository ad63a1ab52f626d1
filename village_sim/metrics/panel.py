"""The person-week panel written as ``agents.parquet`` with ``--agents``.

One row per person and week. ``role``: farmer, migrant, home, training, trained, exited (youth not
streaming), anchor_local, anchor_farmer, anchor_external. ``status``: for anchors ``active``
(streamed this week), ``idle`` (did not), ``suspended`` (by a regulator) or ``exited`` (quit this
week); for youth their status; for households ``household``. ``village`` (an external anchor's
current source village), ``income`` (yuan that week: farm receipts for households, the anchor's
income for anchors, empty otherwise), ``cash`` (the person's ledger balance, yuan; households
and anchors), ``skill`` (digital literacy for households), ``followers``, ``strategy``, and the
tools an anchor holds and uses (``tools_held``, ``tools_in_use``, names joined by ``+``). A
streaming farmer appears twice in a week: as a household and as an anchor — the same
``person_id``.
"""

from __future__ import annotations

import mesa
import numpy as np
import pandas as pd

from village_sim.accounts import Account
from village_sim.units import FEN_PER_YUAN

PANEL_COLUMNS = [
    "week",
    "person_id",
    "role",
    "status",
    "village",
    "income",
    "cash",
    "skill",
    "followers",
    "strategy",
    "tools_held",
    "tools_in_use",
]
"""Columns of ``agents.parquet``: one row per person and week."""


class PanelRecorder:
    """Collects the panel week by week (arrays, concatenated once at the end)."""

    def __init__(self, model: mesa.Model) -> None:
        self.model = model
        self.chunks: list[pd.DataFrame] = []

    def record(self) -> None:
        """Append the week that just ended."""
        model = self.model
        week = model.week - 1
        farmers = model.farmers
        income = farmers.net_week / FEN_PER_YUAN  # net income (ECONOMICS.md §C)
        self.chunks.append(
            pd.DataFrame(
                {
                    "week": week,
                    "person_id": farmers.person_id,
                    "role": "farmer",
                    "status": "household",
                    "village": farmers.village,
                    "income": income,
                    "cash": model.money.balances[Account.FARMERS][: farmers.n] / FEN_PER_YUAN,
                    "skill": farmers.literacy,
                    "followers": np.nan,
                    "strategy": None,
                    "tools_held": None,
                    "tools_in_use": None,
                }
            )
        )
        rows = [self._youth_row(week, y) for y in model.youth if y.status != "anchor"]
        cash = model.money.balances[Account.ANCHORS]
        rows += [
            self._anchor_row(week, a, cash[a.index] / FEN_PER_YUAN)
            for a in model.anchor_list
            if not a.exited or a.exit_week == week
        ]
        if rows:
            self.chunks.append(pd.DataFrame(rows, columns=PANEL_COLUMNS))

    @staticmethod
    def _youth_row(week: int, y) -> tuple:
        status = str(y.status)
        return (week, y.person_id, status, status, y.home_village, np.nan, np.nan, y.skill,
                np.nan, None, None, None)  # fmt: skip

    def _anchor_row(self, week: int, a, cash: float) -> tuple:
        if a.exited:
            status = "exited"
        elif a.suspended(week):
            status = "suspended"
        else:
            status = "active" if a.sessions > 0 else "idle"
        income = a.income_history[-1] if a.income_history else np.nan
        held = "+".join(sorted(a.tools))
        used = "+".join(sorted(n for n, h in a.tools.items() if h.in_use))
        return (week, a.person_id, f"anchor_{a.kind}", status, a.base_village, income, cash,
                a.skill, a.followers, a.strategy, held, used)  # fmt: skip

    def frame(self) -> pd.DataFrame:
        """The whole panel."""
        if not self.chunks:
            return pd.DataFrame(columns=PANEL_COLUMNS)
        return pd.concat(self.chunks, ignore_index=True)
