"""The targets file (``calibration/targets.yaml``): stylized facts as patterns with bands.

A pattern is an indicator of INTERFACE.md — or the ratio of two (``divide_by``) — with a target
value, an acceptance band, its source in the paper and its role: ``calibrate`` (fitted),
``input`` (a fitted input: a parameter solved from the pattern's own equation outside the joint
fit, checked but no evidence for the behaviour; ECONOMICS.md §E) or ``validate`` (held back).
Unknown indicators, bands that do not contain their target or are reversed, and duplicate names
are errors naming the file and field.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from village_sim.metrics.indicators import INDICATOR_NAMES
from village_sim.scenario.errors import ScenarioError
from village_sim.scenario.yaml_read import read_yaml

DEFAULT_TARGETS = Path(__file__).resolve().parents[2] / "calibration" / "targets.yaml"


class Pattern(BaseModel):
    """One stylized fact."""

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)

    name: str = Field(min_length=1)
    indicator: str
    divide_by: str | None = None
    target: float
    band: tuple[float, float]
    source: str = Field(min_length=1)
    role: Literal["calibrate", "input", "validate"]

    @field_validator("indicator", "divide_by")
    @classmethod
    def _known(cls, name: str | None) -> str | None:
        if name is not None and name not in INDICATOR_NAMES:
            raise ValueError(f"unknown indicator '{name}'; expected one of INTERFACE.md's names")
        return name

    @model_validator(mode="after")
    def _band(self) -> Pattern:
        low, high = self.band
        if low > high:
            raise ValueError(f"band [{low}, {high}] is reversed; expected [low, high]")
        if not low <= self.target <= high:
            raise ValueError(f"target {self.target} lies outside its band [{low}, {high}]")
        return self

    def value(self, indicators: dict[str, float | None]) -> float | None:
        """The pattern's statistic from one run's indicators (None when undefined)."""
        x = indicators.get(self.indicator)
        if x is None:
            return None
        if self.divide_by is None:
            return float(x)
        d = indicators.get(self.divide_by)
        return None if d in (None, 0) else float(x) / float(d)


class Targets(BaseModel):
    """The whole targets file."""

    model_config = ConfigDict(extra="forbid")

    patterns: list[Pattern] = Field(min_length=1)

    @model_validator(mode="after")
    def _unique(self) -> Targets:
        names = [p.name for p in self.patterns]
        dupes = sorted(n for n, k in Counter(names).items() if k > 1)
        if dupes:
            raise ValueError(f"pattern names must be unique; repeated: {', '.join(dupes)}")
        return self

    def role(self, role: str) -> list[Pattern]:
        """Patterns with a role."""
        return [p for p in self.patterns if p.role == role]


def load_targets(path: str | Path | None = None) -> Targets:
    """Read and validate a targets file (default: the repository's ``calibration/targets.yaml``).

    Raises:
        ScenarioError: Naming the file, the field path and what was expected.
    """
    path = Path(path) if path is not None else DEFAULT_TARGETS
    if not path.is_file():
        raise ScenarioError([("", "targets file not found")], str(path))
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ScenarioError([("", f"cannot read the targets file: {exc}")], str(path)) from None
    data, lines = read_yaml(text, str(path))
    try:
        return Targets.model_validate(data)
    except ValidationError as exc:
        problems = [
            (".".join(str(p) for p in e["loc"]), str(e["msg"]).removeprefix("Value error, "))
            for e in exc.errors(include_url=False)
        ]
        raise ScenarioError(problems, str(path), lines) from None
