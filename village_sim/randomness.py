"""Random streams and counts (MODEL.md §1).

Every draw comes from a generator derived from the run seed: ``model.random`` for Mesa's shuffles and
one NumPy generator per mechanism, a child of ``SeedSequence(seed)`` keyed by the mechanism's name, so
that switching a policy on does not shift the stream of an unrelated mechanism.

Counts of people in super-individuals (viewers who buy, buyers who complain, followers who leave)
are drawn by *stochastic rounding* of their expectation: ``floor(x + u)`` with ``u ~ U(0, 1)``. It
keeps the mean exactly, is close to a binomial draw for the small counts that dominate here, and
costs one uniform number instead of a binomial sample — the difference between a fast and a slow
model at tens of thousands of consumer units.
"""

from __future__ import annotations

import math
import zlib
from typing import Any

import numpy as np

SEED_BITS = 63
"""A seed drawn from fresh entropy fits a signed 64-bit integer (manifests, DuckDB columns)."""


def resolve_seed(seed: Any = None, rng: Any = None) -> int:
    """The run seed from Mesa's ``seed``/``rng`` conventions.

    Args:
        seed: A non-negative integer, or ``None``.
        rng: What Mesa models accept as ``rng``: ``None``, an integer, a NumPy ``Generator`` or
            ``SeedSequence`` (a seed is drawn from it).

    Returns:
        A non-negative integer. With neither given, one drawn from fresh OS entropy: the caller
        records it (``model.seed``, the run manifest) so that the run can be repeated.

    Raises:
        ValueError: Both given, or a seed that is not a non-negative integer.
    """
    if seed is not None and rng is not None:
        raise ValueError("give either seed or rng, not both")
    given = seed if seed is not None else rng
    if given is None:
        return int(np.random.default_rng().integers(2**SEED_BITS))
    if isinstance(given, np.random.SeedSequence):
        given = np.random.default_rng(given)
    if isinstance(given, np.random.Generator):
        return int(given.integers(2**SEED_BITS))
    if isinstance(given, bool) or not isinstance(given, int | np.integer) or given < 0:
        raise ValueError(f"seed: expected a non-negative integer or None, got {given!r}")
    return int(given)


def child_stream(seed: int, name: str) -> np.random.Generator:
    """The NumPy generator of one mechanism: a child of the run seed keyed by its name.

    Keying children by name (rather than by spawn order) keeps each mechanism's stream unchanged
    when another mechanism is added or switched on (common random numbers).
    """
    key = zlib.crc32(name.encode())
    return np.random.default_rng(np.random.SeedSequence(entropy=int(seed), spawn_key=(key,)))


