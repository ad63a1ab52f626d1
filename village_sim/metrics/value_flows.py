"""Where each yuan goes: consumers' spending on live-stream goods, split by who receives it.

The paper's charge is benefit capture (引流争利): traffic and margin taken away from farmers. This
module follows the money itself, from the ledger's own transfers (``Ledger.receipts`` and
``Ledger.payments`` of the tracked ``anchors`` group, in fen), so the parts always add up to the
spending, to the fen:

    spending (consumers' payments to anchors, ``sale``)
      = refunds (``refund``: parcels spoiled in transit or not as advertised)
      + platform commission (``platform_fee``) + platform paid traffic (``paid_traffic``)
      + logistics (``shipping``) + tool and brand vendors (``tool_purchase``, ``tool_upkeep``,
        ``brand_building``, ``brand_upkeep``) + out-of-county suppliers (``import_purchase``)
      + fines (``fine``)
      + farm households (``contract_sale``: anchors buying produce from farmers, less the
        ``commission`` and ``slot_fee`` that flow back from a city anchor's suppliers to it)
      + what the anchors keep: their sales minus all of the above they paid this week; a
        streaming farmer's is a farm household's, a local anchor's stays in the county, an
        external (city) anchor's leaves it. It is negative when anchors paid out more than they
        took in (tools bought, stock bought for later weeks).

A week's payments are set against the same week's spending (stock bought this week may be sold
later), so a single week can show a negative anchor margin; over a run the flows settle. Money
anchors receive from elsewhere (liquidation, policy awards and top-ups) is not consumers' spending
and is left out. Functions here only read the model.
"""

from __future__ import annotations

import mesa
import numpy as np
import pandas as pd

from village_sim.units import FEN_PER_YUAN

FLOWS: dict[str, str] = {
    "farm_households": "farm households",
    "local_anchors": "local anchors",
    "city_anchors": "city anchors",
    "platform_commission": "platform: commission",
    "platform_traffic": "platform: paid traffic",
    "logistics": "logistics",
    "tool_vendors": "tool and brand vendors",
    "suppliers": "out-of-county suppliers",
    "fines": "fines",
    "refunds": "refunds",
}
"""Where the yuan goes (column name → label), in the order the charts stack them."""

COLOURS: dict[str, str] = {
    "farm_households": "#2ca02c",
    "local_anchors": "#98df8a",
    "city_anchors": "#d62728",
    "platform_commission": "#1f77b4",
    "platform_traffic": "#aec7e8",
    "logistics": "#ff7f0e",
    "tool_vendors": "#9467bd",
    "suppliers": "#8c564b",
    "fines": "#7f7f7f",
    "refunds": "#e377c2",
}
"""One colour per flow, the same in the browser view and in ``compare``'s figure."""

PAYMENTS: dict[str, str] = {
    "contract_sale": "farm_households",
    "platform_fee": "platform_commission",
    "paid_traffic": "platform_traffic",
    "shipping": "logistics",
    "tool_purchase": "tool_vendors",
    "tool_upkeep": "tool_vendors",
    "brand_building": "tool_vendors",
    "brand_upkeep": "tool_vendors",
    "import_purchase": "suppliers",
    "fine": "fines",
    "refund": "refunds",
}
"""Anchors' payments by ledger kind → the flow they belong to."""

FLOWS_BACK = ("commission", "slot_fee")
"""What a city anchor's suppliers pay it back out of their gross ``contract_sale`` receipts."""

MARGIN_OF: dict[str, str] = {
    "farmer": "farm_households",
    "local": "local_anchors",
    "external": "city_anchors",
}
"""Anchor kind → whose the anchor's own margin is (any other kind: local anchors)."""

COLUMNS: tuple[str, ...] = ("week", "spending_yuan", *(f"{k}_yuan" for k in FLOWS))
"""Columns of ``value_flows.csv`` (one row per week, yuan)."""


