"""The Python API the CLI wraps: ``run(scenario, seed, steps) -> RunResult``."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from village_sim.metrics.indicators import INDICATOR_NAMES, run_values
from village_sim.metrics.panel import PanelRecorder
from village_sim.metrics.reporters import AnchorRecorder
from village_sim.metrics.value_flows import ValueFlowRecorder
from village_sim.model import VillageMarket
from village_sim.outputs import write_run_folder
from village_sim.scenario import load
from village_sim.scenario.load import resolve_scenario
from village_sim.scenario.schema import Scenario
from village_sim.world.graph import world_problems


@dataclass
class RunResult:
    """The outcome of one run.

    Attributes:
        scenario: The resolved scenario.
        seed: The run seed.
        steps: Weeks simulated.
        indicators: Whole-run value of every indicator (``None`` where undefined).
        timeseries: One row per week (column ``week``) and one column per indicator.
        model: The Mesa model at the end of the run.
        wall_time_s: Seconds spent building and running.
        anchors_weekly: One row per anchor and week (``anchors_weekly.parquet``; see
            :mod:`village_sim.metrics.reporters`).
        value_flows: Where consumers' spending went, week by week (``value_flows.csv``; see
            :mod:`village_sim.metrics.value_flows`).
    """

    scenario: Scenario
    seed: int
    steps: int
    indicators: dict[str, float | None]
    timeseries: pd.DataFrame
    model: VillageMarket
    wall_time_s: float
    build_time_s: float = 0.0
    panel: pd.DataFrame | None = field(default=None, repr=False)
    anchors_weekly: pd.DataFrame | None = field(default=None, repr=False)
    value_flows: pd.DataFrame | None = field(default=None, repr=False)

    def save(self, directory: str | Path, overwrite: bool = False) -> Path:
        """Write the run folder (INTERFACE.md) atomically; returns its path."""
        return write_run_folder(self, Path(directory), overwrite=overwrite)


def load_scenario(
    path: str | Path | Scenario | None = None,
    overrides: list[str] | str | dict[str, Any] | None = None,
) -> Scenario:
    """Load and validate a scenario file, its world included: the scenario to run.

    Args:
        path: A YAML scenario file; ``None`` gives the defaults; a :class:`Scenario` is the
            starting point itself. A file may start from another with ``extends: OTHER.yaml``
            (relative to the file).
        overrides: ``["a.b=value", ...]`` (values parsed as YAML), one such string, or
            ``{"a.b": value}``; list items by index or by name (``policies.NAME.field``).

    Returns:
        The validated scenario, its places graph checked
        (:func:`~village_sim.world.graph.world_problems`).

    Raises:
        ScenarioError: Naming the file, line, field path and what was expected.
    """
    return load.load_scenario(path, overrides, check=world_problems)


def run(
    scenario: Scenario | str | Path | None = None,
    seed: int | None = 0,
    steps: int | None = None,
    record_agents: bool = False,
    progress: Callable[[int, int], None] | None = None,
) -> RunResult:
    """Build the model from a scenario and run it.

    Args:
        scenario: A validated scenario (see :func:`village_sim.load_scenario`), the path of a
            scenario file, or ``None`` for the defaults (the baseline county).
        seed: The run seed; ``None`` draws one from fresh entropy (``RunResult.seed`` and the
            manifest record it).
        steps: Weeks to simulate (default: ``scenario.steps``).
        record_agents: Keep a person-week panel (``agents.parquet``).
        progress: Called after every week with ``(weeks done, weeks in all)``.

    Returns:
        The :class:`RunResult`.

    Raises:
        ScenarioError: A scenario file that cannot be read or is invalid.
    """
    scenario = resolve_scenario(scenario, check=world_problems)
    steps = scenario.steps if steps is None else int(steps)
    start = time.perf_counter()
    model = VillageMarket(scenario, seed=seed)
    built = time.perf_counter()
    recorder = None
    if record_agents:
        recorder = PanelRecorder(model)
    flows = ValueFlowRecorder(model)
    anchors = AnchorRecorder(model)
    for _ in range(steps):
        model.step()
        flows.record()
        anchors.record()
        if recorder is not None:
            recorder.record()
        if progress is not None:
            progress(model.week, steps)
    weekly = model.datacollector.get_model_vars_dataframe().reset_index(drop=True)
    weekly.insert(0, "week", range(len(weekly)))
    weekly = weekly[["week", *INDICATOR_NAMES]]
    return RunResult(
        scenario=scenario,
        seed=model.seed,
        steps=steps,
        indicators=run_values(model),
        timeseries=weekly,
        model=model,
        wall_time_s=time.perf_counter() - start,
        build_time_s=built - start,
        panel=recorder.frame() if recorder is not None else None,
        value_flows=flows.frame(),
        anchors_weekly=anchors.frame(),
    )
