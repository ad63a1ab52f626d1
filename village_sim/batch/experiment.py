"""Experiment files (``experiments/*.yaml``): a base scenario, factors, designs, replicates, seeds.

An experiment file is validated in two stages, both before any run starts:

1. the schema (:class:`ExperimentSpec`, pydantic, unknown keys rejected at every level) and the
   cross-field rules (every factor a design uses has what that design needs, names are unique ...);
2. the factor paths and values against the scenario they modify: each factor path is applied with
   probe values (each grid level; a range's bounds) through :func:`village_sim.load_scenario`, so an
   unknown path or an invalid value is reported before anything runs.

Problems are raised as :class:`~village_sim.scenario.errors.ScenarioError` naming the experiment
file, the line and the field path (``factors.seats.levels``), which the CLI prints before exiting
with code 2. A combination of individually valid values can still be invalid (``start_week`` beyond
``end_week``); such a design point is recorded as a failed run when its turn comes, and the others go
on.

Example::

    name: talent_sweep
    scenario: ../scenarios/talent.yaml      # relative to this file
    overrides: {population.farmer_households: 800}
    steps: 104
    replicates: 3
    seed: 20251128                          # root seed; run seeds come from SeedSequence spawning
    seeds: common                           # or independent
    factors:
      seats:
        path: policies.rural_talent.measures.training.seats_per_year
        levels: [0, 40, 80, 160]
    design: {type: grid}
    keep: {indicators: [anchor_retention_52w, gmv], timeseries: [active_anchors]}
"""

from __future__ import annotations

import copy
import hashlib
import math
import re
import types
import typing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from village_sim.metrics.indicators import INDICATOR_NAMES
from village_sim.run import load_scenario
from village_sim.scenario.errors import ScenarioError, expected_one_of
from village_sim.scenario.overrides import set_path
from village_sim.scenario.yaml_read import read_yaml

DESIGN_TYPES = ("grid", "paths", "lhs", "sobol", "morris", "discovery")
SAMPLED_TYPES = ("lhs", "sobol", "morris", "discovery")
FACTOR_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
RESERVED_NAMES = frozenset(
    {
        "point",
        "replicate",
        "design",
        "run_key",
        "seed",
        "status",
        "wall_time_s",
        "error",
        "worker",
        "session",
        "finished_at",
        "indicator",
        "value",
        "week",
        "series",
        "path",
        "world",
        "reused",
    }
)
"""Column names of the ``runs`` table that a factor may not take."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


# ------------------------------------------------------------------------------------------------
# Schema
# ------------------------------------------------------------------------------------------------
class FactorSpec(_Strict):
    """A factor: a scenario field (by dotted path) varied over levels or a range.

    Attributes:
        path: Dotted scenario path; policies by name
            (``policies.rural_talent.measures.training.seats_per_year``).
        levels: Values for a grid design (any YAML values, distinct, at least one).
        min: Lower bound for sampled designs (Latin hypercube, Sobol, Morris).
        max: Upper bound for sampled designs; above ``min``.
        integer: Round sampled values to integers (for integer fields such as seat counts).
        unit: Unit for plot labels (default: the unit the scenario schema declares).
        label: Axis label (default: the factor name).
    """

    path: str = Field(min_length=1)
    levels: list[Any] | None = None
    min: float | None = None
    max: float | None = None
    integer: bool = False
    unit: str | None = None
    label: str | None = None

    def has_range(self) -> bool:
        """Whether ``min`` and ``max`` are both given."""
        return self.min is not None and self.max is not None

    def bounds(self) -> tuple[float, float]:
        """``(min, max)`` of a range factor."""
        if not (self.min is not None and self.max is not None):
            raise RuntimeError(
                "internal error: expected self.min is not None and self.max is not None"
            )
        return float(self.min), float(self.max)

    def probe_values(self) -> list[tuple[str, Any]]:
        """``(field, value)`` pairs to check: every level, and a range's bounds."""
        out: list[tuple[str, Any]] = []
        for i, level in enumerate(self.levels or []):
            out.append((f"levels.{i}", level))
        if self.has_range():
            lo, hi = self.bounds()
            out.append(("min", round(lo) if self.integer else lo))
            out.append(("max", round(hi) if self.integer else hi))
        return out


class _DesignBase(_Strict):
    factors: list[str] | None = Field(
        None, description="The experiment's factors this design varies (default: all)."
    )


class GridDesign(_DesignBase):
    """Full factorial grid over every factor's ``levels``."""

    type: Literal["grid"]


