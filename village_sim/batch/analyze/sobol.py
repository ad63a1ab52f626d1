"""Sobol indices (first-order S1 and total ST, bootstrap intervals) with SALib.

The output of a design point is the mean over its replicates; every point of the Saltelli sample
must have a value, so an indicator with missing values (failed runs, undefined values) gets no
indices and a note instead.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from village_sim.batch.analyze import values

COLUMNS = ["indicator", "factor", "S1", "S1_conf", "ST", "ST_conf", "note"]


def point_means(frame: pd.DataFrame, first_point: int, n_points: int, indicator: str) -> np.ndarray:
    """Mean over replicates of an indicator at each point of a design (NaN where missing)."""
    out = np.full(n_points, np.nan)
    if indicator not in frame or frame.empty:
        return out
    local = frame["point"].to_numpy(dtype=int) - first_point
    y = values(frame[indicator])
    table = pd.DataFrame({"p": local, "y": y}).groupby("p")["y"].mean()
    idx = table.index.to_numpy(dtype=int)
    keep = (idx >= 0) & (idx < n_points)
    out[idx[keep]] = table.to_numpy()[keep]
    return out


def indices(
    frame: pd.DataFrame,
    problem: dict[str, Any],
    indicators: Sequence[str],
    first_point: int,
    n_points: int,
    second_order: bool = False,
    resamples: int = 1000,
    conf_level: float = 0.95,
    seed: int = 0,
) -> pd.DataFrame:
    """Sobol indices of every indicator.

    Args:
        frame: The design's successful runs (``point`` and indicator columns).
        problem: The SALib problem the sample was drawn for.
        indicators: Indicators to analyse.
        first_point: Global index of the design's first point.
        n_points: Points in the design.
        second_order: Whether the sample includes the second-order matrices.
        resamples: Bootstrap resamples.
        conf_level: Confidence level of the intervals.
        seed: Bootstrap seed.

    Returns:
        Rows ``indicator``, ``factor``, ``S1``, ``S1_conf``, ``ST``, ``ST_conf``, ``note``
        (``S1_conf`` is the half-width of the interval).
    """
    from SALib.analyze import sobol

    rows = []
    names = list(problem["names"])
    for ind in indicators:
        y = point_means(frame, first_point, n_points, ind)
        note = _problem_with(y)
        if note:
            rows += [{"indicator": ind, "factor": f, "note": note} for f in names]
            continue
        with warnings.catch_warnings(), np.errstate(all="ignore"):
            warnings.simplefilter("ignore")
            result = sobol.analyze(
                problem,
                y,
                calc_second_order=second_order,
                num_resamples=resamples,
                conf_level=conf_level,
                seed=seed,
            )
        for j, factor in enumerate(names):
            rows.append(
                {
                    "indicator": ind,
                    "factor": factor,
                    "S1": float(result["S1"][j]),
                    "S1_conf": float(result["S1_conf"][j]),
                    "ST": float(result["ST"][j]),
                    "ST_conf": float(result["ST_conf"][j]),
                    "note": "",
                }
            )
    return pd.DataFrame(rows, columns=COLUMNS)


def _problem_with(y: np.ndarray) -> str:
    missing = int((~np.isfinite(y)).sum())
    if missing:
        return f"{missing} of {y.size} design points have no value (failed or undefined)"
    if float(np.var(y)) == 0.0:
        return "constant output: no variance to apportion"
    return ""
