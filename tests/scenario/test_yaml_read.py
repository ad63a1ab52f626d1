"""Every input file is read by one YAML reader: no aliases (the "billion laughs" file is refused at
once), no duplicate keys (both lines named), ``2e6`` is a number — in scenarios, experiments,
calibration files and targets alike, through the CLI with exit code 2."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
import yaml
from conftest import SMALL_SCENARIO, call_cli, leftovers

from village_sim.batch.experiment import load_experiment
from village_sim.calibration.config import load_config
from village_sim.metrics.targets import load_targets
from village_sim.run import load_scenario
from village_sim.scenario.errors import ScenarioError
from village_sim.scenario.yaml_read import MAX_DEPTH, read_yaml

# 9 levels of 9 aliases: about 400 bytes standing for 9**9 (387 million) strings.
BOMB = "".join(
    [
        'a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]\n',
        *(
            f"{n}: &{n} [{','.join(f'*{p}' for _ in range(9))}]\n"
            for p, n in zip("abcdefgh", "bcdefghi", strict=True)
        ),
        "name: bomb\n",
    ]
)
LOADERS = {
    "scenario": load_scenario,
    "experiment": load_experiment,
    "calibration": load_config,
    "targets": load_targets,
}


def _error(loader: str, path: Path) -> ScenarioError:
    with pytest.raises(ScenarioError) as info:
        LOADERS[loader](path)
    return info.value


@pytest.mark.parametrize("loader", sorted(LOADERS))
def test_billion_laughs_is_refused_within_a_second(tmp_path: Path, loader: str) -> None:
    path = tmp_path / "bomb.yaml"
    path.write_text(BOMB, encoding="utf-8")
    assert len(BOMB) < 600
    started = time.perf_counter()
    error = _error(loader, path)
    assert time.perf_counter() - started < 1.0
    text = str(error)
    assert "alias" in text and "'*a'" in text
    assert f"{path}:2:" in text  # the line of the first alias


@pytest.mark.parametrize("command", ["validate", "run", "compare"])
def test_billion_laughs_exits_2_on_the_cli(tmp_path: Path, command: str) -> None:
    path = tmp_path / "bomb.yaml"
    path.write_text(BOMB, encoding="utf-8")
    argv = [command, path]
    if command != "validate":
        argv += ["--out", tmp_path / "out"]
    if command == "compare":
        argv.insert(1, path)
    started = time.perf_counter()
    result = call_cli(argv)
    assert time.perf_counter() - started < 2.0
    assert result.code == 2, result.err
    assert "Traceback" not in result.err and "alias" in result.err
    assert not (tmp_path / "out").exists()
    assert leftovers(tmp_path, "bomb.yaml") == []


def test_batch_dry_run_refuses_an_experiment_bomb(tmp_path: Path) -> None:
    path = tmp_path / "bomb.yaml"
    path.write_text(BOMB, encoding="utf-8")
    result = call_cli(["batch", path, "--dry-run"])
    assert result.code == 2 and "alias" in result.err and "Traceback" not in result.err


def test_recursive_alias_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "loop.yaml"
    path.write_text("name: x\npolicies: &p [*p]\n", encoding="utf-8")
    error = _error("scenario", path)
    assert "alias" in str(error)


def test_a_harmless_alias_is_refused_too(tmp_path: Path) -> None:
    path = tmp_path / "alias.yaml"
    path.write_text(
        "name: x\npopulation: &pop\n  youth: 3\nbase: *pop\n",
        encoding="utf-8",
    )
    assert f"{path}:4:" in str(_error("scenario", path))


# ------------------------------------------------------------------------------------------------
# Duplicate keys: refused in every loader, naming both lines
# ------------------------------------------------------------------------------------------------
DUPLICATES = {
    "scenario": (
        "name: province\npopulation:\n  farmer_households: 30000\nsteps: 10\n"
        "population:\n  farmer_households: 3000\n",
        "population",
        (2, 5),
    ),
    "experiment": (
        "name: e\nscenario: s.yaml\nfactors:\n  seats:\n    path: steps\n    levels: [1, 2]\n"
        "  seats:\n    path: population.youth\n    levels: [3, 4]\ndesign: {type: grid}\n",
        "factors.seats",
        (4, 7),
    ),
    "calibration": (
        "name: c\nscenario: s.yaml\nscenario: t.yaml\n",
        "scenario",
        (2, 3),
    ),
    "targets": (
        "patterns:\n  - name: a\n    indicator: gmv\n    indicator: gmv\n",
        "patterns.0.indicator",
        (3, 4),
    ),
}


@pytest.mark.parametrize("loader", sorted(DUPLICATES))
def test_duplicate_keys_are_refused_naming_both_lines(tmp_path: Path, loader: str) -> None:
    text, field, (first, second) = DUPLICATES[loader]
    path = tmp_path / f"{loader}.yaml"
    path.write_text(text, encoding="utf-8")
    message = str(_error(loader, path))
    assert f"{path}:{second}: {field}:" in message
    assert f"lines {first} and {second}" in message


def test_duplicate_scenario_section_exits_2_on_the_cli(tmp_path: Path) -> None:
    text, _, _ = DUPLICATES["scenario"]
    path = tmp_path / "dup.yaml"
    path.write_text(text, encoding="utf-8")
    result = call_cli(["validate", path])
    assert result.code == 2 and "given twice" in result.err and "Traceback" not in result.err


def test_same_key_in_different_mappings_is_fine() -> None:
    data, lines = read_yaml("a:\n  x: 1\nb:\n  x: 2\n")
    assert data == {"a": {"x": 1}, "b": {"x": 2}}
    assert lines == {"a": 1, "a.x": 2, "b": 3, "b.x": 4}


# ------------------------------------------------------------------------------------------------
# Numbers, nesting, tags
# ------------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("text", "value"),
    [("2e6", 2e6), ("1.5e-3", 1.5e-3), ("-3E+2", -300.0), (".5e1", 5.0), ("2", 2), ("1_000", 1000)],
)
def test_exponent_numbers_are_numbers(text: str, value: float) -> None:
    data, _ = read_yaml(f"x: {text}\n")
    assert data["x"] == value and not isinstance(data["x"], str)


def test_exponent_numbers_do_not_change_pyyaml_for_others() -> None:
    assert yaml.safe_load("x: 2e6") == {"x": "2e6"}  # the shared SafeLoader is untouched


def test_deep_nesting_is_refused() -> None:
    text = "x: " + "[" * (MAX_DEPTH + 5) + "]" * (MAX_DEPTH + 5) + "\n"
    with pytest.raises(ScenarioError, match="nested too deeply"):
        read_yaml(text, "deep.yaml")


def test_very_deep_nesting_is_refused_without_crashing() -> None:
    with pytest.raises(ScenarioError):
        read_yaml("[" * 100_000, "deeper.yaml")


@pytest.mark.parametrize("text", ["x: !!python/object:os.system ls\n", "x: !!int abc\n"])
def test_bad_tags_are_errors_with_a_line(text: str) -> None:
    with pytest.raises(ScenarioError) as info:
        read_yaml(text, "tags.yaml")
    assert "tags.yaml:1:" in str(info.value)


def test_scenario_with_exponent_population_loads(tmp_path: Path) -> None:
    data = dict(SMALL_SCENARIO)
    path = tmp_path / "s.yaml"
    path.write_text(
        yaml.safe_dump(data, sort_keys=False).replace(
            "consumer_units: 1000", "consumer_units: 1e3"
        ),
        encoding="utf-8",
    )
    assert load_scenario(path).population.consumer_units == 1000