class LhsDesign(_DesignBase):
    """Latin hypercube sample of ``samples`` points over the factors' ranges (SALib ``latin``)."""

    type: Literal["lhs"]
    samples: int = Field(ge=2)
    seed: int | None = Field(None, ge=0, description="Sampler seed (default: the root seed).")


class SobolDesign(_DesignBase):
    """Saltelli/Sobol sample for Sobol indices: ``samples·(k+2)`` points (``(2k+2)`` with S2)."""

    type: Literal["sobol"]
    samples: int = Field(ge=2, description="Base sample size N, a power of two.")
    second_order: bool = False
    seed: int | None = Field(None, ge=0)
    resamples: int = Field(1000, ge=10, description="Bootstrap resamples for the intervals.")
    conf_level: float = Field(0.95, gt=0, lt=1)


class MorrisDesign(_DesignBase):
    """Morris elementary-effects screen: ``trajectories·(k+1)`` points on a ``levels`` grid."""

    type: Literal["morris"]
    trajectories: int = Field(ge=2)
    levels: int = Field(4, ge=2, description="Grid levels p (even).")
    seed: int | None = Field(None, ge=0)
    resamples: int = Field(1000, ge=10)
    conf_level: float = Field(0.95, gt=0, lt=1)


class PathSpec(_Strict):
    """One alternative of a ``paths`` design: a scenario file and/or overrides."""

    scenario: str | None = Field(None, description="Scenario file, relative to the experiment.")
    overrides: dict[str, Any] = Field(default_factory=dict)
    description: str = ""


class PathsDesign(_Strict):
    """Named alternatives (governance paths) compared side by side with the same seeds."""

    type: Literal["paths"]
    paths: dict[str, PathSpec] = Field(min_length=1)

    @field_validator("paths", mode="before")
    @classmethod
    def _shorthand(cls, value: Any) -> Any:
        """``NAME: file.yaml`` is short for ``NAME: {scenario: file.yaml}``."""
        if isinstance(value, dict):
            return {k: ({"scenario": v} if isinstance(v, str) else v) for k, v in value.items()}
        return value


class CaseSpec(_Strict):
    """A case of interest of a discovery design: a condition on a path's indicator or effect.

    The effect is the path's paired difference to the baseline in the same sampled world; both are
    means over the world's replicates.

    Attributes:
        indicator: The indicator the condition is on.
        path: The path whose runs are judged (default: the baseline).
        effect: Judge ``path − baseline`` in the same world (paired over replicates) instead of
            the path's own value.
        lt: The case holds when the value is below this.
        le: ... at most this.
        gt: ... above this.
        ge: ... at least this.
        description: What the case means, for the report.
    """

    indicator: str = Field(min_length=1)
    path: str | None = None
    effect: bool = False
    lt: float | None = None
    le: float | None = None
    gt: float | None = None
    ge: float | None = None
    description: str = ""

    def bound(self) -> tuple[str, float]:
        """``(operator, threshold)``: the one comparison given."""
        given = [(op, v) for op, v in self.comparisons() if v is not None]
        if not (len(given) == 1):
            raise RuntimeError("internal error: expected len(given) == 1")
        return given[0][0], float(given[0][1])

    def comparisons(self) -> list[tuple[str, float | None]]:
        """Every comparison key with its value (``None`` when not given)."""
        return [("lt", self.lt), ("le", self.le), ("gt", self.gt), ("ge", self.ge)]


class DiscoveryDesign(_DesignBase):
    """Scenario discovery and robustness: every path in each of ``samples`` sampled worlds.

    The worlds are a Latin hypercube over the factors' ranges; every path (the baseline always
    among them) runs in every world with the same replicate seeds (common random numbers per
    world). The matching analysis (``village-sim discover``) finds the worlds where each case of
    interest holds (PRIM, CART, feature scores) and how robustly each path beats the baseline.
    """

    type: Literal["discovery"]
    samples: int = Field(ge=2, description="Sampled worlds (Latin hypercube).")
    seed: int | None = Field(None, ge=0, description="Sampler seed (default: the root seed).")
    baseline: str = Field("baseline", min_length=1, description="The reference path's name.")
    paths: dict[str, PathSpec] = Field(default_factory=dict)
    cases: dict[str, CaseSpec] = Field(default_factory=dict)
    robustness: dict[str, Literal["higher", "lower"]] = Field(
        default_factory=dict, description="Indicator -> which direction is better."
    )
    min_coverage: float = Field(
        0.5, gt=0, le=1, description="PRIM: the chosen box is the densest with this coverage."
    )
    mass_min: float = Field(0.05, gt=0, lt=1, description="PRIM and CART: smallest box share.")
    peel_alpha: float = Field(0.05, gt=0, lt=0.5, description="PRIM: share peeled per step.")
    max_qp: float | None = Field(
        0.1,
        gt=0,
        le=1,
        description="PRIM: drop the chosen box's restrictions whose quasi-p-values all exceed "
        "this (null: keep every restriction).",
    )

    _shorthand = field_validator("paths", mode="before")(PathsDesign._shorthand.__func__)

    def path_order(self) -> list[str]:
        """The paths in order, the baseline first (added when not listed)."""
        return [self.baseline, *(p for p in self.paths if p != self.baseline)]

    def path_spec(self, name: str) -> PathSpec:
        """A path's spec; the baseline, when not listed, is the experiment's scenario as is."""
        return self.paths.get(name) or PathSpec()


