"""Small exact helpers: the same floats as NumPy's ``mean`` and ``median``, without their overhead.

Agents call these on a handful of numbers many times a week, where NumPy's per-call cost dominates.
Each helper reproduces NumPy's arithmetic exactly, so results are bit-identical.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np


def mean_of_few(values: Sequence[float]) -> float:
    """``float(np.mean(values))`` for fewer than 8 numbers (a non-empty sequence).

    NumPy adds fewer than 8 numbers one by one from zero, then divides by the count; this does
    the same. (Python's ``sum`` of floats is compensated since 3.12, so it is not used.) Longer
    sequences go to NumPy, which sums them pairwise.
    """
    if len(values) >= 8:
        return float(np.mean(values))
    total = 0.0
    for value in values:
        total += float(value)
    return total / len(values)


def median(values: np.ndarray) -> float:
    """``float(np.median(values))`` for a non-empty array of finite numbers.

    The middle element, or the mean of the two middle elements ``(a + b) / 2`` (what NumPy's
    median computes for an even count).
    """
    ordered = np.sort(values)
    mid = ordered.size // 2
    if ordered.size % 2:
        return float(ordered[mid])
    return float((ordered[mid - 1] + ordered[mid]) / 2)
