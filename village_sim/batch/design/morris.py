"""Morris elementary-effects screen (SALib ``morris``): ``trajectories·(k+1)`` points.

The matching analysis is :mod:`village_sim.batch.analyze.morris`.
"""

from __future__ import annotations

import numpy as np

from village_sim.batch.design.base import DesignPoints, salib_problem, sampled, sampler_seed
from village_sim.batch.experiment import Experiment, MorrisDesign


def build(name: str, design: MorrisDesign, experiment: Experiment, offset: int = 0) -> DesignPoints:
    """One-at-a-time trajectories on a ``levels``-level grid over the factors' ranges."""
    from SALib.sample import morris

    names = experiment.spec.design_factors(design)
    problem = salib_problem(names, experiment.spec.factors, widen_integers=False)
    sample = morris.sample(
        problem,
        design.trajectories,
        num_levels=design.levels,
        seed=sampler_seed(design, experiment),
    )
    return sampled(
        name,
        "morris",
        names,
        np.asarray(sample),
        problem,
        experiment,
        offset,
        design.model_dump(mode="json"),
    )
