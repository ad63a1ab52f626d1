"""Run seeds derived from a root seed with NumPy's ``SeedSequence`` (never from scheduling)."""

from __future__ import annotations

import numpy as np


def replicate_seeds(root: int, n: int) -> list[int]:
    """Seed of replicate r: ``SeedSequence(root).spawn(n)[r]`` as a 32-bit integer.

    The same replicate gets the same seed in every scenario (common random numbers).
    """
    children = np.random.SeedSequence(int(root)).spawn(int(n))
    return [int(child.generate_state(1)[0]) for child in children]
