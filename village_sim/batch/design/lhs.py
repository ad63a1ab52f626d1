"""Latin hypercube sample over the factors' ranges (SALib ``latin``)."""

from __future__ import annotations

import numpy as np

from village_sim.batch.design.base import DesignPoints, salib_problem, sampled, sampler_seed
from village_sim.batch.experiment import Experiment, LhsDesign


def build(name: str, design: LhsDesign, experiment: Experiment, offset: int = 0) -> DesignPoints:
    """``samples`` points, one in each of ``samples`` equal slices of every factor's range."""
    from SALib.sample import latin

    names = experiment.spec.design_factors(design)
    problem = salib_problem(names, experiment.spec.factors, widen_integers=True)
    sample = np.asarray(
        latin.sample(problem, design.samples, seed=sampler_seed(design, experiment))
    )
    return sampled(
        name, "lhs", names, sample, problem, experiment, offset, design.model_dump(mode="json")
    )
