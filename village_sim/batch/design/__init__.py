"""Design generators, one module per method (as SALib's ``sample``): each yields design points.

:func:`build` dispatches on the design's ``type``; every generator returns a
:class:`~village_sim.batch.design.base.DesignPoints` whose points are produced on demand;
:func:`plan` puts the designs of an experiment in order. Data flows one way: this package reads the
validated experiment (:mod:`village_sim.batch.experiment`), which never imports it.
"""

from __future__ import annotations

from typing import Any

from village_sim.batch.design import discovery, grid, lhs, morris, paths, sobol
from village_sim.batch.design.base import DesignPoints, Plan, Point
from village_sim.batch.experiment import Experiment

__all__ = ["DesignPoints", "Plan", "Point", "build", "plan"]

BUILDERS = {
    "grid": grid.build,
    "paths": paths.build,
    "lhs": lhs.build,
    "sobol": sobol.build,
    "morris": morris.build,
    "discovery": discovery.build,
}


def build(name: str, design: Any, experiment: Experiment, offset: int = 0) -> DesignPoints:
    """The design points of one design of an experiment.

    Args:
        name: The design's name.
        design: Its spec (``GridDesign``, ``LhsDesign``, ``SobolDesign``, ``MorrisDesign``,
            ``PathsDesign`` or ``DiscoveryDesign``).
        experiment: The experiment it belongs to.
        offset: Global index of its first point.

    Returns:
        The design points.
    """
    return BUILDERS[design.type](name, design, experiment, offset)


def plan(experiment: Experiment) -> Plan:
    """The design points of every design of an experiment, in the file's order."""
    designs = []
    offset = 0
    for name, design in experiment.spec.named_designs():
        points = build(name, design, experiment, offset)
        designs.append(points)
        offset += points.n
    return Plan(experiment, designs)
