"""Scenario discovery: the discovery design (worlds × paths, seeds per world), its analysis (PRIM,
CART, feature scores, robustness) and the ``discover`` command.

Batches use the tiny county of ``test_batch`` (~0.1 s a run).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml
from test_batch import KEEP, TINY_SCENARIO, batch, query

from village_sim.batch.design import plan as build_plan
from village_sim.batch.experiment import load_experiment


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    """A folder holding the tiny scenario (``tiny.yaml``)."""
    (tmp_path / "tiny.yaml").write_text(yaml.safe_dump(TINY_SCENARIO), encoding="utf-8")
    return tmp_path


def discovery_file(folder: Path, name: str = "disc.yaml", **design: Any) -> Path:
    """A discovery experiment on the tiny scenario; ``design`` replaces design fields."""
    spec: dict[str, Any] = {
        "type": "discovery",
        "samples": 3,
        "paths": {"talent": {"overrides": {"training.seats_per_year": 120}}},
        "cases": {
            "talent_no_gain": {"indicator": "gmv", "path": "talent", "effect": True, "le": 0},
            "low_gmv": {"indicator": "gmv", "lt": 1e12},
        },
        "robustness": {"gmv": "higher", "farmer_income_mean": "higher"},
    }
    spec.update(design)
    data: dict[str, Any] = {
        "name": "tiny_discovery",
        "scenario": "tiny.yaml",
        "replicates": 2,
        "seed": 11,
        "seeds": "independent",
        "factors": {
            "price_weight": {"path": "consumers.price_weight", "min": 2.0, "max": 4.0},
            "alpha": {"path": "platform.alpha", "min": 0.5, "max": 1.5},
        },
        "design": spec,
        "keep": {"indicators": KEEP},
    }
    path = folder / name
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return path


# ------------------------------------------------------------------------------------------------
# the design
# ------------------------------------------------------------------------------------------------
def test_every_path_runs_in_every_world_with_the_baseline_first(folder: Path) -> None:
    plan = build_plan(load_experiment(discovery_file(folder)))
    points = list(plan.points())
    assert plan.n_points == 6 and plan.n_runs == 12
    assert [p.values["path"] for p in points] == ["baseline", "talent"] * 3
    assert [p.values["world"] for p in points] == [0, 0, 1, 1, 2, 2]
    assert [p.seed_index for p in points] == [0, 0, 1, 1, 2, 2]
    for a, b in zip(points[::2], points[1::2], strict=True):  # same world, same factor values
        assert {k: a.values[k] for k in ("price_weight", "alpha")} == {
            k: b.values[k] for k in ("price_weight", "alpha")
        }
        assert b.overrides["training.seats_per_year"] == 120
        assert "training.seats_per_year" not in a.overrides
    assert len({p.values["alpha"] for p in points}) == 3


def test_paths_share_seeds_per_world_and_resume_adds_nothing_twice(folder: Path) -> None:
    path = discovery_file(folder)
    out = folder / "out"
    code, _, err = batch(path, "--out", out, "--workers", "1")
    assert code == 0, err
    rows = query(out, "SELECT world, replicate, path, seed FROM runs ORDER BY point, replicate")
    assert len(rows) == 12
    seeds: dict[tuple[int, int], set[int]] = {}
    for world, replicate, _, seed in rows:
        seeds.setdefault((int(world), replicate), set()).add(seed)
    assert all(len(s) == 1 for s in seeds.values())  # every path in a world: the same seeds
    assert len({next(iter(s)) for s in seeds.values()}) == 6  # independent across worlds
    before = query(out, "SELECT count(*) FROM indicators")[0][0]
    code, stdout, err = batch(path, "--out", out, "--workers", "1", "--resume")
    assert code == 0, err
    assert "computed 0, skipped 12" in stdout
    assert query(out, "SELECT count(*) FROM runs")[0][0] == 12
    assert query(out, "SELECT count(*) FROM indicators")[0][0] == before


@pytest.mark.parametrize(
    ("design", "field", "words"),
    [
        (
            {"cases": {"c": {"indicator": "no_such", "lt": 0}}},
            "design.cases.c.indicator",
            "unknown indicator",
        ),
        (
            {"cases": {"c": {"indicator": "gmv", "path": "nowhere", "lt": 0}}},
            "design.cases.c.path",
            "unknown path 'nowhere'",
        ),
        (
            {"cases": {"c": {"indicator": "gmv", "effect": True, "lt": 0}}},
            "design.cases.c.path",
            "against the baseline",
        ),
        (
            {"cases": {"c": {"indicator": "gmv", "lt": 0, "gt": 1}}},
            "design.cases.c",
            "exactly one comparison",
        ),
        (
            {"cases": {"c": {"indicator": "spoilage_rate", "lt": 0}}},
            "design.cases.c.indicator",
            "not kept",
        ),
        ({"cases": {}, "robustness": {}}, "design.cases", "at least one case"),
        ({"robustness": {"gmv": "up"}}, "design.robustness.gmv", "higher"),
    ],
)
def test_bad_discovery_input_exits_2_naming_file_and_field(
    folder: Path, design: dict[str, Any], field: str, words: str
) -> None:
    path = discovery_file(folder, **design)
    code, _, err = batch(path, "--out", folder / "out", "--workers", "1")
    assert code == 2, err
    assert str(path) in err and field in err and words in err, err
    assert "Traceback" not in err and not (folder / "out").exists()


def test_a_factor_without_a_range_exits_2(folder: Path) -> None:
    path = discovery_file(folder)
    data = yaml.safe_load(path.read_text())
    data["factors"]["alpha"] = {"path": "platform.alpha", "levels": [0.5, 1.0]}
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    code, _, err = batch(path, "--dry-run")
    assert code == 2 and "factors.alpha" in err and "needs a range" in err, err
