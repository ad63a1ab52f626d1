"""Small statistics for comparing scenarios over replicates: means, t intervals, paired differences."""

from __future__ import annotations

import math

import numpy as np


def mean_ci(
    values: np.ndarray, level: float = 0.95
) -> tuple[float | None, float | None, float | None]:
    """Mean and two-sided t confidence interval of finite values (None when undefined)."""
    x = np.asarray([v for v in values if v is not None and np.isfinite(v)], dtype=float)
    if x.size == 0:
        return None, None, None
    mean = float(x.mean())
    if x.size == 1:
        return mean, None, None
    half = float(_t_quantile(0.5 + level / 2, x.size - 1) * x.std(ddof=1) / math.sqrt(x.size))
    return mean, mean - half, mean + half


def paired_diff_ci(
    a: np.ndarray, b: np.ndarray, level: float = 0.95
) -> tuple[float | None, float | None, float | None]:
    """Mean and t interval of ``a − b`` over replicates where both are defined."""
    pairs = [
        (x, y)
        for x, y in zip(a, b, strict=True)
        if x is not None and y is not None and np.isfinite(x) and np.isfinite(y)
    ]
    if not pairs:
        return None, None, None
    return mean_ci(np.array([x - y for x, y in pairs]), level)


def welch_diff_ci(
    a: np.ndarray, b: np.ndarray, level: float = 0.95
) -> tuple[float | None, float | None, float | None]:
    """Difference of means ``a − b`` of independent samples with a Welch t interval."""
    x = np.asarray([v for v in a if v is not None and np.isfinite(v)], dtype=float)
    y = np.asarray([v for v in b if v is not None and np.isfinite(v)], dtype=float)
    if x.size == 0 or y.size == 0:
        return None, None, None
    diff = float(x.mean() - y.mean())
    if x.size < 2 or y.size < 2:
        return diff, None, None
    vx, vy = x.var(ddof=1) / x.size, y.var(ddof=1) / y.size
    se = math.sqrt(vx + vy)
    if se == 0:
        return diff, diff, diff
    dof = (vx + vy) ** 2 / (vx**2 / (x.size - 1) + vy**2 / (y.size - 1))
    half = float(_t_quantile(0.5 + level / 2, dof) * se)
    return diff, diff - half, diff + half


def _t_quantile(q: float, dof: float) -> float:
    """Student's t quantile (SciPy, imported here: half a second and 30 MB a run does not need)."""
    from scipy import stats

    return float(stats.t.ppf(q, dof))
