"""Scenario discovery: every path (the baseline first) in each world of a Latin hypercube.

Points are world-major: point ``offset + w·k + j`` is path ``j`` (of ``k``) in world ``w``. The points
of one world share their seed stream (``offset + w``), so replicate r of every path in a world has
the same seed (common random numbers per world); with ``seeds: independent`` the worlds differ.
Each point's factor columns are the world's factor values, ``path`` and ``world``. The matching
analysis is :mod:`village_sim.batch.analyze.discovery` (``village-sim discover``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from village_sim.batch.design.base import DesignPoints, salib_problem, sample_values, sampler_seed
from village_sim.batch.experiment import DiscoveryDesign, Experiment


def build(
    name: str, design: DiscoveryDesign, experiment: Experiment, offset: int = 0
) -> DesignPoints:
    """``samples`` worlds times every path."""
    from SALib.sample import latin

    names = experiment.spec.design_factors(design)
    factors = experiment.spec.factors
    problem = salib_problem(names, factors, widen_integers=True)
    sample = np.asarray(
        latin.sample(problem, design.samples, seed=sampler_seed(design, experiment))
    )
    order = design.path_order()
    k = len(order)
    base = experiment.base_scenario()

    def values(i: int) -> dict[str, Any]:
        world, j = divmod(i, k)
        return {**sample_values(sample, world, names, factors), "path": order[j], "world": world}

    def locate(i: int) -> tuple[Path, dict[str, Any]]:
        world, j = divmod(i, k)
        spec = design.path_spec(order[j])
        file = experiment.resolve_file(spec.scenario) if spec.scenario else base
        if not (file is not None):
            raise RuntimeError("internal error: expected file is not None")
        world_values = sample_values(sample, world, names, factors)
        return file, {**spec.overrides, **{factors[f].path: v for f, v in world_values.items()}}

    def stream(i: int) -> int:
        return offset + i // k

    settings = design.model_dump(mode="json")
    settings["path_order"] = order
    return DesignPoints(
        name,
        "discovery",
        [*names, "path", "world"],
        design.samples * k,
        offset,
        values,
        locate,
        experiment,
        sample=sample,
        problem=problem,
        settings=settings,
        stream=stream,
    )
