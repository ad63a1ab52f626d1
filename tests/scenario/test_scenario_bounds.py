"""Values that used to crash a run (exit 1, traceback, or gigabytes of memory) are refused with exit
2 naming the field; the largest accepted ones run. Loading many policies takes linear time."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import annotated_types
import pytest
from conftest import REPO, SMALL_SCENARIO, call_cli, write_yaml
from pydantic import BaseModel

from village_sim import load_scenario, run
from village_sim.scenario.errors import ScenarioError
from village_sim.scenario.load import LARGEST, validate_dict

COMBINED = REPO / "scenarios" / "combined.yaml"

TALENT = {
    "name": "t",
    "path": "talent",
    "start_week": 1,
    "budget_yuan": 100000,
    "measures": {"training": {"seats_per_year": 10}},
}

CRASHED = [
    ("world.weather_yield_sd", "1e308"),
    ("world.weather_quality_sd", "1e308"),
    ("policies.t.budget_yuan", "1e308"),
    ("policies.t.training.seats_per_year", "1e308"),
    ("training.seats_per_year", "1000000000000"),
    ("population.farmer_households", "1000000000000"),
    ("population.youth", str(2**70)),
    ("population.consumer_units", "1000000000000"),
    ("world.terrain.plain.uplink_mbps", "1e-320"),
    ("logistics.hub_capacity_kg_week", "1e300"),
]


@pytest.fixture
def scenario(tmp_path: Path) -> Path:
    return write_yaml(tmp_path / "s.yaml", {**SMALL_SCENARIO, "policies": [dict(TALENT)]})


@pytest.mark.parametrize(("field", "value"), CRASHED)
def test_values_that_crashed_a_run_are_refused(scenario: Path, field: str, value: str) -> None:
    result = call_cli(["run", scenario, "--steps", "2", "--set", f"{field}={value}"])
    assert result.code == 2, result.err
    assert "Traceback" not in result.err
    shown = field.replace("policies.t.training", "policies.0.measures.training").replace(
        "policies.t", "policies.0"
    )
    assert shown in result.err


def test_the_largest_accepted_values_run() -> None:
    scenario = load_scenario(
        overrides={
            "world.county": SMALL_SCENARIO["world"]["county"],
            "population": SMALL_SCENARIO["population"],
            "steps": 4,
            "world.weather_yield_sd": 3,
            "world.weather_quality_sd": 1,
            "training.seats_per_year": 1_000_000,
            "world.terrain.mountain.uplink_mbps": 1e-12,
            "policies": [
                {**TALENT, "budget_yuan": 1e12, "measures": {"training": {"seats_per_year": 1e6}}}
            ],
        }
    )
    result = run(scenario, seed=3)
    assert result.steps == 4


@pytest.mark.slow
def test_many_policies_validate_in_linear_time() -> None:
    """The duplicate-name check once counted each name in the whole list (1.7 million policies
    hung); 100,000 now validate in seconds."""

    def policies(n: int) -> dict:
        return {"policies": [{"name": f"p{i}", "path": "talent"} for i in range(n)]}

    started = time.perf_counter()
    assert len(validate_dict(policies(100_000)).policies) == 100_000
    assert time.perf_counter() - started < 30
    with pytest.raises(ScenarioError, match="repeated: p7"):
        validate_dict(
            {"policies": [*policies(50_000)["policies"], {"name": "p7", "path": "talent"}]}
        )


def _numbers(model: BaseModel, prefix: str = "") -> Iterator[tuple[str, bool, float, float]]:
    """(path, is integer, lowest, highest accepted) of every number in a scenario section."""
    for name, field in type(model).model_fields.items():
        value, path = getattr(model, name), f"{prefix}{name}"
        if isinstance(value, BaseModel):
            yield from _numbers(value, f"{path}.")
        elif isinstance(value, dict):
            for key, item in value.items():
                if isinstance(item, BaseModel):
                    yield from _numbers(item, f"{path}.{key}.")
        elif isinstance(value, int | float) and not isinstance(value, bool):
            low, high = 0.0, LARGEST
            for meta in field.metadata:
                if isinstance(meta, annotated_types.Ge | annotated_types.Gt):
                    low = float(getattr(meta, "ge", getattr(meta, "gt", 0.0)))
                if isinstance(meta, annotated_types.Le | annotated_types.Lt):
                    high = float(getattr(meta, "le", getattr(meta, "lt", 0.0)))
            yield path, isinstance(value, int), low, high


@pytest.mark.slow
def test_every_number_at_its_bounds_runs() -> None:
    """Each number of the scenario and of the four paths' policies, alone at the highest and the
    lowest value the schema accepts, runs a few weeks without an error."""
    pols = [p.model_dump(mode="json") for p in load_scenario(COMBINED).policies]
    for policy in pols:
        policy["start_week"] = 0
    base = {
        "world.county": SMALL_SCENARIO["world"]["county"],
        "population": SMALL_SCENARIO["population"],
        "steps": 3,
        "policies": pols,
    }
    start = load_scenario(overrides=base)
    numbers = [
        n for n in _numbers(start) if not n[0].startswith(("population.", "world.county.", "steps"))
    ]
    for i, policy in enumerate(start.policies):
        numbers += _numbers(policy, f"policies.{i}.")
    ran = 0
    for path, integer, low, high in numbers:
        for value in (high, low):
            value = int(min(value, 10**6)) if integer else value
            try:
                scenario = load_scenario(overrides={**base, path: value})
            except ScenarioError:
                continue  # refused (an exclusive bound, a cross-field rule): fine
            run(scenario, seed=1)
            ran += 1
    assert ran > 300
