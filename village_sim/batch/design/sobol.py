"""Saltelli's scheme on a scrambled Sobol sequence, for Sobol indices (SALib ``sobol``).

``samples`` (N, a power of two) base points give ``N·(k+2)`` runs for first-order and total
indices, ``N·(2k+2)`` with second-order indices. The matching analysis is
:mod:`village_sim.batch.analyze.sobol`.
"""

from __future__ import annotations

import warnings

import numpy as np

from village_sim.batch.design.base import DesignPoints, salib_problem, sampled, sampler_seed
from village_sim.batch.experiment import Experiment, SobolDesign


def build(name: str, design: SobolDesign, experiment: Experiment, offset: int = 0) -> DesignPoints:
    """The Saltelli sample over the factors' ranges."""
    from SALib.sample import sobol

    names = experiment.spec.design_factors(design)
    problem = salib_problem(names, experiment.spec.factors, widen_integers=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # SALib's advice on N; the schema asks a power of two
        sample = sobol.sample(
            problem,
            design.samples,
            calc_second_order=design.second_order,
            scramble=True,
            seed=sampler_seed(design, experiment),
        )
    return sampled(
        name,
        "sobol",
        names,
        np.asarray(sample),
        problem,
        experiment,
        offset,
        design.model_dump(mode="json"),
    )