Design = Annotated[
    GridDesign | LhsDesign | SobolDesign | MorrisDesign | PathsDesign | DiscoveryDesign,
    Field(discriminator="type"),
]
DESIGN_CLASSES: dict[str, type[BaseModel]] = {
    "grid": GridDesign,
    "lhs": LhsDesign,
    "sobol": SobolDesign,
    "morris": MorrisDesign,
    "paths": PathsDesign,
    "discovery": DiscoveryDesign,
}


class KeepSpec(_Strict):
    """What each run keeps in the store.

    Attributes:
        indicators: Whole-run indicators (``all``, the default, or a list of names).
        timeseries: Weekly series (a list of indicator names, ``all``, or none by default).
    """

    indicators: list[str] | None = None
    timeseries: list[str] | None = Field(default_factory=list)

    @field_validator("indicators", "timeseries", mode="before")
    @classmethod
    def _all(cls, value: Any) -> Any:
        if value == "all":
            return None
        if isinstance(value, str):
            raise ValueError("expected a list of indicator names or 'all'")
        return value

    def indicator_names(self) -> list[str]:
        """The indicators to keep, in the model's order when ``all``."""
        return list(INDICATOR_NAMES) if self.indicators is None else list(self.indicators)

    def series_names(self) -> list[str]:
        """The weekly series to keep."""
        return list(INDICATOR_NAMES) if self.timeseries is None else list(self.timeseries)


class ExperimentSpec(_Strict):
    """An experiment file (see the module docstring for an example)."""

    name: str = Field(min_length=1)
    description: str = ""
    scenario: str | None = Field(None, description="Base scenario, relative to this file.")
    overrides: dict[str, Any] = Field(
        default_factory=dict, description="Scenario overrides applied to every run."
    )
    steps: int | None = Field(None, ge=1, description="Weeks per run (default: the scenario's).")
    replicates: int = Field(1, ge=1)
    seed: int = Field(0, ge=0, description="Root seed of the experiment.")
    seeds: Literal["common", "independent"] = "common"
    factors: dict[str, FactorSpec] = Field(default_factory=dict)
    design: Design | None = None
    designs: dict[str, Design] | None = None
    keep: KeepSpec = Field(default_factory=KeepSpec)

    def named_designs(self) -> list[tuple[str, Any]]:
        """``(name, design)`` pairs; a single ``design`` is named after its type."""
        if self.designs is not None:
            return list(self.designs.items())
        if self.design is None:
            return []  # neither design: nor designs: (cross_check reports it)
        return [(self.design.type, self.design)]

    def design_factors(self, design: Any) -> list[str]:
        """Names of the factors a design varies (none for ``paths``)."""
        if isinstance(design, PathsDesign):
            return []
        return list(design.factors) if design.factors is not None else list(self.factors)


