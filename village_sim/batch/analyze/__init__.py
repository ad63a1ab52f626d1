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

import numpy as np
import pandas as pd


def values(series: pd.Series) -> np.ndarray:
    """A column as floats, with ``None`` as NaN."""
    return pd.to_numeric(series, errors="coerce").to_numpy(dtype=float)
