"""The calibration file (``calibration/config.yaml``): free parameters, priors, budget, acceptance.

A calibration names the base scenario, the targets file (whose ``calibrate`` patterns are fitted;
``validate`` patterns are only reported), the free parameters with their prior ranges and the
provenance of each range, the search design (a Latin hypercube over the priors), replicates with
common random numbers, the acceptance rule and the verification runs. Problems are raised as
:class:`~village_sim.scenario.errors.ScenarioError` naming the file, the line and the field path,
which the CLI prints before exiting with code 2.

Example::

    name: toy
    scenario: ../scenarios/baseline.yaml   # relative to this file
    targets: targets.yaml                  # relative to this file
    overrides: {world.county.villages: 4}  # every run of the search
    replicates: 2
    seed: 1
    parameters:
      b_scale:
        path: streaming.b_scale_mbps
        prior: [5, 40]
        provenance: assumed
    search: {samples: 40}
    acceptance: {fraction: 0.1, min_accepted: 4}
    verify: {replicates: 0}
"""

from __future__ import annotations

import hashlib
from collections import Counter
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from village_sim.metrics.targets import load_targets
from village_sim.run import load_scenario
from village_sim.scenario.errors import ScenarioError
from village_sim.scenario.yaml_read import read_yaml


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)


class FreeParameter(_Strict):
    """A free parameter: a scenario field searched over a uniform prior range.

    Attributes:
        path: Dotted scenario path (``streaming.b_scale_mbps``).
        prior: ``[low, high]`` of the uniform prior.
        integer: Round sampled values to integers (integer fields).
        provenance: Where the prior range comes from (``PARAMETERS.md §1 ...`` or ``assumed``).
        description: What the parameter does, for the report.
    """

    path: str = Field(min_length=1)
    prior: tuple[float, float]
    integer: bool = False
    provenance: str = Field(min_length=1)
    description: str = ""

    @field_validator("prior")
    @classmethod
    def _ordered(cls, prior: tuple[float, float]) -> tuple[float, float]:
        low, high = prior
        if not low < high:
            raise ValueError(f"expected [low, high] with low < high, got [{low}, {high}]")
        return prior


class SearchSpec(_Strict):
    """The search design: a Latin hypercube sample of the priors (SALib ``latin``)."""

    type: str = Field("lhs", pattern="^lhs$")
    samples: int = Field(ge=2, description="Design points (parameter sets).")


class AcceptanceSpec(_Strict):
    """Rejection ABC with a quantile tolerance: accept the points of smallest distance.

    Attributes:
        fraction: Share of design points accepted (the tolerance is that quantile of distances).
        min_accepted: Accept at least this many points.
        identified_ratio: A parameter is *identified* when the accepted 90 % interval is narrower
            than this share of the prior's 90 % interval.
        adjustment: ``regression`` (default): the accepted values are corrected by a weighted
            local-linear regression of each parameter on the patterns' deviations (Beaumont et
            al. 2002), which removes most of the tolerance's blur when there are several
            parameters; ``none``: plain rejection.
    """

    fraction: float = Field(0.1, gt=0, le=1)
    min_accepted: int = Field(5, ge=1)
    identified_ratio: float = Field(0.5, gt=0, le=1)
    adjustment: Literal["none", "regression"] = "regression"


class VerifySpec(_Strict):
    """Runs of the point estimate (and of the defaults) to check every pattern, out of the search.

    Attributes:
        replicates: Seeds per alternative (0: no verification).
        seed: Root seed, different from the search's (fresh random numbers).
        overrides: Scenario overrides of the verification runs (default: none, the full scenario;
            the search's ``overrides`` are *not* applied).
    """

    replicates: int = Field(5, ge=0)
    seed: int = Field(1, ge=0)
    overrides: dict[str, Any] = Field(default_factory=dict)


