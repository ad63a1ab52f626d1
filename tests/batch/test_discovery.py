"""Scenario discovery: the discovery design (worlds × paths, seeds per world), its analysis (PRIM,
CART, feature scores, robustness) and the ``discover`` command.

Batches use the tiny county of ``test_batch`` (~0.1 s a run).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
import yaml
from test_batch import KEEP, REPO, TINY_SCENARIO, batch, cli, experiment_file, query

from village_sim.batch.analyze import discovery as sd
from village_sim.batch.design import plan as build_plan
from village_sim.batch.experiment import load_experiment
from village_sim.batch.store import STORE_FILE, Store
from village_sim.cli import discover_cmd


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


# ------------------------------------------------------------------------------------------------
# the analysis
# ------------------------------------------------------------------------------------------------
def test_prim_finds_a_known_box_of_two_of_five_factors() -> None:
    rng = np.random.default_rng(5)
    x = pd.DataFrame(rng.uniform(0, 1, (400, 5)), columns=[f"f{i}" for i in range(5)])
    inside = x["f1"].between(0.2, 0.6) & x["f3"].between(0.3, 0.8)
    result = sd.prim(x, inside.to_numpy(), max_qp=0.05)
    assert result.status == "box"
    limits = result.limits.set_index("factor")
    assert sorted(limits.index) == ["f1", "f3"]
    assert limits.loc["f1", "min"] == pytest.approx(0.2, abs=0.05)
    assert limits.loc["f1", "max"] == pytest.approx(0.6, abs=0.05)
    assert limits.loc["f3", "min"] == pytest.approx(0.3, abs=0.05)
    assert limits.loc["f3", "max"] == pytest.approx(0.8, abs=0.05)
    stats = result.stats()
    assert stats["coverage"] > 0.9 and stats["density"] > 0.9 and stats["res_dim"] == 2
    assert (limits[["qp_lower", "qp_upper"]].max(axis=1) < 1e-6).all()
    tree = sd.cart(x, inside.to_numpy(), seed=0)
    leaves = sd.cart_leaves(tree)
    best = leaves.sort_values("density", ascending=False).iloc[0]
    assert best["density"] > 0.9 and "f1" in best["rule"] and "f3" in best["rule"]
    scores = sd.feature_scores(x, {"case": inside}).set_index("factor")["score"]
    assert set(scores.nlargest(2).index) == {"f1", "f3"}


def test_a_case_met_nowhere_or_everywhere_has_no_box() -> None:
    x = pd.DataFrame({"a": np.linspace(0, 1, 20), "b": np.linspace(1, 2, 20)})
    assert sd.prim(x, np.zeros(20, bool)).status == "none"
    everywhere = sd.prim(x, np.ones(20, bool))
    assert everywhere.status == "all" and everywhere.limits.empty


def test_robustness_and_regret_on_a_known_table() -> None:
    rows = []
    for world in range(4):
        for replicate in range(2):
            base = 10.0 + world
            rows += [
                {"world": world, "replicate": replicate, "path": "baseline", "y": base},
                # better than the baseline in worlds 0-2, worse in world 3
                {
                    "world": world,
                    "replicate": replicate,
                    "path": "a",
                    "y": base + (1.0 + replicate if world < 3 else -2.0 - replicate),
                },
            ]
    frame = pd.DataFrame(rows)
    table = sd.robustness(frame, ["baseline", "a"], "baseline", {"y": "higher"}).iloc[0]
    assert table["share_better"] == pytest.approx(0.75)  # 3 of 4 worlds with either seed
    assert table["share_ci_low"] == pytest.approx(0.75)  # the same share in both replicates
    assert table["share_mean_better"] == pytest.approx(0.75)
    assert table["share_sig_worse"] == pytest.approx(0.0)  # 2 replicates: wide intervals
    assert table["mean_effect"] == pytest.approx((1.5 * 3 - 2.5) / 4)
    lower = sd.robustness(frame, ["baseline", "a"], "baseline", {"y": "lower"}).iloc[0]
    assert lower["share_better"] == pytest.approx(0.25)
    per_world = sd.world_regret(frame, ["baseline", "a"], {"y": "higher"})
    summary = sd.regret_summary(per_world, ["baseline", "a"]).set_index("path")
    assert summary.loc["a", "max_regret"] == pytest.approx(2.5)
    assert summary.loc["baseline", "share_best"] == pytest.approx(0.25)
    assert summary.loc["baseline", "mean_regret"] == pytest.approx((1.5 * 3) / 4)


# ------------------------------------------------------------------------------------------------
# the command
# ------------------------------------------------------------------------------------------------
def shrunk_shipped(folder: Path) -> Path:
    """experiments/discovery_talent.yaml shrunk to 8 worlds x 2 paths x 2 replicates, 40 weeks."""
    data = yaml.safe_load((REPO / "experiments" / "discovery_talent.yaml").read_text())
    data["scenario"] = str(REPO / "scenarios" / "baseline.yaml")
    data["design"]["paths"]["talent"] = str(REPO / "scenarios" / "talent.yaml")
    data["design"]["samples"] = 8
    data["replicates"] = 2
    data["steps"] = 40  # too short for 52-week retention: that case is undefined everywhere
    data["overrides"].update({"population.farmer_households": 200, "population.youth": 40})
    path = folder / "talent_small.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return path


@pytest.mark.slow
def test_discover_end_to_end_on_the_shipped_talent_experiment(folder: Path) -> None:
    path = shrunk_shipped(folder)
    out = folder / "out"
    code, _, err = batch(path, "--out", out, "--workers", "1")
    assert code == 0, err
    code, stdout, err = cli(discover_cmd, out)
    assert code == 0, err
    target = out / "discovery"
    for name in ("boxes", "tradeoff", "feature_scores", "robustness", "regret", "cart"):
        assert (target / f"{name}.csv").exists(), name
    summary = (target / "summary.md").read_text()
    assert "talent_no_retention_gain" in summary and "undefined" in summary
    boxes = pd.read_csv(target / "boxes.csv")
    assert set(boxes["case"]) == {"talent_no_retention_gain", "talent_no_conversion_gain"}
    robust = pd.read_csv(target / "robustness.csv")
    assert set(robust["indicator"]) == {
        "anchor_retention_52w",
        "training_conversion_rate",
        "active_anchors",
        "farmer_income_mean",
    }
    assert robust["share_better"].dropna().between(0, 1).all()
    assert (target / "figures" / "robustness.png").exists()
    assert (target / "figures" / "feature_scores.png").exists()
    first = (target / "boxes.csv").read_text()
    code, _, err = cli(discover_cmd, out)  # reproducible: same files again
    assert code == 0 and (target / "boxes.csv").read_text() == first


def test_discover_reads_a_running_batch_from_results_wide(folder: Path) -> None:
    path = discovery_file(folder)
    out = folder / "out"
    assert batch(path, "--out", out, "--workers", "1")[0] == 0
    writer = Store(out / STORE_FILE)  # holds the store, as a running batch does
    try:
        code, _, err = cli(discover_cmd, out)
    finally:
        writer.close()
    assert code == 0, err
    summary = (out / "discovery" / "summary.md").read_text()
    assert "results_wide.parquet" in summary and "still running" in summary


def test_discover_bad_folders_exit_2(folder: Path) -> None:
    code, _, err = cli(discover_cmd, folder / "nowhere")
    assert code == 2 and "expected a batch folder" in err
    grid = experiment_file(folder)
    out = folder / "grid"
    assert batch(grid, "--out", out, "--workers", "1")[0] == 0
    code, _, err = cli(discover_cmd, out)
    assert code == 2 and "no discovery design" in err and "experiment.yaml" in err
    assert not (out / "discovery").exists()


def test_new_cases_of_the_same_runs_from_an_edited_experiment_file(folder: Path) -> None:
    path = discovery_file(folder)
    out = folder / "out"
    assert batch(path, "--out", out, "--workers", "1")[0] == 0
    edited = discovery_file(
        folder,
        "edited.yaml",
        cases={"few_anchors": {"indicator": "active_anchors", "path": "talent", "lt": 1e9}},
        robustness={},
    )
    code, _, err = cli(discover_cmd, out, "--experiment", edited)
    assert code == 0, err
    boxes = pd.read_csv(out / "discovery" / "boxes.csv")
    assert set(boxes["case"]) == {"few_anchors"}
    assert boxes["status"].iloc[0] == "met in every world"  # reported, no empty box
    assert not (out / "discovery" / "robustness.csv").exists()

    other = discovery_file(folder, "other.yaml", samples=5)  # other runs: refused
    code, _, err = cli(discover_cmd, out, "--experiment", other)
    assert code == 2 and str(other) in err and "design.samples" in err, err
    data = yaml.safe_load(path.read_text())
    data["design"]["cases"] = {"spoiled": {"indicator": "spoilage_rate", "gt": 0}}
    data["keep"]["indicators"] = [*KEEP, "spoilage_rate"]
    unstored = folder / "unstored.yaml"
    unstored.write_text(yaml.safe_dump(data, sort_keys=False))
    code, _, err = cli(discover_cmd, out, "--experiment", unstored)
    assert code == 2 and "design.cases.spoiled.indicator" in err and "did not store" in err, err
