"""Grid designs: indicator means with 95 % t intervals per grid point and per factor level; steps.

With one factor, :func:`steps` gives the difference between adjacent levels, paired over replicates
under common random numbers (replicate r shares a seed at every level), as a paths design gives
the difference to its first path.
"""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from village_sim.batch.analyze import paths, values
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


STEP_COLUMNS = ["factor", "from", "to", "indicator", "n", "diff", "ci_low", "ci_high"]


def steps(
    frame: pd.DataFrame,
    factor: str,
    levels: Sequence[object],
    indicators: Sequence[str],
    paired: bool = True,
    level: float = 0.95,
) -> pd.DataFrame:
    """Difference of each indicator from one level of ``factor`` to the next (``to − from``).

    Args:
        frame: One row per successful run with the ``factor`` and ``replicate`` columns.
        factor: The grid's factor.
        levels: Its levels in order (as the experiment file lists them).
        indicators: Indicators to compare.
        paired: Pair replicates (common random numbers); otherwise Welch intervals.
        level: Confidence level.

    Returns:
        Rows ``factor``, ``from``, ``to``, ``indicator``, ``n`` (runs at ``to``), ``diff``,
        ``ci_low``, ``ci_high``.
    """
    rows = []
    for low, high in zip(levels, levels[1:], strict=False):
        pair = paths.summary(frame, indicators, [low, high], paired, column=factor, level=level)
        for r in pair[pair["path"] == high].itertuples(index=False):
            rows.append(
                {
                    "factor": factor,
                    "from": low,
                    "to": high,
                    "indicator": r.indicator,
                    "n": r.n,
                    "diff": r.diff,
                    "ci_low": r.diff_ci_low,
                    "ci_high": r.diff_ci_high,
                }
            )
    return pd.DataFrame(rows, columns=STEP_COLUMNS)
