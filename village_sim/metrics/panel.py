"""The person-week panel written as ``agents.parquet`` with ``--agents``.

One row per person and week: ``person_id``, ``role`` (farmer, migrant, home, training, trained,
anchor_local, anchor_farmer, anchor_external, exited), ``village``, ``income`` (yuan that week: farm
sales for households, the anchor's income for anchors, empty otherwise), ``skill`` (digital literacy
for households), ``followers`` and ``strategy`` for anchors. A streaming farmer appears twice in a
week: once as a household and once as an anchor — the same ``person_id``.
"""

from __future__ import annotations

import mesa
import numpy as np
import pandas as pd

from village_sim.units import FEN_PER_YUAN

PANEL_COLUMNS = ["week", "person_id", "role", "village", "income", "skill", "followers", "strategy"]
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
        income = model.money.receipts("farmers") / FEN_PER_YUAN
        self.chunks.append(
            pd.DataFrame(
                {
                    "week": week,
                    "person_id": farmers.person_id,
                    "role": "farmer",
                    "village": farmers.village,
                    "income": income,
                    "skill": farmers.literacy,
                    "followers": np.nan,
                    "strategy": None,
                }
            )
        )
        rows = []
        for y in model.youth:
            if y.status == "anchor":
                continue
            rows.append(
                (week, y.person_id, str(y.status), y.home_village, np.nan, y.skill, np.nan, None)
            )
        for a in model.anchor_list:
            if a.exited and a.exit_week != week:
                continue
            income_a = a.income_history[-1] if a.income_history else np.nan
            rows.append(
                (
                    week,
                    a.person_id,
                    f"anchor_{a.kind}",
                    a.base_village,
                    income_a,
                    a.skill,
                    a.followers,
                    a.strategy,
                )
            )
        if rows:
            self.chunks.append(pd.DataFrame(rows, columns=PANEL_COLUMNS))

    def frame(self) -> pd.DataFrame:
        """The whole panel."""
        if not self.chunks:
            return pd.DataFrame(columns=PANEL_COLUMNS)
        return pd.concat(self.chunks, ignore_index=True)
