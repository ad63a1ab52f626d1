"""Units of the books (MODEL.md §1): money in integer fen, goods in integer grams.

The ground floor of the package: it imports nothing of it. The ledger counts in these units so that
balances are exact even when a consumer unit stands for many people.
"""

from __future__ import annotations

import numpy as np

FEN_PER_YUAN = 100
GRAMS_PER_KG = 1000


def to_fen(yuan: np.ndarray | float) -> np.ndarray | int:
    """Yuan → integer fen (rounded half to even); one number gives a Python ``int``."""
    if isinstance(yuan, float | int):
        return _round_scalar(yuan, FEN_PER_YUAN)
    return np.rint(np.asarray(yuan, dtype=float) * FEN_PER_YUAN).astype(np.int64)


def to_grams(kg: np.ndarray | float) -> np.ndarray | int:
    """Kilograms → integer grams (rounded); one number gives a Python ``int``."""
    if isinstance(kg, float | int):
        return _round_scalar(kg, GRAMS_PER_KG)
    return np.rint(np.asarray(kg, dtype=float) * GRAMS_PER_KG).astype(np.int64)


def _round_scalar(value: float, factor: int) -> int:
    """``np.rint(float(value) * factor)`` for one number, without array overhead.

    Python's ``round`` also rounds half to even, so the result is the same integer; it stays a
    Python ``int`` (arithmetic on NumPy scalars is slower, and every use takes its value: ledger
    amounts, comparisons, ``int()``). A test compares with ``np.rint``.
    """
    return round(float(value) * factor)