class CalibrationSpec(_Strict):
    """A calibration file (see the module docstring)."""

    name: str = Field(min_length=1, pattern=r"^[A-Za-z0-9_.-]+$")
    description: str = ""
    scenario: str = Field(min_length=1)
    targets: str = Field(min_length=1)
    overrides: dict[str, Any] = Field(default_factory=dict)
    steps: int | None = Field(None, ge=1)
    replicates: int = Field(2, ge=1)
    seed: int = Field(0, ge=0)
    parameters: dict[str, FreeParameter] = Field(min_length=1)
    search: SearchSpec
    acceptance: AcceptanceSpec = Field(default_factory=AcceptanceSpec)
    verify: VerifySpec = Field(default_factory=VerifySpec)

    @field_validator("parameters")
    @classmethod
    def _names(cls, parameters: dict[str, FreeParameter]) -> dict[str, FreeParameter]:
        import re

        for name in parameters:
            if not re.match(r"^[A-Za-z_][A-Za-z0-9_]*$", name):
                raise ValueError(
                    f"parameter name '{name}': expected letters, digits and "
                    "underscores, not starting with a digit"
                )
        paths = [p.path for p in parameters.values()]
        dupes = sorted(p for p, k in Counter(paths).items() if k > 1)
        if dupes:
            raise ValueError(
                f"a scenario path may be calibrated once; repeated: {', '.join(dupes)}"
            )
        return parameters


class CalibrationConfig:
    """A validated calibration file.

    Attributes:
        spec: The parsed file.
        source: Its path.
        text: Its text.
        sha256: Hash of its bytes (``--resume`` refuses a changed file).
    """

    def __init__(self, spec: CalibrationSpec, source: Path, text: str, sha256: str) -> None:
        self.spec = spec
        self.source = source
        self.text = text
        self.sha256 = sha256

    def resolve(self, relative: str) -> Path:
        """A path from the file, made absolute against the file's folder."""
        path = Path(relative).expanduser()
        return path if path.is_absolute() else (self.source.resolve().parent / path)

    @property
    def scenario_path(self) -> Path:
        """The base scenario file."""
        return self.resolve(self.spec.scenario)

    @property
    def targets_path(self) -> Path:
        """The targets file."""
        return self.resolve(self.spec.targets)


def load_config(path: str | Path, probe: bool = True) -> CalibrationConfig:
    """Read and validate a calibration file.

    Args:
        path: The YAML file.
        probe: Also check the files it names, the targets, and every parameter path at both ends of
            its prior against the scenario.

    Raises:
        ScenarioError: Naming the file, the line and the field path of each problem.
    """
    source = Path(path)
    where = str(source)
    if not source.is_file():
        raise ScenarioError([("", "calibration file not found; expected a YAML file")], where)
    raw = source.read_bytes()
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ScenarioError([("", f"not UTF-8 text (byte {exc.start})")], where) from None
    data, lines = read_yaml(text, where)
    if not isinstance(data, dict):
        raise ScenarioError([("", "expected a mapping (name:, scenario:, parameters: ...)")], where)
    try:
        spec = CalibrationSpec.model_validate(data)
    except ValidationError as exc:
        problems = [
            (".".join(str(p) for p in e["loc"]), str(e["msg"]).removeprefix("Value error, "))
            for e in exc.errors(include_url=False)
        ]
        raise ScenarioError(problems, where, lines) from None
    config = CalibrationConfig(spec, source, text, hashlib.sha256(raw).hexdigest())
    if probe:
        _probe(config, lines)
    return config


def _probe(config: CalibrationConfig, lines: dict[str, int]) -> None:

    where = str(config.source)
    spec = config.spec
    problems: list[tuple[str, str]] = []
    if not config.scenario_path.is_file():
        problems.append(
            (
                "scenario",
                f"scenario file not found: {spec.scenario} (paths are "
                "relative to the calibration file)",
            )
        )
    if not config.targets_path.is_file():
        problems.append(("targets", f"targets file not found: {spec.targets}"))
    if problems:
        raise ScenarioError(problems, where, lines)
    targets = load_targets(config.targets_path)
    if not targets.role("calibrate"):
        problems.append(("targets", "the targets file has no pattern with role: calibrate"))
    common = dict(spec.overrides)
    if spec.steps is not None:
        common["steps"] = spec.steps
    try:
        load_scenario(config.scenario_path, overrides=common)
    except ScenarioError as exc:
        problems += [(f"overrides{'.' + p if p else ''}", m) for p, m in exc.problems]
    for name, par in spec.parameters.items():
        for end, value in zip(("low", "high"), par.prior, strict=True):
            value = round(value) if par.integer else value
            try:
                load_scenario(config.scenario_path, overrides={**common, par.path: value})
            except ScenarioError as exc:
                msg = "; ".join(m for _, m in exc.problems)
                problems.append((f"parameters.{name}.prior", f"{end} end {value}: {msg}"))
                break
    if problems:
        raise ScenarioError(problems, where, lines)
