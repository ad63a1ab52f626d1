"""End-to-end tests of the ``village-sim`` command line and the Python API it wraps.

One full ``run`` (with ``--set`` overrides and ``--agents``) is shared by the run-folder tests;
everything else uses the small scenario of ``conftest.py`` so the file stays fast.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import mesa
import networkx as nx
import pandas as pd
import pytest
import yaml
from conftest import (
    BASELINE,
    REPO,
    SMALL_SCENARIO,
    SMALL_SETS,
    CliResult,
    call_cli,
    leftovers,
    write_yaml,
)

import village_sim
from village_sim.metrics.indicators import HEADLINE, INDICATOR_NAMES
from village_sim.outputs import OutputExistsError
from village_sim.scenario.errors import ScenarioError

RUN_FILES = (
    "summary.json",
    "timeseries.csv",
    "value_flows.csv",
    "villages.csv",
    "cohorts.csv",
    "scenario.resolved.yaml",
    "manifest.json",
    "trade_graph.graphml",
    "villages_weekly.parquet",
    "flows.parquet",
    "anchors_weekly.parquet",
    "youth_weekly.csv",
    "anchors.csv",
    "survival.csv",
    "plots",
    ".village_sim",  # the marker: a folder village_sim wrote (only such are overwritten)
)
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


# ------------------------------------------------------------------------------------------
# One full run through the CLI: the shipped baseline made small by --set, with --agents
# ------------------------------------------------------------------------------------------
@dataclass
class FullRun:
    """A finished ``village-sim run`` and where it wrote."""

    result: CliResult
    out: Path
    seed: int
    steps: int


@pytest.fixture(scope="module")
def full_run(tmp_path_factory: pytest.TempPathFactory) -> FullRun:
    parent = tmp_path_factory.mktemp("full")
    out = parent / "run"
    seed, steps = 3, 21
    argv = [
        "run",
        BASELINE,
        "--seed",
        seed,
        "--steps",
        steps,
        "--out",
        out,
        "--agents",
        "--set",
        "training.seats_per_year=120",
        "--set",
        "name=small-baseline",
    ]
    for item in SMALL_SETS:
        argv += ["--set", item]
    result = call_cli(argv)
    assert result.code == 0, result.err
    return FullRun(result, out, seed, steps)


def test_run_exits_zero_and_prints_headline_table(full_run: FullRun) -> None:
    assert full_run.result.code == 0
    assert "Traceback" not in full_run.result.err
    lines = full_run.result.out.splitlines()
    assert lines[0].split() == ["indicator", "value"]
    for name in HEADLINE:
        row = next((line for line in lines if line.split()[:1] == [name]), None)
        assert row is not None, f"{name} missing from the printed table"
        value = row.split()[1]
        if value != "null":
            float(value.replace(",", ""))  # a number


def test_run_folder_has_every_file(full_run: FullRun) -> None:
    names = {p.name for p in full_run.out.iterdir()}
    assert set(RUN_FILES) | {"agents.parquet"} <= names
    # Nothing half-written next to it: the temporary folder was renamed into place.
    assert leftovers(full_run.out.parent, "run") == []


def test_summary_json(full_run: FullRun) -> None:
    summary = json.loads((full_run.out / "summary.json").read_text())
    assert {"scenario", "seed", "steps", "indicators"} <= set(summary)
    assert summary["scenario"] == "small-baseline"
    assert summary["seed"] == full_run.seed
    assert summary["steps"] == full_run.steps
    indicators = summary["indicators"]
    assert set(indicators) == set(INDICATOR_NAMES)
    for name, value in indicators.items():
        assert value is None or isinstance(value, int | float), name
    markups = summary["markup_by_product"]  # markup_mean split by product
    assert set(markups) == {"kiwi", "tea", "rice", "shiitake"}
    sold = [v for v in markups.values() if v is not None]
    assert sold and min(sold) <= indicators["markup_mean"] <= max(sold)


def test_timeseries_csv(full_run: FullRun) -> None:
    ts = pd.read_csv(full_run.out / "timeseries.csv")
    assert list(ts.columns) == ["week", *INDICATOR_NAMES]
    assert ts["week"].tolist() == list(range(full_run.steps))


def test_villages_and_cohorts_csv(full_run: FullRun) -> None:
    villages = pd.read_csv(full_run.out / "villages.csv")
    assert len(villages) == 4  # world.county.villages=4 via --set
    for column in (
        "terrain",
        "sales_yuan",
        "farmer_income_mean",
        "farmer_share",
        "brand_trust",
        "stall_rate",
        "spoilage_rate",
        "active_anchors",
    ):
        assert column in villages.columns
    assert set(villages["terrain"]) <= {"plain", "hill", "mountain"}
    cohorts = pd.read_csv(full_run.out / "cohorts.csv")
    for column in ("cohort", "weeks_since_course", "trainees", "streaming", "exited"):
        assert column in cohorts.columns


def test_resolved_yaml_reflects_overrides_and_reloads(full_run: FullRun) -> None:
    path = full_run.out / "scenario.resolved.yaml"
    data = yaml.safe_load(path.read_text())
    assert data["name"] == "small-baseline"
    assert data["steps"] == full_run.steps  # --steps is part of what reproduces the run
    assert data["training"]["seats_per_year"] == 120
    assert data["population"]["consumer_units"] == 1000
    assert data["world"]["county"]["villages"] == 4
    expected = village_sim.load_scenario(
        BASELINE,
        overrides=[
            *SMALL_SETS,
            "training.seats_per_year=120",
            "name=small-baseline",
            f"steps={full_run.steps}",
        ],
    )
    assert village_sim.load_scenario(path) == expected


def test_resolved_yaml_reproduces_the_run(full_run: FullRun) -> None:
    scenario = village_sim.load_scenario(full_run.out / "scenario.resolved.yaml")
    again = village_sim.run(scenario, seed=full_run.seed)
    summary = json.loads((full_run.out / "summary.json").read_text())
    assert json.loads(json.dumps(again.indicators)) == pytest.approx(
        summary["indicators"], nan_ok=True
    )


def test_manifest_json(full_run: FullRun) -> None:
    manifest = json.loads((full_run.out / "manifest.json").read_text())
    assert manifest["package_version"] == village_sim.__version__
    commit = manifest["git_commit"]
    assert commit is None or (len(commit) == 40 and int(commit, 16) >= 0)
    versions = manifest["versions"]
    assert versions["python"] == ".".join(map(str, sys.version_info[:3]))
    assert versions["mesa"] == mesa.__version__
    resolved = (full_run.out / "scenario.resolved.yaml").read_bytes()
    assert manifest["scenario_sha256"] == hashlib.sha256(resolved).hexdigest()
    assert manifest["seed"] == full_run.seed
    assert isinstance(manifest["wall_time_s"], int | float) and manifest["wall_time_s"] >= 0
    agents = manifest["agents"]
    assert agents["Farmer"] == 300
    assert agents["Youth"] == 40
    assert agents["ConsumerUnit"] == 1000  # a unit counts once, whatever its scale
    assert agents["Regulator"] == 1
    assert all(isinstance(v, int) and v >= 0 for v in agents.values())


def test_trade_graph_graphml(full_run: FullRun) -> None:
    graph = nx.read_graphml(full_run.out / "trade_graph.graphml")
    ids = [int(n) for n in graph.nodes]
    assert len(set(ids)) == len(ids)
    kinds = nx.get_node_attributes(graph, "kind")
    assert sum(k == "village" for k in kinds.values()) == 4
    assert any(k == "city" for k in kinds.values())
    assert graph.is_directed() and nx.is_weakly_connected(graph)
    assert all("flow_kg" in data for _, _, data in graph.edges(data=True))
    # Goods travel village -> city: what left the villages reached the cities, and each station or
    # hub counts a parcel once (its volume is what flowed in, not the sum of its roads).
    volume = nx.get_node_attributes(graph, "volume_kg")
    left = sum(volume[n] for n, k in kinds.items() if k == "village")
    arrived = sum(volume[n] for n, k in kinds.items() if k == "city")
    assert left == pytest.approx(arrived, rel=1e-6, abs=1e-3)
    for n, k in kinds.items():
        if k in ("township", "county_hub"):
            inflow = sum(d["flow_kg"] for _, _, d in graph.in_edges(n, data=True))
            assert volume[n] == pytest.approx(inflow, abs=0.01)
    for u, v in graph.edges:
        if graph.edges[u, v]["flow_kg"] > 0:
            assert kinds[v] != "village" or kinds[u] == "village"  # never back into a village


def test_plots_are_pngs(full_run: FullRun) -> None:
    plots = sorted((full_run.out / "plots").glob("*.png"))
    assert {p.stem for p in plots} >= set(HEADLINE)
    for plot in plots:
        assert plot.read_bytes()[:8] == PNG_MAGIC, plot.name


def test_agents_parquet(full_run: FullRun) -> None:
    panel = pd.read_parquet(full_run.out / "agents.parquet")
    for column in ("person_id", "role", "village", "income", "skill"):
        assert column in panel.columns
    assert len(panel) > 0


def test_run_without_agents_into_an_empty_existing_folder(
    tmp_path: Path, small_scenario: Path
) -> None:
    out = tmp_path / "out"
    out.mkdir()  # an empty folder is fine without --overwrite
    result = call_cli(["run", small_scenario, "--steps", "5", "--out", out])
    assert result.code == 0, result.err
    assert {p.name for p in out.iterdir()} == set(RUN_FILES)  # no agents.parquet
    summary = json.loads((out / "summary.json").read_text())
    assert summary["steps"] == 5 and summary["seed"] == 0


def test_seed_changes_the_run_and_same_seed_repeats(small_scenario: Path) -> None:
    scenario = village_sim.load_scenario(small_scenario)
    a = village_sim.run(scenario, seed=1).timeseries
    b = village_sim.run(scenario, seed=1).timeseries
    c = village_sim.run(scenario, seed=2).timeseries
    pd.testing.assert_frame_equal(a, b)
    assert not a.equals(c)


# ------------------------------------------------------------------------------------------
# validate
# ------------------------------------------------------------------------------------------
def test_validate_good_file_is_silent_on_stderr(small_scenario: Path) -> None:
    result = call_cli(["validate", small_scenario])
    assert result.code == 0
    assert result.err == ""
    assert "valid" in result.out


def test_validate_shipped_scenarios() -> None:
    for path in sorted((REPO / "scenarios").glob("*.yaml")):
        result = call_cli(["validate", path])
        assert (result.code, result.err) == (0, ""), path.name


def test_validate_explicit_world(explicit_scenario: Path) -> None:
    result = call_cli(["validate", explicit_scenario])
    assert (result.code, result.err) == (0, "")


def test_validate_writes_nothing(
    tmp_path: Path, small_scenario: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    before = sorted(p.name for p in tmp_path.iterdir())
    assert call_cli(["validate", small_scenario]).code == 0
    assert sorted(p.name for p in tmp_path.iterdir()) == before


# ------------------------------------------------------------------------------------------
# Options: argparse errors are exit 2, in-process too
# ------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "option",
    [
        ["--steps", "0"],
        ["--seed", "-1"],
        ["--steps", "abc"],
        ["--seed", "1.5"],
        ["--bogus"],
    ],
)
def test_bad_option_values_exit_2(tmp_path: Path, small_scenario: Path, option: list[str]) -> None:
    out = tmp_path / "out"
    result = call_cli(["run", small_scenario, "--out", out, *option])
    assert result.code == 2
    assert "Traceback" not in result.err
    assert option[0] in result.err
    assert not out.exists()


def test_steps_beyond_the_schema_limit_exit_2(
    tmp_path: Path, small_scenario: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from village_sim.cli import run_cmd

    def must_not_run(*args: object, **kwargs: object) -> None:
        raise AssertionError("a run was started despite --steps beyond the schema's limit")

    monkeypatch.setattr(run_cmd, "run", must_not_run)
    out = tmp_path / "out"
    result = call_cli(["run", small_scenario, "--steps", "100000", "--out", out])
    assert result.code == 2
    assert "steps" in result.err and "5200" in result.err
    assert not out.exists()


@pytest.mark.parametrize("argv", [[], ["frobnicate"], ["run"], ["validate"]])
def test_missing_or_unknown_command_exit_2(argv: list[str]) -> None:
    result = call_cli(argv)
    assert result.code == 2
    assert "usage" in result.err
    assert "Traceback" not in result.err


def test_help_and_version_exit_0() -> None:
    help_ = call_cli(["--help"])
    assert help_.code == 0 and "run" in help_.out and "validate" in help_.out
    version = call_cli(["--version"])
    assert version.code == 0 and village_sim.__version__ in version.out


# ------------------------------------------------------------------------------------------
# The --out folder
# ------------------------------------------------------------------------------------------
def test_existing_non_empty_out_is_refused_and_untouched(
    tmp_path: Path, small_scenario: Path
) -> None:
    out = tmp_path / "out"
    out.mkdir()
    (out / "precious.txt").write_text("keep me")
    result = call_cli(["run", small_scenario, "--out", out])
    assert result.code == 2
    assert str(out) in result.err and "--overwrite" in result.err
    assert "Traceback" not in result.err
    assert [p.name for p in out.iterdir()] == ["precious.txt"]
    assert (out / "precious.txt").read_text() == "keep me"
    assert leftovers(tmp_path, "out", "scenario") == []


def test_existing_file_as_out_is_refused(tmp_path: Path, small_scenario: Path) -> None:
    out = tmp_path / "out"
    out.write_text("a file")
    assert call_cli(["run", small_scenario, "--out", out]).code == 2
    assert out.read_text() == "a file"


def test_overwrite_replaces_the_folder(tmp_path: Path, small_scenario: Path) -> None:
    out = tmp_path / "out"
    assert call_cli(["run", small_scenario, "--steps", "2", "--out", out]).code == 0
    (out / "plots" / "old.png").write_text("old")  # inside a folder it wrote: replaced with it
    result = call_cli(["run", small_scenario, "--steps", "3", "--out", out, "--overwrite"])
    assert result.code == 0, result.err
    assert not (out / "plots" / "old.png").exists()
    assert (out / "summary.json").is_file()
    assert leftovers(tmp_path, "out", "scenario") == []


def test_overwrite_never_deletes_the_scenario_or_working_dir(
    tmp_path: Path, small_scenario: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = small_scenario.parent
    before = sorted(p.name for p in folder.iterdir())
    result = call_cli(["run", small_scenario, "--steps", "3", "--out", folder, "--overwrite"])
    assert result.code == 2
    assert small_scenario.is_file()
    assert sorted(p.name for p in folder.iterdir()) == before

    work = tmp_path / "work"
    work.mkdir()
    (work / "notes.txt").write_text("mine")
    scenario = shutil.copy(small_scenario, tmp_path / "elsewhere.yaml")
    monkeypatch.chdir(work)
    for out in (".", str(tmp_path)):
        result = call_cli(["run", scenario, "--steps", "3", "--out", out, "--overwrite"])
        assert result.code == 2, out
        assert "Traceback" not in result.err
    assert (work / "notes.txt").read_text() == "mine"


def test_default_out_folder_is_named_after_a_safe_scenario_name(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    scenario = write_yaml(tmp_path / "s.yaml", {**SMALL_SCENARIO, "name": "../../escape me"})
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)
    result = call_cli(["run", scenario, "--steps", "2", "--seed", "4"])
    assert result.code == 0, result.err
    runs = list((work / "runs").iterdir())
    assert len(runs) == 1 and runs[0].name.endswith("-seed4")
    assert "/" not in runs[0].name and not runs[0].name.startswith(".")
    assert (runs[0] / "summary.json").is_file()


def test_internal_error_exits_1_and_leaves_no_folder(
    tmp_path: Path, small_scenario: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from village_sim import outputs

    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("boom while plotting")

    monkeypatch.setattr(outputs, "plot_headlines", broken)
    out = tmp_path / "out"
    result = call_cli(["run", small_scenario, "--steps", "2", "--out", out])
    assert result.code == 1
    assert "internal error" in result.err and "boom while plotting" in result.err
    assert not out.exists()
    assert leftovers(tmp_path, "scenario") == []


def test_a_command_that_cannot_load_does_not_break_the_others(
    small_scenario: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import importlib

    import village_sim.cli as cli_pkg

    real = importlib.import_module

    def flaky(name: str, package: str | None = None) -> object:
        if name.endswith(".validate_cmd"):
            raise ImportError("simulated broken module")
        return real(name, package)

    monkeypatch.setattr(cli_pkg.importlib, "import_module", flaky)
    assert call_cli(["run", "--help"]).code == 0
    broken = call_cli(["validate", small_scenario])
    assert broken.code == 1
    assert "cannot be loaded" in broken.err and "simulated broken module" in broken.err


# ------------------------------------------------------------------------------------------
# Subprocesses: the real exit codes of `python -m village_sim.cli` and the console script
# ------------------------------------------------------------------------------------------
def _subprocess(args: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(REPO), "MPLBACKEND": "Agg"}
    return subprocess.run(
        args, cwd=cwd, env=env, capture_output=True, text=True, timeout=120, check=False
    )


def test_subprocess_module_run(tmp_path: Path, small_scenario: Path) -> None:
    out = tmp_path / "out"
    proc = _subprocess(
        [
            sys.executable,
            "-m",
            "village_sim.cli",
            "run",
            str(small_scenario),
            "--steps",
            "4",
            "--seed",
            "2",
            "--out",
            str(out),
            "--set",
            "population.youth=30",
        ],
        cwd=tmp_path,
    )
    assert proc.returncode == 0, proc.stderr
    assert "Traceback" not in proc.stderr
    assert "farmer_income_mean" in proc.stdout
    summary = json.loads((out / "summary.json").read_text())
    assert (summary["seed"], summary["steps"]) == (2, 4)
    resolved = yaml.safe_load((out / "scenario.resolved.yaml").read_text())
    assert resolved["population"]["youth"] == 30


def test_subprocess_console_script_bad_input(tmp_path: Path) -> None:
    script = Path(sys.executable).with_name("village-sim")
    if not script.exists():
        pytest.skip("console script not installed next to this Python")
    bad = write_yaml(tmp_path / "bad.yaml", {"population": {"youth": -5}})
    out = tmp_path / "out"
    proc = _subprocess([str(script), "run", str(bad), "--out", str(out)], cwd=tmp_path)
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr
    assert "bad.yaml" in proc.stderr and "population.youth" in proc.stderr
    assert "greater than or equal to 0" in proc.stderr
    assert not out.exists()
    assert leftovers(tmp_path, "bad.yaml") == []


# ------------------------------------------------------------------------------------------
# Python API
# ------------------------------------------------------------------------------------------
def test_python_api(tmp_path: Path, small_scenario: Path) -> None:
    scenario = village_sim.load_scenario(small_scenario, overrides=["population.youth=25"])
    assert scenario.population.youth == 25
    assert village_sim.load_scenario(small_scenario, overrides={"population.youth": 25}) == scenario
    assert village_sim.load_scenario(small_scenario, overrides="population.youth=25") == scenario
    result = village_sim.run(scenario, seed=5, steps=6)
    assert set(result.indicators) == set(INDICATOR_NAMES)
    assert list(result.timeseries.columns) == ["week", *INDICATOR_NAMES]
    assert result.timeseries["week"].tolist() == list(range(6))
    assert isinstance(result.model, mesa.Model)
    assert result.steps == 6 and result.seed == 5
    folder = result.save(tmp_path / "api")
    assert {p.name for p in folder.iterdir()} >= set(RUN_FILES)
    resolved = village_sim.load_scenario(folder / "scenario.resolved.yaml")
    assert resolved.steps == 6  # the run's weeks, not the file's 20
    with pytest.raises(OutputExistsError):
        result.save(folder)
    assert (folder / "summary.json").is_file()


def test_python_api_defaults_without_file() -> None:
    scenario = village_sim.load_scenario()
    assert scenario.name == "scenario" and scenario.steps == 156
    with pytest.raises(ScenarioError):
        village_sim.load_scenario(overrides=["population.youth=-1"])


def test_tiny_run_without_any_sale_succeeds() -> None:
    # Regression: weekly tallies never set in a run (no live-stream sale at all) used to make
    # the whole-run indicators raise KeyError ('kg_fake_sold'), so `village-sim run` exited 1.
    scenario = village_sim.load_scenario(
        BASELINE,
        overrides=[
            "population.consumer_units=200",
            "population.farmer_households=60",
            "population.youth=20",
            "world.county.villages=3",
            "steps=10",
        ],
    )
    result = village_sim.run(scenario, seed=0)
    assert set(result.indicators) == set(INDICATOR_NAMES)
