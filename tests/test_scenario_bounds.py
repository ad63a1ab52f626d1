"""Values that used to crash a run (exit 1, traceback, or gigabytes of memory) are refused with exit
2 naming the field; the largest accepted ones run. Loading many policies takes linear time."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from conftest import SMALL_SCENARIO, call_cli, write_yaml

from village_sim import load_scenario, run
from village_sim.scenario.errors import ScenarioError
from village_sim.scenario.load import validate_dict

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
