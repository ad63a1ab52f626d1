"""Full factorial grid: every combination of the factors' levels (last factor varies fastest)."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

from village_sim.batch.design.base import DesignPoints
from village_sim.batch.experiment import Experiment, GridDesign


def build(name: str, design: GridDesign, experiment: Experiment, offset: int = 0) -> DesignPoints:
    """The grid's points, decoded from their index (nothing is materialised).

    Args:
        name: Design name.
        design: The grid spec.
        experiment: Its experiment (factors, base scenario).
        offset: Global index of the first point.
    """
    names = experiment.spec.design_factors(design)
    factors = experiment.spec.factors
    levels = [list(factors[f].levels or []) for f in names]
    sizes = [len(lv) for lv in levels]
    base = experiment.base_scenario()
    if not (base is not None):
        raise RuntimeError("internal error: expected base is not None")

    def values(i: int) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for fname, lv, size in zip(reversed(names), reversed(levels), reversed(sizes), strict=True):
            i, j = divmod(i, size)
            out[fname] = lv[j]
        return {f: out[f] for f in names}

    def locate(i: int) -> tuple[Path, dict[str, Any]]:
        return base, {factors[f].path: v for f, v in values(i).items()}

    return DesignPoints(
        name,
        "grid",
        names,
        math.prod(sizes),
        offset,
        values,
        locate,
        experiment,
        settings=design.model_dump(mode="json"),
    )
