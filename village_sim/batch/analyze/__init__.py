"""Analyses matching the designs (as SALib's ``analyze`` mirrors ``sample``), one module per method.

- :mod:`~village_sim.batch.analyze.grid`: means with t intervals per grid point and per factor level;
- :mod:`~village_sim.batch.analyze.paths`: means per path and differences to the first path (paired
  over replicates under common random numbers);
- :mod:`~village_sim.batch.analyze.lhs`: Spearman rank correlations of indicators with factors;
- :mod:`~village_sim.batch.analyze.sobol`: first-order and total Sobol indices (SALib);
- :mod:`~village_sim.batch.analyze.morris`: Morris μ*, σ (SALib);
- :mod:`~village_sim.batch.analyze.discovery`: scenario discovery (PRIM, CART, feature scores with
  the EMA Workbench) and the robustness and regret of paths over sampled worlds.

Each takes a wide frame of one design's successful runs (one row per run, factor columns, one
column per indicator) and returns a tidy :class:`pandas.DataFrame`.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import pandas as pd


def values(series: pd.Series) -> np.ndarray:
    """A column as floats, with ``None`` as NaN."""
    return pd.to_numeric(series, errors="coerce").to_numpy(dtype=float)


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


def factor_rows(
    frame: pd.DataFrame,
    first_point: int,
    n_points: int,
    indicators: Sequence[str],
    factors: Sequence[str],
    analyze: Callable[[np.ndarray], dict[str, Any]],
    measures: Sequence[str],
) -> list[dict[str, Any]]:
    """One row per indicator and factor of a SALib analysis of the design's point means.

    Every point of a Morris or Saltelli design must have a value: an indicator with missing or
    constant point means gets a ``note`` instead of measures.

    Args:
        frame: The design's successful runs (``point`` and indicator columns).
        first_point: Global index of the design's first point.
        n_points: Points in the design.
        indicators: Indicators to analyse.
        factors: The problem's factor names, in order.
        analyze: SALib's analysis of one output vector (warnings silenced around it).
        measures: Keys of the analysis result, one value per factor each.

    Returns:
        Rows ``indicator``, ``factor``, the measures and ``note``.
    """
    rows: list[dict[str, Any]] = []
    for ind in indicators:
        y = point_means(frame, first_point, n_points, ind)
        note = problem_with(y)
        if note:
            rows += [{"indicator": ind, "factor": f, "note": note} for f in factors]
            continue
        with warnings.catch_warnings(), np.errstate(all="ignore"):
            warnings.simplefilter("ignore")
            result = analyze(y)
        for j, factor in enumerate(factors):
            measured = {m: float(result[m][j]) for m in measures}
            rows.append({"indicator": ind, "factor": factor, **measured, "note": ""})
    return rows


def problem_with(y: np.ndarray) -> str:
    """Why a design's point means cannot be apportioned ('' when they can)."""
    missing = int((~np.isfinite(y)).sum())
    if missing:
        return f"{missing} of {y.size} design points have no value (failed or undefined)"
    if float(np.var(y)) == 0.0:
        return "constant output: no variance to apportion"
    return ""