# ------------------------------------------------------------------------------------------------
# A loaded experiment
# ------------------------------------------------------------------------------------------------
@dataclass
class Experiment:
    """A validated experiment file.

    Attributes:
        spec: The parsed file.
        source: The file's path as given.
        text: The file's text (stored with the results).
        sha256: Hash of the file's bytes (``--resume`` refuses a changed file).
        lines: Dotted field path -> line, for messages.
    """

    spec: ExperimentSpec
    source: Path
    text: str
    sha256: str
    lines: dict[str, int] = field(default_factory=dict)

    @property
    def base_dir(self) -> Path:
        """Folder that relative scenario paths start from."""
        return self.source.resolve().parent

    def resolve_file(self, relative: str) -> Path:
        """A scenario path from the file, made absolute against the experiment's folder."""
        path = Path(relative).expanduser()
        return path if path.is_absolute() else (self.base_dir / path)

    def base_scenario(self) -> Path | None:
        """The base scenario file, if any."""
        return self.resolve_file(self.spec.scenario) if self.spec.scenario else None

    def common_overrides(self) -> dict[str, Any]:
        """Overrides every run gets: the experiment's ``overrides`` and ``steps``."""
        out = dict(self.spec.overrides)
        if self.spec.steps is not None:
            out["steps"] = self.spec.steps
        return out

    def error(self, problems: list[tuple[str, str]]) -> ScenarioError:
        """A :class:`ScenarioError` about this file."""
        return ScenarioError(problems, str(self.source), dict(self.lines))


# ------------------------------------------------------------------------------------------------
# Loading and validation
# ------------------------------------------------------------------------------------------------
def load_experiment(path: str | Path, probe: bool = True) -> Experiment:
    """Read and validate an experiment file.

    Args:
        path: The YAML file.
        probe: Also check every factor path and value against the scenario (loads scenarios).

    Returns:
        The :class:`Experiment`.

    Raises:
        ScenarioError: Naming the file, line and field path of each problem.
    """
    source = Path(path)
    where = str(source)
    if not source.is_file():
        what = "not a file" if source.exists() else "file not found"
        raise ScenarioError([("", f"{what}; expected a YAML experiment file")], where)
    try:
        raw_bytes = source.read_bytes()
        text = raw_bytes.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ScenarioError([("", f"not UTF-8 text (byte {exc.start})")], where) from None
    except OSError as exc:
        raise ScenarioError([("", f"cannot read the file: {exc.strerror or exc}")], where) from None
    data, lines = read_yaml(text, where)
    if not isinstance(data, dict):
        raise ScenarioError(
            [("", "expected a mapping (name:, scenario:, factors:, design: ...)")], where
        )
    spec = parse_spec(data, where, lines)
    experiment = Experiment(spec, source, text, hashlib.sha256(raw_bytes).hexdigest(), lines)
    problems = cross_check(spec)
    problems += _check_files(experiment)
    if problems:
        raise experiment.error(problems)
    if probe:
        probe_scenarios(experiment)
    return experiment


def parse_spec(
    data: dict[str, Any], source: str | None = None, lines: dict[str, int] | None = None
) -> ExperimentSpec:
    """Validate the mapping of an experiment file against the schema."""
    try:
        return ExperimentSpec.model_validate(data)
    except ValidationError as exc:
        raise ScenarioError(_problems(exc), source, lines) from None