def stochastic_round(expected: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Integer counts with the given (non-negative) expectation: ``floor(expected + U(0, 1))``."""
    expected = np.asarray(expected)
    if expected.dtype != np.float32:
        expected = np.asarray(expected, dtype=float)  # no copy when already float64
    return (expected + rng.random(expected.shape, dtype=expected.dtype)).astype(np.int64)


def thin(counts: np.ndarray, p: np.ndarray | float, rng: np.random.Generator) -> np.ndarray:
    """How many of ``counts`` people do something with chance ``p`` (never more than ``counts``)."""
    counts = np.asarray(counts)
    p = np.asarray(p)
    if p.dtype != np.float32:
        p = np.asarray(p, dtype=float)
    return np.minimum(stochastic_round(counts * p, rng), counts)


def thin_nonzero(
    counts: np.ndarray, p: np.ndarray | float, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """The non-zero cells of :func:`thin` ``(counts, p, rng)``, with the same random draws.

    Returns:
        ``(cells, values)``: flat (row-major) indices of the cells where someone acts and how many
        do. Cheaper than :func:`thin` when few cells are non-zero: only those are converted.
    """
    counts = np.asarray(counts)
    p = np.asarray(p)
    if p.dtype != np.float32:
        p = np.asarray(p, dtype=float)
    drawn = counts * p  # a new array: the uniform draws are added in place
    if drawn.dtype != np.float32:
        drawn = np.asarray(drawn, dtype=float)
    drawn += rng.random(drawn.shape, dtype=drawn.dtype)
    drawn = drawn.reshape(-1)
    cells = np.flatnonzero(drawn >= 1)  # where floor(expected + U) is at least 1
    values = np.minimum(drawn[cells].astype(np.int64), counts.reshape(-1)[cells])
    keep = values != 0
    return cells[keep], values[keep]


TABLE_SIZE = 1 << 16


def sampling_table(weights: np.ndarray) -> np.ndarray:
    """A lookup table for fast draws: index ``i`` fills a share of the table equal to its weight.

    Shares are rounded to multiples of ``1 / 65,536`` by largest remainder (so every index with
    a positive weight keeps a share within that of its own).
    """
    w = np.asarray(weights, dtype=float)
    quota = w / w.sum() * TABLE_SIZE
    counts = np.floor(quota).astype(np.int64)
    short = TABLE_SIZE - int(counts.sum())
    if short > 0:
        counts[np.argsort(-(quota - counts), kind="stable")[:short]] += 1
    return np.repeat(np.arange(w.size), counts)


_RAW_DOUBLES = (np.random.PCG64, np.random.PCG64DXSM, np.random.Philox, np.random.SFC64)
"""Bit generators whose ``Generator.random()`` is ``(next_uint64 >> 11) · 2⁻⁵³``, one raw draw
each."""


def _raw_uniforms(rng: np.random.Generator) -> bool:
    """Whether ``rng.random()`` doubles are the top 53 bits of its raw 64-bit draws."""
    return isinstance(rng.bit_generator, _RAW_DOUBLES)


def uniform(rng: np.random.Generator) -> float:
    """``rng.random()``, one number, from one raw draw: ``(x >> 11) · 2⁻⁵³`` (see :func:`draw_index`).

    The same double and the same step of the stream, without the Generator's per-call work (a
    week draws a few hundred single numbers: each anchor's reviews, the youth's decisions).
    """
    bg = rng.bit_generator
    if isinstance(bg, _RAW_DOUBLES):
        return (bg.random_raw() >> 11) * 2.0**-53
    return rng.random()


def draw_index(
    table: np.ndarray, rng: np.random.Generator, size: int | tuple[int, ...]
) -> np.ndarray:
    """Indices drawn from a :func:`sampling_table` (one uniform number per draw).

    :func:`draw_index_plain` with the same draws, without the doubles: for a table of 2^b
    entries and a uniform ``u = m · 2⁻⁵³`` made from a raw draw ``x`` (``m = x >> 11``),
    ``floor(u · 2^b)`` is ``x >> (64 − b)``; the generator advances by the same raw draws.
    """
    bits = table.size.bit_length() - 1
    if not (_raw_uniforms(rng) and table.size == 1 << bits and bits <= 53):
        return draw_index_plain(table, rng, size)
    raw = rng.bit_generator.random_raw(size)
    raw >>= np.uint64(64 - bits)
    return np.take(table, raw.view(np.int64))  # take: faster than [] on a large table


def draw_index_plain(
    table: np.ndarray, rng: np.random.Generator, size: int | tuple[int, ...]
) -> np.ndarray:
    """:func:`draw_index` from the uniform numbers themselves: ``table[floor(u · len(table))]``."""
    u = rng.random(size)
    u *= table.size
    return np.take(table, u.astype(np.intp))


def draws_below(rng: np.random.Generator, size: int | tuple[int, ...], p: float) -> np.ndarray:
    """``rng.random(size) < p`` from the same raw draws, without the doubles.

    With ``u = m · 2⁻⁵³`` (``m = x >> 11`` an integer), ``u < p`` exactly when
    ``m < ceil(p · 2⁵³)`` (``p · 2⁵³`` is exact for ``0 ≤ p ≤ 1``).
    """
    if not (_raw_uniforms(rng) and 0.0 <= p <= 1.0):
        return rng.random(size) < p
    raw = rng.bit_generator.random_raw(size)
    raw >>= np.uint64(11)
    return raw < np.uint64(math.ceil(p * 2.0**53))
