"""What every design generator returns: a fixed, ordered set of design points, and the plan.

Data flows one way: the experiment file's schema (:mod:`village_sim.batch.experiment`) is read here;
the experiment module never imports the designs.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from village_sim.batch.experiment import Experiment, FactorSpec


@dataclass(frozen=True)
class Point:
    """One design point.

    Attributes:
        index: Global index over all designs of the experiment (0-based).
        design: Name of the design it belongs to.
        values: Factor name -> value (a ``paths`` design: ``{"path": name}``).
        scenario: The scenario file it modifies.
        overrides: Scenario path -> value: the experiment's overrides, then the point's.
        stream: The index its run seeds derive from (default: ``index``); the points of one
            sampled world of a discovery design share it, so every path there sees the same seeds.
    """

    index: int
    design: str
    values: dict[str, Any]
    scenario: Path
    overrides: dict[str, Any]
    stream: int | None = None

    @property
    def seed_index(self) -> int:
        """The index the run seeds of this point derive from."""
        return self.index if self.stream is None else self.stream


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
        stream: Local index -> the index its run seeds derive from (default: the point's own).
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
    stream: Callable[[int], int] | None = None

    def point(self, i: int) -> Point:
        """The i-th point (local index) with its scenario overrides."""
        if not 0 <= i < self.n:
            raise IndexError(f"design {self.name!r} has {self.n} points, asked for {i}")
        scenario, own = self.locate(i)
        overrides = {**self.experiment.common_overrides(), **own}
        stream = None if self.stream is None else self.stream(i)
        return Point(self.offset + i, self.name, self.values(i), scenario, overrides, stream)


@dataclass
class Plan:
    """The design points of an experiment; generated lazily, in a fixed order."""

    experiment: Experiment
    designs: list[DesignPoints]

    @property
    def n_points(self) -> int:
        """Design points over all designs."""
        return sum(d.n for d in self.designs)

    @property
    def n_runs(self) -> int:
        """Runs: points times replicates."""
        return self.n_points * self.experiment.spec.replicates

    def points(self) -> Iterator[Point]:
        """Every design point, design by design."""
        for design in self.designs:
            for i in range(design.n):
                yield design.point(i)

    def factor_columns(self) -> list[str]:
        """Every factor name used by some design, in the file's order (``path`` for paths)."""
        names: list[str] = []
        for design in self.designs:
            for name in design.factors:
                if name not in names:
                    names.append(name)
        return names


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
    if not (base is not None):
        raise RuntimeError("internal error: expected base is not None")

    def values(i: int) -> dict[str, Any]:
        return sample_values(sample, i, names, factors)

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


def sample_values(
    sample: np.ndarray, i: int, names: list[str], factors: dict[str, FactorSpec]
) -> dict[str, Any]:
    """Factor values of row ``i`` of a sample matrix (integer factors rounded into their range)."""
    out: dict[str, Any] = {}
    for j, fname in enumerate(names):
        x = float(sample[i, j])
        if factors[fname].integer:
            lo, hi = factors[fname].bounds()
            out[fname] = int(min(max(round(x), lo), hi))
        else:
            out[fname] = x
    return out


def sampler_seed(design: Any, experiment: Experiment) -> int:
    """The sampler's seed: the design's own, else the experiment's root seed."""
    return int(design.seed) if design.seed is not None else int(experiment.spec.seed)
