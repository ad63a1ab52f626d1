"""Paths designs (and ``compare`` folders): means per path and differences to the first path.

With common random numbers (the default) replicate r of every path shares a seed, so the difference
to the first path is paired over replicates; with independent seeds it is a Welch interval.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from village_sim.batch.analyze import values
from village_sim.metrics.stats import mean_ci, paired_diff_ci, welch_diff_ci

COLUMNS = [
    "path",
    "indicator",
    "n",
    "mean",
    "ci_low",
    "ci_high",
    "diff",
    "diff_ci_low",
    "diff_ci_high",
]


def summary(
    frame: pd.DataFrame,
    indicators: Sequence[str],
    order: Sequence[str],
    paired: bool = True,
    column: str = "path",
    level: float = 0.95,
) -> pd.DataFrame:
    """Mean, t interval and difference to ``order[0]`` of every indicator on every path.

    Args:
        frame: One row per successful run with ``column``, ``replicate`` and indicator columns.
        indicators: Indicators to summarise.
        order: Paths in display order; the first is the reference.
        paired: Pair replicates (common random numbers) for the differences.
        column: The column holding the path name.
        level: Confidence level.

    Returns:
        Rows ``path``, ``indicator``, ``n``, ``mean``, ``ci_low``, ``ci_high``, ``diff``,
        ``diff_ci_low``, ``diff_ci_high``.
    """
    rows = []
    ref = frame[frame[column] == order[0]].set_index("replicate") if order else None
    for name in order:
        part = frame[frame[column] == name].set_index("replicate")
        for ind in indicators:
            if ind not in part:
                continue
            x = values(part[ind])
            mean, lo, hi = mean_ci(x, level)
            diff = dlo = dhi = None
            if ref is not None and name != order[0] and ind in ref:
                if paired:
                    common = part.index.intersection(ref.index)
                    diff, dlo, dhi = paired_diff_ci(
                        values(part.loc[common, ind]), values(ref.loc[common, ind]), level
                    )
                else:
                    diff, dlo, dhi = welch_diff_ci(x, values(ref[ind]), level)
            elif name == order[0]:
                diff, dlo, dhi = 0.0, None, None
            rows.append(
                {
                    "path": name,
                    "indicator": ind,
                    "n": int(np.isfinite(x).sum()),
                    "mean": mean,
                    "ci_low": lo,
                    "ci_high": hi,
                    "diff": diff,
                    "diff_ci_low": dlo,
                    "diff_ci_high": dhi,
                }
            )
    return pd.DataFrame(rows, columns=COLUMNS)