def cross_check(spec: ExperimentSpec) -> list[tuple[str, str]]:
    """Rules that span fields: designs need the factors' levels or ranges, names are valid ..."""
    problems: list[tuple[str, str]] = []
    designs_ok = (spec.design is None) != (spec.designs is None)
    if not designs_ok:
        problems.append(
            (
                "design",
                "expected either 'design: {type: ...}' or 'designs: {NAME: "
                "{type: ...}, ...}' (exactly one of them)",
            )
        )
    elif spec.designs is not None and not spec.designs:
        problems.append(("designs", "expected at least one design"))
    for name, factor in spec.factors.items():
        where = f"factors.{name}"
        if not FACTOR_NAME.match(name):
            problems.append(
                (
                    where,
                    "a factor name must be letters, digits and underscores, "
                    "not starting with a digit",
                )
            )
        elif name in RESERVED_NAMES:
            problems.append((where, f"'{name}' is a column of the runs table; choose another name"))
        problems += [(f"{where}.{p}", m) for p, m in _factor_problems(factor)]
    used: set[str] = set()
    all_paths = True
    for dname, design in spec.named_designs() if designs_ok else []:
        where = "design" if spec.design is not None else f"designs.{dname}"
        if spec.designs is not None and not FACTOR_NAME.match(dname):
            problems.append((where, "a design name must be letters, digits and underscores"))
        if isinstance(design, PathsDesign):
            for pname, path in design.paths.items():
                if path.scenario is None and spec.scenario is None:
                    problems.append(
                        (
                            f"{where}.paths.{pname}.scenario",
                            "required: this experiment has no base 'scenario'",
                        )
                    )
            continue
        all_paths = False
        names = spec.design_factors(design)
        if not names:
            problems.append(
                (
                    f"{where}.factors" if design.factors is not None else "factors",
                    f"the {design.type} design needs at least one factor",
                )
            )
        if design.factors is not None and len(set(design.factors)) != len(design.factors):
            problems.append((f"{where}.factors", "factor listed twice"))
        for fname in names:
            used.add(fname)
            factor = spec.factors.get(fname)
            if factor is None:
                problems.append(
                    (
                        f"{where}.factors",
                        f"unknown factor '{fname}'; expected one "
                        f"of: {', '.join(spec.factors) or '(none)'}",
                    )
                )
                continue
            if design.type == "grid" and factor.levels is None:
                problems.append(
                    (
                        f"factors.{fname}.levels",
                        f"required by the grid design '{dname}' (a list of values)",
                    )
                )
            if design.type in SAMPLED_TYPES and not factor.has_range():
                problems.append(
                    (
                        f"factors.{fname}",
                        f"the {design.type} design '{dname}' needs a range: min: and max:",
                    )
                )
        if isinstance(design, DiscoveryDesign):
            problems += _discovery_problems(where, design, spec)
        if isinstance(design, SobolDesign) and (design.samples & (design.samples - 1)):
            problems.append(
                (
                    f"{where}.samples",
                    f"expected a power of two (Sobol sequences), got {design.samples}",
                )
            )
        if isinstance(design, MorrisDesign) and design.levels % 2:
            problems.append(
                (f"{where}.levels", f"expected an even number of levels, got {design.levels}")
            )
    if not all_paths and spec.scenario is None:
        problems.append(("scenario", "required: the base scenario the factors modify"))
    for fname in spec.factors if designs_ok else []:
        if fname not in used:
            problems.append(
                (
                    f"factors.{fname}",
                    "not used by any design (remove it, or list it in a design's factors)",
                )
            )
    for i, name in enumerate(spec.keep.indicators or []):
        if name not in INDICATOR_NAMES:
            problems.append((f"keep.indicators.{i}", f"unknown indicator '{name}'"))
    for i, name in enumerate(spec.keep.timeseries or []):
        if name not in INDICATOR_NAMES:
            problems.append((f"keep.timeseries.{i}", f"unknown weekly series '{name}'"))
    return problems


def _discovery_problems(
    where: str, design: DiscoveryDesign, spec: ExperimentSpec
) -> list[tuple[str, str]]:
    """A discovery design's cases name known paths and kept indicators, with one comparison."""
    problems: list[tuple[str, str]] = []
    paths = design.path_order()
    kept = spec.keep.indicator_names()
    if not design.cases and not design.robustness:
        problems.append(
            (
                f"{where}.cases",
                "expected at least one case of interest (cases: {NAME: {indicator: ..., "
                "lt|le|gt|ge: ...}}) or robustness indicators",
            )
        )
    for name, case in design.cases.items():
        at = f"{where}.cases.{name}"
        if not FACTOR_NAME.match(name):
            problems.append((at, "a case name must be letters, digits and underscores"))
        problems += _indicator_problem(f"{at}.indicator", case.indicator, kept)
        if case.path is not None and case.path not in paths:
            problems.append(
                (f"{at}.path", f"unknown path '{case.path}'; expected one of: {', '.join(paths)}")
            )
        if case.effect and (case.path is None or case.path == design.baseline):
            problems.append(
                (
                    f"{at}.path",
                    "an effect is taken against the baseline: name another path "
                    f"(one of: {', '.join(paths[1:]) or '(none: add paths)'})",
                )
            )
        given = [op for op, v in case.comparisons() if v is not None]
        if len(given) != 1:
            problems.append(
                (
                    at,
                    "expected exactly one comparison: lt, le, gt or ge (got "
                    f"{', '.join(given) or 'none'})",
                )
            )
    for name in design.robustness:
        problems += _indicator_problem(f"{where}.robustness.{name}", name, kept)
    if design.robustness and len(paths) < 2:
        problems.append((f"{where}.paths", "robustness needs a path besides the baseline"))
    return problems


def _indicator_problem(at: str, name: str, kept: list[str]) -> list[tuple[str, str]]:
    if name not in INDICATOR_NAMES:
        return [(at, f"unknown indicator '{name}'")]
    if name not in kept:
        return [(at, f"indicator '{name}' is not kept; add it to keep.indicators")]
    return []


