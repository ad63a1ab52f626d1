"""Checking runs against the stylized facts: value (mean, 95 % CI over replicates), band, pass/fail.

A pattern passes when its mean over replicates lies inside its acceptance band (MODEL.md §7:
"within a band, over several seeds").
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from village_sim.metrics.stats import mean_ci
from village_sim.metrics.targets import Targets

COLUMNS = [
    "pattern",
    "indicator",
    "value",
    "ci_low",
    "ci_high",
    "band_low",
    "band_high",
    "role",
    "passed",
]


def evaluate(targets: Targets, runs: Sequence[dict[str, float | None]]) -> pd.DataFrame:
    """One row per pattern (columns of ``patterns.csv``) from the indicators of one or more runs."""
    rows = []
    for p in targets.patterns:
        values = np.array([np.nan if (v := p.value(r)) is None else v for r in runs], dtype=float)
        mean, low, high = mean_ci(values[np.isfinite(values)])
        label = p.indicator if p.divide_by is None else f"{p.indicator}/{p.divide_by}"
        passed = mean is not None and p.band[0] <= mean <= p.band[1]
        rows.append(
            {
                "pattern": p.name,
                "indicator": label,
                "value": mean,
                "ci_low": low,
                "ci_high": high,
                "band_low": p.band[0],
                "band_high": p.band[1],
                "role": p.role,
                "passed": bool(passed),
            }
        )
    return pd.DataFrame(rows, columns=COLUMNS)


def summary_block(table: pd.DataFrame) -> dict[str, dict]:
    """The ``patterns`` block of ``summary.json``: value, band and pass/fail per pattern."""
    return {
        row.pattern: {
            "indicator": row.indicator,
            "value": None if pd.isna(row.value) else float(row.value),
            "band": [float(row.band_low), float(row.band_high)],
            "role": row.role,
            "passed": bool(row.passed),
        }
        for row in table.itertuples()
    }


def plot(table: pd.DataFrame, path: Path) -> None:
    """Each pattern's value with its CI against its band (one row per pattern)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    n = len(table)
    fig, ax = plt.subplots(figsize=(7.5, 0.55 * n + 1.4), dpi=100)
    for i, row in enumerate(table.itertuples()):
        ax.plot(
            [row.band_low, row.band_high],
            [i, i],
            color="0.75",
            lw=8,
            solid_capstyle="butt",
            label="acceptance band" if i == 0 else None,
        )
        if row.value is not None and not pd.isna(row.value):
            err = None
            if not pd.isna(row.ci_low):
                err = [[row.value - row.ci_low], [row.ci_high - row.value]]
            color = "tab:green" if row.passed else "tab:red"
            ax.errorbar(
                row.value,
                i,
                xerr=err,
                fmt="o",
                color=color,
                capsize=3,
                label=("pass" if row.passed else "fail"),
            )
    handles, labels = ax.get_legend_handles_labels()
    unique = dict(zip(labels, handles, strict=False))
    ax.legend(unique.values(), unique.keys(), loc="lower right", fontsize=8)
    ax.set_yticks(range(n), [f"{r.pattern} ({r.role})" for r in table.itertuples()], fontsize=8)
    ax.invert_yaxis()
    ax.set_xlabel("value (share)")
    ax.set_title("Stylized facts: value (mean, 95% CI) against the acceptance band")
    ax.grid(axis="x", alpha=0.3)
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)


def format_table(table: pd.DataFrame) -> str:
    """A plain-text table for the terminal."""
    lines = [f"{'pattern':<28} {'value':>8} {'95% CI':>19} {'band':>15} {'role':>10}  result"]
    for r in table.itertuples():
        value = "null" if r.value is None or pd.isna(r.value) else f"{r.value:.3f}"
        ci = "" if pd.isna(r.ci_low) else f"[{r.ci_low:.3f}, {r.ci_high:.3f}]"
        band = f"[{r.band_low:.3f}, {r.band_high:.3f}]"
        lines.append(
            f"{r.pattern:<28} {value:>8} {ci:>19} {band:>15} {r.role:>10}  "
            f"{'pass' if r.passed else 'FAIL'}"
        )
    return "\n".join(lines)
