"""Shared fixtures: a small, fast scenario and helpers to call the CLI in-process."""

from __future__ import annotations

import contextlib
import io
import subprocess
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml

REPO = Path(__file__).resolve().parent.parent
BASELINE = REPO / "scenarios" / "baseline.yaml"

# A county small enough that a run takes a fraction of a second (build + 20 weeks ~ 0.2 s).
SMALL_SCENARIO: dict[str, Any] = {
    "name": "small",
    "description": "tiny county for fast tests",
    "steps": 20,
    "world": {
        "generator": "county",
        "county": {"villages": 4, "townships": 2, "hubs": 1, "cities": 2},
    },
    "population": {
        "farmer_households": 300,
        "youth": 40,
        "external_anchors": 4,
        "consumer_units": 1000,
        "consumer_unit_scale": 50,
        "regulators": 1,
    },
}

# The same sizes as ``--set`` overrides, for runs of the shipped baseline scenario.
SMALL_SETS: tuple[str, ...] = (
    "population.consumer_units=1000",
    "population.farmer_households=300",
    "population.youth=40",
    "world.county.villages=4",
)

# A valid explicit world: two villages, a township, a hub, a city.
EXPLICIT_WORLD: dict[str, Any] = {
    "generator": "explicit",
    "nodes": [
        {"id": 0, "kind": "village", "terrain": "plain", "products": ["kiwi"]},
        {"id": 1, "kind": "village", "terrain": "mountain", "products": ["tea"]},
        {"id": 2, "kind": "township"},
        {"id": 3, "kind": "county_hub"},
        {"id": 4, "kind": "city"},
    ],
    "edges": [
        {"u": 0, "v": 2, "km": 10},
        {"u": 1, "v": 2, "km": 20},
        {"u": 2, "v": 3, "km": 30},
        {"u": 3, "v": 4, "km": 500, "cold_chain": True},
    ],
}


@dataclass
class CliResult:
    """What an in-process CLI call returned and printed."""

    code: int
    out: str
    err: str


def call_cli(argv: Sequence[str]) -> CliResult:
    """Run ``village-sim ARGV`` in this process; capture stdout and stderr."""
    from village_sim.cli import main

    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main([str(a) for a in argv])
    return CliResult(code, out.getvalue(), err.getvalue())


def stop_process(proc: subprocess.Popen, timeout: float = 15) -> None:
    """Stop a process the test started (by its id): terminate, then kill if it lingers."""
    proc.terminate()
    try:
        proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(timeout=5)


def write_yaml(path: Path, data: Any) -> Path:
    """Write ``data`` as YAML to ``path``; returns the path."""
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return path


def small_with(**sections: Any) -> dict[str, Any]:
    """The small scenario with some top-level sections replaced."""
    data = {k: (dict(v) if isinstance(v, dict) else v) for k, v in SMALL_SCENARIO.items()}
    data.update(sections)
    return data


@pytest.fixture
def cli() -> Callable[[Sequence[str]], CliResult]:
    """Call the CLI in-process: ``cli(["validate", path])`` -> CliResult."""
    return call_cli


@pytest.fixture
def small_scenario(tmp_path: Path) -> Path:
    """A valid, fast scenario file in its own folder."""
    folder = tmp_path / "scenario"
    folder.mkdir()
    return write_yaml(folder / "small.yaml", SMALL_SCENARIO)


@pytest.fixture
def explicit_scenario(tmp_path: Path) -> Path:
    """A valid, fast scenario with an explicit world."""
    folder = tmp_path / "scenario"
    folder.mkdir(exist_ok=True)
    return write_yaml(folder / "explicit.yaml", small_with(name="explicit", world=EXPLICIT_WORLD))


def leftovers(folder: Path, *expected: str) -> list[str]:
    """Names in ``folder`` other than ``expected`` (e.g. temporary run folders left behind)."""
    if not folder.exists():
        return []
    return sorted(p.name for p in folder.iterdir() if p.name not in expected)
