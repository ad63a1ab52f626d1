"""Fuzzing the input files through the command line: generated experiment files and scenario files
(with aliases, duplicate keys, huge and tiny numbers, deep nesting) never give a traceback, never
take more than a few seconds to be refused or accepted, and never leave a folder behind."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest
import yaml
from conftest import SMALL_SCENARIO, call_cli
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

SETTINGS = settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))
LIMIT_S = 5.0

FIELD_PATHS = [
    "steps",
    "population.youth",
    "population.farmer_households",
    "training.seats_per_year",
    "training.crash_share",
    "world.weather_yield_sd",
    "world.county.villages",
    "policies.0.budget_yuan",
    "policies.t.budget_yuan",
    "policies.t.training.seats_per_year",
    "policies.t.measures.training.seats_per_year",
    "policies.t.measures.training",
    "policies.t",
    "nope.nothing",
    "",
]
numbers = st.one_of(
    st.integers(-5, 10**13),
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from([0, 1, 2, 1e-320, 1e308, 2**70, "2e6", "x", None, True]),
)
levels = st.one_of(
    st.lists(numbers, min_size=0, max_size=4),
    st.just([{"seats_per_year": 3}]),
    numbers,
)


@st.composite
def factor(draw: st.DrawFn) -> dict[str, Any]:
    out: dict[str, Any] = {"path": draw(st.sampled_from(FIELD_PATHS))}
    if draw(st.booleans()):
        out["levels"] = draw(levels)
    else:
        out["min"], out["max"] = draw(numbers), draw(numbers)
        if draw(st.booleans()):
            out["integer"] = draw(st.booleans())
    return out


@st.composite
def experiment(draw: st.DrawFn) -> dict[str, Any]:
    names = draw(st.lists(st.sampled_from(["a", "b", "seats", "point", "9x"]), max_size=3))
    data: dict[str, Any] = {
        "name": draw(st.sampled_from(["e", "", "x y"])),
        "scenario": draw(st.sampled_from(["s.yaml", "missing.yaml", "."])),
        "factors": {n: draw(factor()) for n in names},
    }
    if draw(st.booleans()):
        data["steps"] = draw(st.sampled_from([1, 2, 0, -1, "x"]))
    if draw(st.booleans()):
        data["replicates"] = draw(st.sampled_from([1, 2, 0, 10**9]))
    kind = draw(st.sampled_from(["grid", "lhs", "sobol", "morris", "paths", "bogus", None]))
    if kind is not None:
        design: dict[str, Any] = {"type": kind}
        if kind in ("lhs", "sobol", "morris"):
            design["samples"] = draw(st.sampled_from([1, 2, 3, 4, 10**9]))
        if kind == "paths":
            design["paths"] = {"p": {"overrides": {draw(st.sampled_from(FIELD_PATHS)): 1}}}
        data["design"] = design
    return data


TRICKS = [
    "",  # as it is
    "x: &a [1, 2]\ny: *a\n",  # an alias
    "name: again\n",  # a duplicate key
    "deep: " + "[" * 80 + "]" * 80 + "\n",
]


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("fuzz")
    scenario = {**SMALL_SCENARIO, "steps": 2}
    scenario["policies"] = [{"name": "t", "path": "talent", "budget_yuan": 1000}]
    (folder / "s.yaml").write_text(yaml.safe_dump(scenario, sort_keys=False), encoding="utf-8")
    return folder


def _check(folder: Path, argv: list[Any]) -> None:
    before = {p.name for p in folder.iterdir()}
    started = time.perf_counter()
    result = call_cli(argv)
    assert time.perf_counter() - started < LIMIT_S, argv
    assert "Traceback" not in result.err, result.err
    assert result.code in (0, 2), (result.code, result.err)
    assert {p.name for p in folder.iterdir()} == before  # nothing left behind


@SETTINGS
@given(data=experiment(), trick=st.sampled_from(TRICKS))
def test_generated_experiments_dry_run_without_traceback(
    folder: Path, data: dict[str, Any], trick: str
) -> None:
    path = folder / "e.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False) + trick, encoding="utf-8")
    _check(folder, ["batch", path, "--dry-run"])


@SETTINGS
@given(
    field=st.sampled_from(FIELD_PATHS[:-2]),
    value=numbers,
    trick=st.sampled_from(TRICKS),
)
def test_generated_scenarios_are_refused_or_run_and_leave_nothing(
    folder: Path, field: str, value: Any, trick: str
) -> None:
    data = yaml.safe_load((folder / "s.yaml").read_text(encoding="utf-8"))
    text = yaml.safe_dump(data, sort_keys=False) + trick
    path = folder / "case.yaml"
    path.write_text(text, encoding="utf-8")
    argv = ["validate", path, "--set", f"{field}={yaml.safe_dump(value).splitlines()[0]}"]
    _check(folder, argv)
    if trick:  # refused before anything runs: a run must leave no folder either
        _check(folder, ["run", path, "--out", folder / "out"])
