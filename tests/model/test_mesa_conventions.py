"""VillageMarket follows Mesa's conventions, so Mesa's own tools (batch_run, SolaraViz) drive it."""

from __future__ import annotations

import math
from pathlib import Path

import mesa
import pandas as pd
import pytest
from conftest import REPO

import village_sim
from village_sim.metrics.indicators import INDICATOR_NAMES
from village_sim.model import VillageMarket
from village_sim.run import load_scenario
from village_sim.scenario.errors import ScenarioError

# A tiny county as keyword arguments, ``__`` for the dots of the scenario's field paths.
SMALL = {
    "steps": 4,
    "world__county__villages": 4,
    "world__county__townships": 2,
    "world__county__hubs": 1,
    "world__county__cities": 2,
    "population__farmer_households": 300,
    "population__youth": 40,
    "population__consumer_units": 1000,
}


@pytest.mark.parametrize("processes", [1, pytest.param(2, marks=pytest.mark.slow)])
def test_batch_run_iterations_are_different_runs_that_stop_at_the_scenario_length(
    processes: int,
) -> None:
    with pytest.warns(DeprecationWarning, match="iterations"):
        results = mesa.batch_run(
            VillageMarket,
            parameters={**SMALL, "training__seats_per_year": [60, 200]},
            iterations=2,
            number_processes=processes,
            data_collection_period=1,
            display_progress=False,
        )
    frame = pd.DataFrame(results)
    assert len(frame) == 2 * 2 * SMALL["steps"]  # 2 iterations x 2 levels x every week
    runs = frame.groupby("RunId")
    assert runs["Step"].max().eq(SMALL["steps"]).all()  # stopped at the scenario's length
    assert sorted(frame["training__seats_per_year"].unique()) == [60, 200]
    last = frame[frame["Step"] == SMALL["steps"]]
    for _, level in last.groupby("training__seats_per_year"):
        # The two iterations are two runs with their own fresh seeds: not copies of each other.
        assert not level.iloc[0][list(INDICATOR_NAMES)].equals(level.iloc[1][list(INDICATOR_NAMES)])


def test_scenario_path_object_and_default(tmp_path: Path) -> None:
    path = REPO / "scenarios" / "baseline.yaml"
    scenario = load_scenario(path, overrides={"steps": 3})
    from_object = VillageMarket(scenario, seed=1, world__county__villages=4)
    from_path = VillageMarket(str(path), seed=1, steps=3, world__county__villages=4)
    assert from_object.config == from_path.config
    assert from_object.config.world.county.villages == 4
    assert VillageMarket.__init__.__defaults__ == (None, None)  # VillageMarket(): the defaults
    # a whole Scenario reaches the model as one value (batch_run would sweep an iterable)
    with pytest.raises(TypeError, match="not iterable"):
        iter(scenario)


def test_unknown_keyword_field_is_a_scenario_error() -> None:
    with pytest.raises(ScenarioError, match="trainin"):
        VillageMarket(None, seed=0, trainin__seats_per_year=5)


def test_seed_none_draws_a_recorded_seed_and_rng_is_accepted() -> None:
    a = VillageMarket(None, **SMALL)
    b = VillageMarket(None, **SMALL)
    assert a.seed != b.seed and a.seed >= 0
    again = VillageMarket(None, seed=a.seed, **SMALL)
    for model in (a, again):
        for _ in range(2):
            model.step()
    assert a.datacollector.get_model_vars_dataframe().equals(
        again.datacollector.get_model_vars_dataframe()
    )
    assert VillageMarket(None, rng=5, **SMALL).seed == 5
    with pytest.raises(ValueError, match="either seed or rng"):
        VillageMarket(None, seed=1, rng=1, **SMALL)
    with pytest.raises(ValueError, match="non-negative integer"):
        VillageMarket(None, seed=-1, **SMALL)


def test_run_accepts_a_path_and_reports_the_drawn_seed(tmp_path: Path) -> None:
    result = village_sim.run(REPO / "scenarios" / "baseline.yaml", seed=None, steps=2)
    assert result.seed == result.model.seed and result.steps == 2
    result.save(tmp_path / "out")
    import json

    manifest = json.loads((tmp_path / "out" / "manifest.json").read_text())
    assert manifest["seed"] == result.seed


def test_undefined_indicators_are_float_nan_in_the_frames() -> None:
    model = VillageMarket(None, seed=0, livestream__enabled=False, **SMALL)
    while model.running:
        model.step()
    frame = model.datacollector.get_model_vars_dataframe()
    assert all(pd.api.types.is_float_dtype(t) for t in frame.dtypes[frame.dtypes != "int64"])
    # no live streaming: traffic concentration is undefined every week
    assert frame["traffic_hhi"].map(lambda v: isinstance(v, float) and math.isnan(v)).all()
    result = village_sim.run(model.config, seed=0)
    assert result.indicators["traffic_hhi"] is None  # summary.json writes null
    assert all(pd.api.types.is_numeric_dtype(t) for t in result.timeseries.dtypes)
