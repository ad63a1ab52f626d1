"""Grid designs: indicator means with 95 % t intervals per grid point and per factor level."""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from village_sim.batch.analyze import values
from village_sim.metrics.stats import mean_ci


def cells(
    frame: pd.DataFrame, factors: Sequence[str], indicators: Sequence[str], level: float = 0.95
) -> pd.DataFrame:
    """Mean and t interval over replicates at every grid point.

    Returns:
        One row per grid point and indicator: the factor columns, ``indicator``, ``n``, ``mean``,
        ``ci_low``, ``ci_high``.
    """
    rows = []
    for keys, part in frame.groupby(list(factors), sort=True, dropna=False):
        keys = keys if isinstance(keys, tuple) else (keys,)
        for ind in indicators:
            if ind not in part:
                continue
            x = values(part[ind])
            mean, lo, hi = mean_ci(x, level)
            rows.append(
                {
                    **dict(zip(factors, keys, strict=True)),
                    "indicator": ind,
                    "n": int((~pd.isna(x)).sum()),
                    "mean": mean,
                    "ci_low": lo,
                    "ci_high": hi,
                }
            )
    return pd.DataFrame(rows, columns=[*factors, "indicator", "n", "mean", "ci_low", "ci_high"])


def main_effects(
    frame: pd.DataFrame, factors: Sequence[str], indicators: Sequence[str], level: float = 0.95
) -> pd.DataFrame:
    """Marginal mean of each indicator at each level of each factor (over all other factors).

    Returns:
        Rows ``factor``, ``level``, ``indicator``, ``n``, ``mean``, ``ci_low``, ``ci_high`` (the
        interval is over the runs at that level).
    """
    rows = []
    for factor in factors:
        for lvl, part in frame.groupby(factor, sort=True, dropna=False):
            for ind in indicators:
                if ind not in part:
                    continue
                x = values(part[ind])
                mean, lo, hi = mean_ci(x, level)
                rows.append(
                    {
                        "factor": factor,
                        "level": lvl,
                        "indicator": ind,
                        "n": int((~pd.isna(x)).sum()),
                        "mean": mean,
                        "ci_low": lo,
                        "ci_high": hi,
                    }
                )
    return pd.DataFrame(
        rows, columns=["factor", "level", "indicator", "n", "mean", "ci_low", "ci_high"]
    )
