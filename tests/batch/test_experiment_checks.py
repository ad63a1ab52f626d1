"""Experiment files: two factors of a design on the same scenario field (however spelled) are
refused, an experiment without a design exits 2, ``2e6`` levels are numbers."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from conftest import REPO, call_cli

from village_sim.batch.design import plan
from village_sim.batch.experiment import load_experiment
from village_sim.scenario.errors import ScenarioError

HEAD = "name: e\nscenario: talent.yaml\nsteps: 2\nfactors:\n"


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    for name in ("talent.yaml", "baseline.yaml"):
        shutil.copy(REPO / "scenarios" / name, tmp_path / name)
    return tmp_path


def _factor(name: str, path: str, levels: str = "[1, 2]") -> str:
    return f"  {name}:\n    path: {path}\n    levels: {levels}\n"


SAME_FIELD = [
    ("policies.rural_talent.budget_yuan", "policies.0.budget_yuan"),
    (
        "policies.rural_talent.measures.training.seats_per_year",
        "policies.rural_talent.training.seats_per_year",
    ),
    ("policies.0.training.seats_per_year", "policies.rural_talent.measures.training"),
    ("steps", "steps"),
]


@pytest.mark.parametrize(("first", "second"), SAME_FIELD)
def test_two_factors_on_the_same_field_are_refused(folder: Path, first: str, second: str) -> None:
    levels = "[{seats_per_year: 5}]" if second.endswith("measures.training") else "[1, 2]"
    text = HEAD + _factor("a", first) + _factor("b", second, levels) + "design: {type: grid}\n"
    path = folder / "e.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ScenarioError) as info:
        load_experiment(path)
    assert [p for p, _ in info.value.problems] == ["factors.b.path"]
    assert "same scenario field as factor 'a'" in info.value.problems[0][1]
    assert f"{path}:9:" in str(info.value)  # the line of factors.b.path
    result = call_cli(["batch", path, "--dry-run"])
    assert result.code == 2 and "Traceback" not in result.err


def test_same_field_in_different_designs_is_fine(folder: Path) -> None:
    text = (
        HEAD
        + _factor("a", "policies.rural_talent.budget_yuan")
        + _factor("b", "policies.0.budget_yuan")
        + "designs:\n  one: {type: grid, factors: [a]}\n  two: {type: grid, factors: [b]}\n"
    )
    path = folder / "e.yaml"
    path.write_text(text, encoding="utf-8")
    assert plan(load_experiment(path)).n_runs == 4


def test_different_fields_of_one_policy_are_fine(folder: Path) -> None:
    text = (
        HEAD
        + _factor("a", "policies.rural_talent.budget_yuan", "[1000, 2000]")
        + _factor("b", "policies.rural_talent.training.seats_per_year")
        + "design: {type: grid}\n"
    )
    path = folder / "e.yaml"
    path.write_text(text, encoding="utf-8")
    assert plan(load_experiment(path)).n_runs == 4


def test_an_experiment_without_a_design_exits_2(folder: Path) -> None:
    path = folder / "e.yaml"
    path.write_text(HEAD + _factor("a", "policies.0.budget_yuan"), encoding="utf-8")
    result = call_cli(["batch", path, "--dry-run"])
    assert result.code == 2, result.err
    assert "Traceback" not in result.err and "design" in result.err


def test_exponent_levels_are_numbers(folder: Path) -> None:
    text = HEAD + _factor("a", "policies.0.budget_yuan", "[2e6, 3e6]") + "design: {type: grid}\n"
    path = folder / "e.yaml"
    path.write_text(text, encoding="utf-8")
    levels = load_experiment(path).spec.factors["a"].levels
    assert levels == [2e6, 3e6] and all(isinstance(v, float) for v in levels)
