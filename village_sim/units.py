"""Units of the books (MODEL.md §1): money in integer fen, goods in integer grams.

The ground floor of the package: it imports nothing of it. The ledger counts in these units so that
balances are exact even when a consumer unit stands for many people.
"""

from __future__ import annotations

import numpy as np

FEN_PER_YUAN = 100
GRAMS_PER_KG = 1000


def to_fen(yuan: np.ndarray | float) -> np.ndarray:
    """Yuan → integer fen (rounded half to even)."""
    if isinstance(yuan, float | int):
        return _round_scalar(yuan, FEN_PER_YUAN)
    return np.rint(np.asarray(yuan, dtype=float) * FEN_PER_YUAN).astype(np.int64)


def to_grams(kg: np.ndarray | float) -> np.ndarray:
    """Kilograms → integer grams (rounded)."""
    if isinstance(kg, float | int):
        return _round_scalar(kg, GRAMS_PER_KG)
    return np.rint(np.asarray(kg, dtype=float) * GRAMS_PER_KG).astype(np.int64)


def _round_scalar(value: float, factor: int) -> np.int64:
    """``np.rint(float(value) * factor)`` as ``np.int64`` for one number, without array overhead.

    Python's ``round`` also rounds half to even, so the result is the same integer.
    """
    return np.int64(round(float(value) * factor))