def _factor_problems(factor: FactorSpec) -> list[tuple[str, str]]:
    problems: list[tuple[str, str]] = []
    if factor.levels is not None:
        if not factor.levels:
            problems.append(("levels", "expected a non-empty list of values"))
        seen: set[str] = set()
        for i, level in enumerate(factor.levels):
            text = yaml.safe_dump(level)
            if text in seen:
                problems.append((f"levels.{i}", f"level {level!r} is listed twice"))
            seen.add(text)
    if (factor.min is None) != (factor.max is None):
        missing = "max" if factor.max is None else "min"
        problems.append((missing, "a range needs both min and max"))
    if factor.levels is None and factor.min is None and factor.max is None:
        problems.append(("", "expected levels: [...] (grid) or min: and max: (sampled designs)"))
    if factor.has_range():
        lo, hi = factor.bounds()
        if not (math.isfinite(lo) and math.isfinite(hi)):
            problems.append(("min", "expected finite bounds"))
        elif lo >= hi:
            problems.append(("max", f"expected max above min, got min {lo:g} and max {hi:g}"))
        elif factor.integer and (lo != round(lo) or hi != round(hi)):
            problems.append(("min", "an integer factor needs integer bounds"))
    return problems


def _check_files(experiment: Experiment) -> list[tuple[str, str]]:
    """Scenario files named by the experiment exist."""
    problems = []
    spec = experiment.spec
    named = []
    if spec.scenario:
        named.append(("scenario", spec.scenario))
    for dname, design in spec.named_designs():
        where = "design" if spec.design is not None else f"designs.{dname}"
        if isinstance(design, PathsDesign | DiscoveryDesign):
            for pname, path in design.paths.items():
                if path.scenario:
                    named.append((f"{where}.paths.{pname}.scenario", path.scenario))
    for where, relative in named:
        resolved = experiment.resolve_file(relative)
        if not resolved.is_file():
            problems.append(
                (
                    where,
                    f"scenario file not found: {relative} (looked for "
                    f"{resolved}); paths are relative to the experiment file",
                )
            )
    return problems


# ------------------------------------------------------------------------------------------------
# Probing factor paths and values against the scenario
# ------------------------------------------------------------------------------------------------
_PATH_PROBLEM = re.compile(
    r"unknown field|unknown key|no item named|is a plain value|"
    r"empty name in the field path"
)


def probe_scenarios(experiment: Experiment) -> None:
    """Apply every override, path and factor value to its scenario before any run.

    Raises:
        ScenarioError: Naming the experiment file and field (``factors.NAME.path``,
            ``factors.NAME.levels.2``, ``overrides.KEY`` ...) with the scenario's complaint.
    """
    spec = experiment.spec
    problems: list[tuple[str, str]] = []
    common = experiment.common_overrides()

    def attempt(scenario: Path, overrides: dict[str, Any]) -> tuple[str, str] | None:
        try:
            load_scenario(scenario, overrides=overrides)
        except ScenarioError as exc:
            inner = "; ".join(f"{p or '<top level>'}: {m}" if p else m for p, m in exc.problems)
            return (
                "path" if any(_PATH_PROBLEM.search(m) for _, m in exc.problems) else "value",
                inner,
            )
        return None

    scenarios: list[tuple[str, Path]] = []
    base = experiment.base_scenario()
    if base is not None:
        scenarios.append(("scenario", base))
    for dname, design in spec.named_designs():
        where = "design" if spec.design is not None else f"designs.{dname}"
        if isinstance(design, PathsDesign | DiscoveryDesign):
            for pname, path in design.paths.items():
                file = experiment.resolve_file(path.scenario) if path.scenario else base
                if not (file is not None):
                    raise RuntimeError("internal error: expected file is not None")
                scenarios.append((f"{where}.paths.{pname}", file))
    checked: set[Path] = set()
    for where, file in scenarios:
        if file in checked:
            continue
        checked.add(file)
        failure = attempt(file, {})
        if failure is not None:
            problems.append(
                (
                    where if where == "scenario" else f"{where}.scenario",
                    f"the scenario {_short(file)} is invalid: {failure[1]}",
                )
            )
            continue
        for key, value in spec.overrides.items():
            failure = attempt(file, {key: value})
            if failure is not None:
                problems.append((f"overrides.{key}", f"in {_short(file)}: {failure[1]}"))
        if spec.steps is not None:
            failure = attempt(file, common)
            if failure is not None and not problems:
                problems.append(("overrides", f"in {_short(file)} together: {failure[1]}"))
    if problems:
        raise experiment.error(problems)
    for dname, design in spec.named_designs():
        where = "design" if spec.design is not None else f"designs.{dname}"
        if isinstance(design, PathsDesign | DiscoveryDesign):
            for pname, path in design.paths.items():
                file = experiment.resolve_file(path.scenario) if path.scenario else base
                if not (file is not None):
                    raise RuntimeError("internal error: expected file is not None")
                for key, value in path.overrides.items():
                    failure = attempt(file, {**common, key: value})
                    if failure is not None:
                        problems.append(
                            (
                                f"{where}.paths.{pname}.overrides.{key}",
                                f"in {_short(file)}: {failure[1]}",
                            )
                        )
                if path.overrides and not problems:
                    failure = attempt(file, {**common, **path.overrides})
                    if failure is not None:
                        problems.append(
                            (
                                f"{where}.paths.{pname}.overrides",
                                f"in {_short(file)} together: {failure[1]}",
                            )
                        )
    if not (base is not None or not spec.factors):
        raise RuntimeError("internal error: expected base is not None or not spec.factors")
    for fname, factor in spec.factors.items():
        if not (base is not None):
            raise RuntimeError("internal error: expected base is not None")
        for sub, value in factor.probe_values():
            failure = attempt(base, {**common, factor.path: value})
            if failure is None:
                continue
            kind, message = failure
            if kind == "path":
                problems.append(
                    (
                        f"factors.{fname}.path",
                        f"'{factor.path}' is not a field of {_short(base)}: {message}",
                    )
                )
                break
            problems.append(
                (
                    f"factors.{fname}.{sub}",
                    f"{factor.path} = {value!r} is invalid in {_short(base)}: {message}",
                )
            )
        else:
            if factor.has_range() and not factor.integer:
                lo, hi = factor.bounds()
                inside = lo + (hi - lo) * 0.371
                failure = attempt(base, {**common, factor.path: inside})
                if failure is not None and "integer" in failure[1]:
                    problems.append(
                        (
                            f"factors.{fname}.integer",
                            f"{factor.path} takes integers; add 'integer: true' so "
                            "sampled values are rounded",
                        )
                    )
    if not problems and base is not None:
        problems += _same_field_problems(experiment, load_scenario(base, overrides=common))
    if not problems:
        problems += _probe_discovery_paths(experiment, attempt)
    if problems:
        raise experiment.error(problems)


