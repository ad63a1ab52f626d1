"""Small exact helpers: the same floats as NumPy's ``mean`` and ``median``, without their overhead.

Agents call these on a handful of numbers many times a week, where NumPy's per-call cost dominates.
Each helper reproduces NumPy's arithmetic exactly, so results are bit-identical.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np

OFFER_BLOCK = 1 << 17
"""Flat (unit, offer) cells per block when a week's offers are summed or accumulated (the onlookers'
running total, views per seller): a block fits in the CPU cache; a province's week does not."""


def finite_or_none(value: Any) -> float | None:
    """``value`` as a float, or ``None`` where it is missing, not a number, NaN or infinite.

    What a JSON file, a DuckDB column or a chart may hold for an indicator that is undefined.
    """
    if value is None:
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) else None


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


def binned_sums(
    index: np.ndarray, weights: np.ndarray, n_bins: int, shift: int = 0, block: int = 1 << 16
) -> np.ndarray:
    """``np.bincount(index + shift, weights, minlength=n_bins)``, bit for bit, block by block.

    ``bincount`` adds each bin's weights in element order from zero. Each block after the first
    starts with the previous blocks' sums as its first elements, so every addition is the one the
    whole-array call makes; no index or weight array of the whole input is converted at once.
    Every ``index + shift`` must lie in ``[0, n_bins)``.
    """
    bins = np.arange(n_bins)
    sums = np.zeros(n_bins)
    for lo in range(0, index.size, block):
        idx = index[lo : lo + block] + shift
        w = weights[lo : lo + block]
        if lo:
            idx = np.concatenate((bins, idx))
            w = np.concatenate((sums, w))
        sums = np.bincount(idx, weights=w, minlength=n_bins)
    return sums


EXACT_SUM_SMALL = 64
"""Below this many numbers :func:`exact_sum` hands them to ``math.fsum`` directly."""


def exact_sum(values: np.ndarray) -> float:
    """``math.fsum(values)``: the exactly rounded sum of float64 numbers, without Python floats.

    Both are the exact sum rounded once to the nearest double (ties to even), so they are the
    same number. Each double is ``M·2^E`` with an integer ``|M| < 2⁵³`` (``np.frexp``); the
    halves of ``M`` (26 and 27 bits) are summed per exponent in float64 — exactly, for fewer
    than 2²⁶ numbers — and the per-exponent sums are combined as Python integers, then divided
    by the power of two (Python's integer division is exactly rounded). ``math.fsum`` on a
    list converts every number to a Python float first: ten times slower for thousands.
    Non-finite values, short arrays and an exact total of zero (whose sign ``fsum`` keeps) go
    to ``math.fsum``.
    """
    x = np.asarray(values, dtype=np.float64).reshape(-1)
    if x.size < EXACT_SUM_SMALL or x.size >= 1 << 26 or not np.isfinite(x).all():
        return math.fsum(x.tolist())
    fraction, exponent = np.frexp(x)
    mantissa = (fraction * 2.0**53).astype(np.int64)  # exact: |fraction| < 1 has 53 bits
    lowest = int(exponent.min())
    shift = exponent - lowest
    high = mantissa >> 26  # floor, so that low = mantissa - high·2²⁶ is in [0, 2²⁶)
    low = mantissa - (high << 26)
    high_sums = np.bincount(shift, weights=high.astype(np.float64))
    low_sums = np.bincount(shift, weights=low.astype(np.float64))
    total = 0
    for k in np.flatnonzero((high_sums != 0) | (low_sums != 0)).tolist():
        total += (int(high_sums[k]) << (26 + k)) + (int(low_sums[k]) << k)
    if total == 0:
        return math.fsum(x.tolist())
    scale = lowest - 53  # the exact sum is total · 2^scale
    return float(total << scale) if scale >= 0 else total / (1 << -scale)


PAIRWISE_BLOCK = 128
"""NumPy's ``PW_BLOCKSIZE``: its pairwise sum adds a piece of at most this many numbers directly."""


def pairwise_leaves(n: int) -> tuple[np.ndarray, np.ndarray] | None:
    """Starts and lengths of the pieces NumPy's pairwise sum of ``n`` contiguous doubles adds directly.

    ``np.add.reduce`` of a contiguous float64 array sums a piece of more than
    :data:`PAIRWISE_BLOCK` numbers as the sum of its two halves, the first half's length rounded
    down to a multiple of 8; smaller pieces (the leaves) are summed in one pass. Given each
    leaf's sum, as ``np.add.reduce`` of the leaf's slice computes it, :func:`combine_pairwise`
    returns the whole array's sum bit for bit. Returns None unless every leaf lies at the same
    depth (then adjacent pairs are siblings at every level; this holds for the populations used
    here, e.g. 20,000 and 200,000 numbers).
    """
    starts, lengths, depths = [], [], set()

    def split(lo: int, size: int, depth: int) -> None:
        if size <= PAIRWISE_BLOCK:
            starts.append(lo)
            lengths.append(size)
            depths.add(depth)
            return
        half = size // 2
        half -= half % 8
        split(lo, half, depth + 1)
        split(lo + half, size - half, depth + 1)

    split(0, int(n), 0)
    if len(depths) != 1:
        return None
    return np.array(starts, dtype=np.int64), np.array(lengths, dtype=np.int64)


def combine_pairwise(leaf_sums: np.ndarray) -> np.ndarray:
    """The pairwise sum from the sums of its leaves (last axis, in order; see :func:`pairwise_leaves`).

    Each level adds sibling pairs, ``left + right``, as NumPy adds the sums of two halves.
    """
    sums = leaf_sums
    while sums.shape[-1] > 1:
        sums = sums[..., 0::2] + sums[..., 1::2]
    return sums[..., 0]
