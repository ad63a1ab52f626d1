"""Morris elementary effects (μ, μ*, σ, bootstrap interval of μ*) with SALib.

The output of a design point is the mean over its replicates; every point of the trajectories must
have a value, so an indicator with missing values gets a note instead of measures.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from village_sim.batch.analyze import factor_rows

COLUMNS = ["indicator", "factor", "mu", "mu_star", "mu_star_conf", "sigma", "note"]


def measures(
    frame: pd.DataFrame,
    problem: dict[str, Any],
    sample: np.ndarray,
    indicators: Sequence[str],
    first_point: int,
    levels: int = 4,
    resamples: int = 1000,
    conf_level: float = 0.95,
    seed: int = 0,
) -> pd.DataFrame:
    """Morris measures of every indicator.

    Args:
        frame: The design's successful runs (``point`` and indicator columns).
        problem: The SALib problem the trajectories were drawn for.
        sample: The trajectories (``n × k``, as drawn).
        indicators: Indicators to analyse.
        first_point: Global index of the design's first point.
        levels: Grid levels of the design.
        resamples: Bootstrap resamples for the interval of μ*.
        conf_level: Confidence level.
        seed: Bootstrap seed.

    Returns:
        Rows ``indicator``, ``factor``, ``mu``, ``mu_star``, ``mu_star_conf`` (half-width),
        ``sigma``, ``note``; μ and μ* are in the indicator's unit per the factor's whole range
        scaled to [0, 1].
    """
    from SALib.analyze import morris

    rows = factor_rows(
        frame,
        first_point,
        sample.shape[0],
        indicators,
        list(problem["names"]),
        lambda y: morris.analyze(
            problem,
            sample,
            y,
            num_resamples=resamples,
            conf_level=conf_level,
            num_levels=levels,
            seed=seed,
        ),
        ("mu", "mu_star", "mu_star_conf", "sigma"),
    )
    return pd.DataFrame(rows, columns=COLUMNS)