def _same_field_problems(experiment: Experiment, base: Any) -> list[tuple[str, str]]:
    """Factors of one design that set the same scenario field, however their paths are spelled.

    A policy may be named or numbered, its measures reached with or without ``measures.``; the
    paths are compared as resolved (``policies.0.measures.training.seats_per_year``), and a
    factor on a section clashes with one on a field inside it. Otherwise one factor would
    overwrite the other, whose recorded values were never applied.
    """
    spec = experiment.spec
    data = base.model_dump(mode="json")
    resolved: dict[str, str] = {}
    for fname, factor in spec.factors.items():
        probes = factor.probe_values()
        value = probes[0][1] if probes else None
        try:
            resolved[fname] = set_path(copy.deepcopy(data), factor.path, value)
        except ScenarioError:
            continue  # reported by the probes
    problems: list[tuple[str, str]] = []
    reported: set[tuple[str, str]] = set()
    for _, design in spec.named_designs():
        names = [n for n in spec.design_factors(design) if n in resolved]
        for i, first in enumerate(names):
            for second in names[i + 1 :]:
                a, b = resolved[first], resolved[second]
                if (first, second) in reported or not (
                    a == b or b.startswith(a + ".") or a.startswith(b + ".")
                ):
                    continue
                reported.add((first, second))
                problems.append(
                    (
                        f"factors.{second}.path",
                        f"'{spec.factors[second].path}' sets the same scenario field as factor "
                        f"'{first}' ('{spec.factors[first].path}'): both resolve to "
                        f"{min(a, b, key=len)}, so one would overwrite the other; expected each "
                        "factor of a design on a field of its own",
                    )
                )
    return problems


def _probe_discovery_paths(experiment: Experiment, attempt: Any) -> list[tuple[str, str]]:
    """Every factor's bounds applied to every path of a discovery design (not only the base)."""
    spec = experiment.spec
    base = experiment.base_scenario()
    problems: list[tuple[str, str]] = []
    common = experiment.common_overrides()
    for dname, design in spec.named_designs():
        if not isinstance(design, DiscoveryDesign):
            continue
        where = "design" if spec.design is not None else f"designs.{dname}"
        for pname, path in design.paths.items():
            file = experiment.resolve_file(path.scenario) if path.scenario else base
            if not (file is not None):
                raise RuntimeError("internal error: expected file is not None")
            for fname in spec.design_factors(design):
                factor = spec.factors[fname]
                for sub, value in factor.probe_values():
                    failure = attempt(file, {**common, **path.overrides, factor.path: value})
                    if failure is not None:
                        problems.append(
                            (
                                f"{where}.paths.{pname}",
                                f"factor {fname} ({factor.path} = {value!r}, its {sub}) is "
                                f"invalid in {_short(file)}: {failure[1]}",
                            )
                        )
                        break
    return problems