def week_flows(model: mesa.Model) -> dict[str, int]:
    """This week's spending and where it went, in fen (read after ``model.step()``).

    Returns:
        ``{"spending": fen, flow: fen, ...}`` for every flow of :data:`FLOWS`; the flows sum to
        the spending exactly.
    """
    ledger = model.money
    n = model.anchor_count
    sales = ledger.receipts("anchors", ("sale",))[:n]
    out = {"spending": int(sales.sum()), **dict.fromkeys(FLOWS, 0)}
    paid = np.zeros(n, dtype=np.int64)
    for kind, flow in PAYMENTS.items():
        amount = ledger.payments("anchors", (kind,))[:n]
        out[flow] += int(amount.sum())
        paid += amount
    back = ledger.receipts("anchors", FLOWS_BACK)[:n]  # a city anchor's capture stays its own
    out["farm_households"] -= int(back.sum())
    paid -= back
    margin = sales - paid
    for anchor in model.anchor_list:
        out[MARGIN_OF.get(anchor.kind, "local_anchors")] += int(margin[anchor.index])
    return out


class ValueFlowRecorder:
    """Keeps :func:`week_flows` week by week (call :meth:`record` after every step)."""

    def __init__(self, model: mesa.Model) -> None:
        self.model = model
        self.weeks: list[dict[str, int]] = []

    def record(self) -> None:
        """Add the week just run."""
        self.weeks.append(week_flows(self.model))

    def so_far(self) -> dict[str, int]:
        """Spending and flows summed over the weeks recorded (fen)."""
        total = {"spending": 0, **dict.fromkeys(FLOWS, 0)}
        for week in self.weeks:
            for key, fen in week.items():
                total[key] += fen
        return total

    def frame(self) -> pd.DataFrame:
        """One row per week (``week`` from 0, as ``timeseries.csv``), amounts in yuan."""
        return flows_frame(self.weeks)


def flows_frame(weeks: list[dict[str, int]]) -> pd.DataFrame:
    """Weekly flows (fen) as the rows of ``value_flows.csv`` (yuan, two decimals: exact fen)."""
    rows = []
    for week, flows in enumerate(weeks):
        row: dict[str, float | int] = {"week": week}
        row["spending_yuan"] = flows["spending"] / FEN_PER_YUAN
        row.update({f"{k}_yuan": flows[k] / FEN_PER_YUAN for k in FLOWS})
        rows.append(row)
    return pd.DataFrame(rows, columns=list(COLUMNS))


def shares(flows: dict[str, int]) -> dict[str, float | None]:
    """Each flow as a share of the spending (``None`` with no spending)."""
    spending = flows["spending"]
    return {k: (flows[k] / spending if spending > 0 else None) for k in FLOWS}


RUN_PREFIX = "value_flow_"
"""Prefix of the whole-run value-flow columns of ``compare``'s ``runs.csv``."""


def run_totals(frame: pd.DataFrame) -> dict[str, float]:
    """Whole-run spending and flows (yuan) of a ``value_flows.csv`` frame, as ``runs.csv`` columns.

    Returns:
        ``{"value_flow_spending_yuan": ..., "value_flow_farm_households_yuan": ..., ...}``.
    """
    columns = [c for c in COLUMNS if c != "week"]
    return {f"{RUN_PREFIX}{c}": round(float(frame[c].sum()), 2) for c in columns}


def path_shares(runs: pd.DataFrame, order: list[str]) -> pd.DataFrame:
    """Each scenario's flows as shares of its spending, pooled over its replicates.

    Args:
        runs: Rows with a ``scenario`` column and the :func:`run_totals` columns.
        order: Scenarios in the order to show.

    Returns:
        Long rows ``scenario, flow, label, share`` (share = Σ flow / Σ spending); empty when
        the columns are missing (a folder written before value flows existed).
    """
    spend = f"{RUN_PREFIX}spending_yuan"
    if spend not in runs.columns:
        return pd.DataFrame(columns=["scenario", "flow", "label", "share"])
    rows = []
    for name in order:
        part = runs[runs["scenario"] == name]
        total = float(part[spend].sum())
        for key, label in FLOWS.items():
            amount = float(part[f"{RUN_PREFIX}{key}_yuan"].sum())
            rows.append(
                {
                    "scenario": name,
                    "flow": key,
                    "label": label,
                    "share": amount / total if total > 0 else float("nan"),
                }
            )
    return pd.DataFrame(rows)
