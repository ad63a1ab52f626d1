"""Run seeds derived from a root seed with NumPy's ``SeedSequence`` (never from scheduling)."""

from __future__ import annotations

from typing import Literal

import numpy as np

SeedMode = Literal["common", "independent"]


def replicate_seeds(root: int, n: int) -> list[int]:
    """Seed of replicate r: ``SeedSequence(root).spawn(n)[r]`` as a 32-bit integer.

    The same replicate gets the same seed in every scenario (common random numbers).
    """
    children = np.random.SeedSequence(int(root)).spawn(int(n))
    return [int(child.generate_state(1)[0]) for child in children]


def run_seed(root: int, point: int, replicate: int, mode: SeedMode = "common") -> int:
    """The seed of one run of a designed experiment, from its place in the design alone.

    ``common`` (common random numbers, as ``compare`` does): replicate r has the seed
    ``SeedSequence(root).spawn(n)[r]`` at every design point, equal to ``replicate_seeds(root, n)[r]``
    for any ``n > r``. ``independent``: ``SeedSequence(root).spawn(points)[point].spawn(n)[replicate]``,
    a different stream at every design point. Spawned children are ``SeedSequence(root,
    spawn_key=...)``, so the seed is computed directly, whatever the order runs are scheduled in.

    Args:
        root: The experiment's root seed.
        point: The design point (0-based, over all designs of the experiment).
        replicate: The replicate (0-based).
        mode: ``"common"`` or ``"independent"``.

    Returns:
        A 32-bit seed.
    """
    if mode == "common":
        key: tuple[int, ...] = (int(replicate),)
    elif mode == "independent":
        key = (int(point), int(replicate))
    else:
        raise ValueError(f"unknown seed mode {mode!r}; expected 'common' or 'independent'")
    child = np.random.SeedSequence(int(root), spawn_key=key)
    return int(child.generate_state(1)[0])
