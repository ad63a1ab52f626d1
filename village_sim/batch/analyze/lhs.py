"""Latin hypercube designs: Spearman rank correlation of each indicator with each factor."""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import pandas as pd
from scipy import stats

from village_sim.batch.analyze import values


def correlations(
    frame: pd.DataFrame, factors: Sequence[str], indicators: Sequence[str], level: float = 0.95
) -> pd.DataFrame:
    """Spearman's ρ with a Fisher-z interval, per indicator and factor.

    Returns:
        Rows ``indicator``, ``factor``, ``n``, ``rho``, ``ci_low``, ``ci_high``, ``p_value``.
    """
    rows = []
    z = stats.norm.ppf(0.5 + level / 2)
    for ind in indicators:
        if ind not in frame:
            continue
        y = values(frame[ind])
        for factor in factors:
            x = values(frame[factor])
            ok = np.isfinite(x) & np.isfinite(y)
            n = int(ok.sum())
            rho = lo = hi = p = None
            if n >= 3 and np.ptp(x[ok]) > 0 and np.ptp(y[ok]) > 0:
                result = stats.spearmanr(x[ok], y[ok])
                rho, p = float(result.statistic), float(result.pvalue)
                if n > 3 and abs(rho) < 1:
                    half = z / math.sqrt(n - 3)
                    lo, hi = math.tanh(math.atanh(rho) - half), math.tanh(math.atanh(rho) + half)
            rows.append(
                {
                    "indicator": ind,
                    "factor": factor,
                    "n": n,
                    "rho": rho,
                    "ci_low": lo,
                    "ci_high": hi,
                    "p_value": p,
                }
            )
    return pd.DataFrame(
        rows, columns=["indicator", "factor", "n", "rho", "ci_low", "ci_high", "p_value"]
    )
