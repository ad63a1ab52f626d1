"""What every design generator returns: a fixed, ordered set of design points."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from village_sim.batch.experiment import Point

if TYPE_CHECKING:
    from village_sim.batch.experiment import Experiment, FactorSpec


@dataclass
class DesignPoints:
    """The points of one design, produced on demand (``point(i)``) in a fixed order.

    Attributes:
        name: The design's name.
        type: ``grid``, ``paths``, ``lhs``, ``sobol`` or ``morris``.
        factors: The factors it varies, in order (``["path"]`` for a paths design).
        n: Number of points.
        offset: Global index of the first point.
        values: Local index -> factor values.
        locate: Local index -> ``(scenario file, point overrides)``.
        sample: A sampled design's raw sample (``n × k``, before integer rounding), which the
            matching analysis needs.
        problem: The SALib problem (names, bounds) of a sampled design.
        settings: The design's parameters as written.
    """

    name: str
    type: str
    factors: list[str]
    n: int
    offset: int
    values: Callable[[int], dict[str, Any]]
    locate: Callable[[int], tuple[Path, dict[str, Any]]]
    experiment: Experiment
    sample: np.ndarray | None = None
    problem: dict[str, Any] | None = None
    settings: dict[str, Any] = field(default_factory=dict)

    def point(self, i: int) -> Point:
        """The i-th point (local index) with its scenario overrides."""
        if not 0 <= i < self.n:
            raise IndexError(f"design {self.name!r} has {self.n} points, asked for {i}")
        scenario, own = self.locate(i)
        overrides = {**self.experiment.common_overrides(), **own}
        return Point(self.offset + i, self.name, self.values(i), scenario, overrides)


def salib_problem(names: list[str], factors: dict[str, FactorSpec], widen_integers: bool) -> dict:
    """The SALib problem for ranges; integer ranges widened by half a unit when ``widen_integers``.

    Widening makes each integer of ``[min, max]`` equally likely once sampled values are rounded.
    """
    bounds = []
    for name in names:
        lo, hi = factors[name].bounds()
        if widen_integers and factors[name].integer:
            lo, hi = lo - 0.5 + 1e-9, hi + 0.5 - 1e-9
        bounds.append([lo, hi])
    return {"num_vars": len(names), "names": list(names), "bounds": bounds}


def sampled(
    name: str,
    kind: str,
    names: list[str],
    sample: np.ndarray,
    problem: dict,
    experiment: Experiment,
    offset: int,
    settings: dict[str, Any],
) -> DesignPoints:
    """Design points from a sample matrix over factor ranges (rounding integer factors)."""
    factors = experiment.spec.factors
    base = experiment.base_scenario()
    assert base is not None

    def values(i: int) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for j, fname in enumerate(names):
            x = float(sample[i, j])
            if factors[fname].integer:
                lo, hi = factors[fname].bounds()
                out[fname] = int(min(max(round(x), lo), hi))
            else:
                out[fname] = x
        return out

    def locate(i: int) -> tuple[Path, dict[str, Any]]:
        return base, {factors[f].path: v for f, v in values(i).items()}

    return DesignPoints(
        name,
        kind,
        list(names),
        int(sample.shape[0]),
        offset,
        values,
        locate,
        experiment,
        sample=sample,
        problem=problem,
        settings=settings,
    )


def sampler_seed(design: Any, experiment: Experiment) -> int:
    """The sampler's seed: the design's own, else the experiment's root seed."""
    return int(design.seed) if design.seed is not None else int(experiment.spec.seed)
