"""Sobol indices (first-order S1 and total ST, bootstrap intervals) with SALib.

The output of a design point is the mean over its replicates; every point of the Saltelli sample
must have a value, so an indicator with missing values (failed runs, undefined values) gets no
indices and a note instead.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pandas as pd

from village_sim.batch.analyze import factor_rows

COLUMNS = ["indicator", "factor", "S1", "S1_conf", "ST", "ST_conf", "note"]


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

    rows = factor_rows(
        frame,
        first_point,
        n_points,
        indicators,
        list(problem["names"]),
        lambda y: sobol.analyze(
            problem,
            y,
            calc_second_order=second_order,
            num_resamples=resamples,
            conf_level=conf_level,
            seed=seed,
        ),
        ("S1", "S1_conf", "ST", "ST_conf"),
    )
    return pd.DataFrame(rows, columns=COLUMNS)