def _short(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)


def field_unit(scenario: Any, dotted: str) -> str | None:
    """The unit the scenario schema declares for a dotted path (policies by name), if any."""
    node: Any = scenario
    parent: Any = None
    last = ""
    for part in dotted.split("."):
        parent, last = node, part
        if isinstance(node, list):
            match = [item for item in node if getattr(item, "name", None) == part]
            if match:
                node = match[0]
            elif part.isdigit() and int(part) < len(node):
                node = node[int(part)]
            else:
                return None
            continue
        if isinstance(node, BaseModel):
            if part not in type(node).model_fields and hasattr(node, "measures"):
                node = node.measures  # policies.NAME.training... means .measures.training...
                parent = node
            if part not in type(node).model_fields:
                return None
            node = getattr(node, part)
            continue
        if isinstance(node, dict):
            node = node.get(part)
            continue
        return None
    if isinstance(parent, BaseModel):
        info = type(parent).model_fields.get(last)
        extra = info.json_schema_extra if info is not None else None
        if isinstance(extra, dict):
            unit = extra.get("unit")
            return str(unit) if unit else None
    return None


# ------------------------------------------------------------------------------------------------
# Messages
# ------------------------------------------------------------------------------------------------
def _problems(exc: ValidationError) -> list[tuple[str, str]]:
    problems = []
    for err in exc.errors(include_url=False):
        raw = [str(p) for p in err["loc"]]
        loc = _clean_loc(raw)
        path = ".".join(loc)
        kind = err["type"]
        if kind == "extra_forbidden":
            allowed = _allowed_keys(raw[:-1])
            message = f"unknown key '{raw[-1]}'{expected_one_of(raw[-1], allowed)}"
        elif kind == "union_tag_invalid":
            got = err.get("ctx", {}).get("tag")
            message = f"unknown design type '{got}'; expected one of: {', '.join(DESIGN_TYPES)}"
            path = f"{path}.type" if path else "type"
        elif kind == "union_tag_not_found":
            message = f"missing 'type'; expected one of: {', '.join(DESIGN_TYPES)}"
        elif kind == "missing":
            message = "required field is missing"
        elif kind == "value_error":
            message = str(err["msg"]).removeprefix("Value error, ")
        else:
            got = err.get("input")
            shown = "" if isinstance(got, dict | list) else f" (got {got!r})"
            message = f"{err['msg']}{shown}"
        problems.append((path, message))
    return problems


def _clean_loc(raw: list[str]) -> list[str]:
    """Drop the design-type tags pydantic puts in locations (``design.grid.factors``)."""
    out: list[str] = []
    for i, part in enumerate(raw):
        prev = raw[:i]
        in_design = prev[-1:] == ["design"] or (len(prev) >= 2 and prev[-2] == "designs")
        if in_design and part in DESIGN_TYPES:
            continue
        out.append(part)
    return out


def _allowed_keys(raw: list[str]) -> list[str]:
    """Keys allowed in the mapping at a (raw, tagged) location of the schema."""
    annotation: Any = ExperimentSpec
    for part in raw:
        annotation = _step(annotation, part)
        if annotation is None:
            return []
    annotation = _strip(annotation)
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return list(annotation.model_fields)
    return []


def _strip(annotation: Any) -> Any:
    while True:
        origin = typing.get_origin(annotation)
        if origin is Annotated:
            annotation = typing.get_args(annotation)[0]
        elif origin in (typing.Union, types.UnionType):
            args = [a for a in typing.get_args(annotation) if a is not type(None)]
            if len(args) != 1:
                return annotation
            annotation = args[0]
        else:
            return annotation


def _step(annotation: Any, part: str) -> Any:
    annotation = _strip(annotation)
    origin = typing.get_origin(annotation)
    if origin is dict:
        return typing.get_args(annotation)[1]
    if origin is list:
        return typing.get_args(annotation)[0]
    if origin in (typing.Union, types.UnionType):
        return DESIGN_CLASSES.get(part)
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        info = annotation.model_fields.get(part)
        return info.annotation if info is not None else None
    return None
