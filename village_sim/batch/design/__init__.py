"""Design generators, one module per method (as SALib's ``sample``): each yields design points.

:func:`build` dispatches on the design's ``type``; every generator returns a
:class:`~village_sim.batch.design.base.DesignPoints` whose points are produced on demand.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from village_sim.batch.design.base import DesignPoints

if TYPE_CHECKING:
    from village_sim.batch.experiment import Experiment

__all__ = ["DesignPoints", "build"]


def build(name: str, design: Any, experiment: Experiment, offset: int = 0) -> DesignPoints:
    """The design points of one design of an experiment.

    Args:
        name: The design's name.
        design: Its spec (``GridDesign``, ``LhsDesign``, ``SobolDesign``, ``MorrisDesign`` or
            ``PathsDesign``).
        experiment: The experiment it belongs to.
        offset: Global index of its first point.

    Returns:
        The design points.
    """
    from village_sim.batch.design import grid, lhs, morris, paths, sobol

    builders = {
        "grid": grid.build,
        "paths": paths.build,
        "lhs": lhs.build,
        "sobol": sobol.build,
        "morris": morris.build,
    }
    return builders[design.type](name, design, experiment, offset)
