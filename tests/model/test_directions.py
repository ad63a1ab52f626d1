"""The directions the paper argues (MODEL.md §5), as paired differences over several seeds.

Out-of-sample checks: the defaults were fixed before any policy was run, and calibrated later on
the baseline alone (``calibration/REPORT.md``), never on a policy scenario. Each claim compares a
scenario file against the baseline with the same seeds (common random numbers) and asks that the
95 % confidence interval of the paired difference exclude zero. Where the mechanisms honestly give
another answer, the test states the paper's direction as a strict expected failure and
``docs/governance.md`` explains the finding.

Scale: the shipped scenario files with fewer consumer units, households and youth, over two years,
20 seeds each, run once per session on two local Dask workers (a few minutes).
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from village_sim.batch.compare import run_replicates
from village_sim.batch.seeds import replicate_seeds
from village_sim.metrics.stats import mean_ci, paired_diff_ci
from village_sim.run import load_scenario

pytestmark = pytest.mark.slow  # statistical: many seeds at full or reduced scale

ROOT = Path(__file__).resolve().parents[2]
SCALE = {
    "steps": 104,
    "population.consumer_units": 8000,
    "population.farmer_households": 2000,
    "population.youth": 300,
}
ROOT_SEED = 2026
SEEDS = replicate_seeds(ROOT_SEED, 20)


SCENARIOS = (
    "baseline",
    "no_livestream",
    "talent",
    "tool_handout",
    "cold_chain",
    "co_governance",
    "supply_side",
    "infrastructure",
    "villager_training",
    "combined",
)


def _scenario(name: str, seats: int | None = None):
    overrides = dict(SCALE)
    if seats is not None:
        overrides["training.seats_per_year"] = seats
        overrides["name"] = f"{name}_seats{seats}"
    return load_scenario(ROOT / "scenarios" / f"{name}.yaml", overrides=overrides)


@cache
def all_outcomes() -> pd.DataFrame:
    """Every scenario of the module × every seed, run once per session on two local workers."""
    scenarios = [_scenario(n) for n in SCENARIOS]
    scenarios += [_scenario("baseline", seats) for seats in (0, 120)]
    return run_replicates(scenarios, len(SEEDS), ROOT_SEED, workers=2)


def outcomes(name: str, seats: int | None = None) -> list[dict]:
    """Rows of one scenario, in replicate order."""
    key = name if seats is None or seats == 60 else f"{name}_seats{seats}"
    frame = all_outcomes()
    part = frame[frame["scenario"] == key].sort_values("replicate")
    return [
        {k: (None if pd.isna(v) else v) for k, v in row.items()} for row in part.to_dict("records")
    ]


def diff(a: str, b: str, indicator: str) -> tuple[float, float, float]:
    """Paired difference a − b over seeds: (mean, ci_low, ci_high)."""
    x = np.array([r[indicator] for r in outcomes(a)], dtype=object)
    y = np.array([r[indicator] for r in outcomes(b)], dtype=object)
    mean, low, high = paired_diff_ci(x, y)
    assert mean is not None, f"{indicator} undefined in {a} or {b}"
    return mean, low, high


def assert_raises(a: str, indicator: str, b: str = "baseline") -> None:
    mean, low, high = diff(a, b, indicator)
    assert low > 0, f"{a} vs {b}: {indicator} diff {mean:.4g} [{low:.4g}, {high:.4g}]"


def assert_lowers(a: str, indicator: str, b: str = "baseline") -> None:
    mean, low, high = diff(a, b, indicator)
    assert high < 0, f"{a} vs {b}: {indicator} diff {mean:.4g} [{low:.4g}, {high:.4g}]"


# -- paper §2.3 -----------------------------------------------------------------------------------
def test_live_streaming_raises_farm_income():
    assert_raises("baseline", "farmer_income_mean", b="no_livestream")


# -- talent (paper §4.1) ----------------------------------------------------------------------------
MEASURED = "measured at 508f4dc (calibrated economic core), docs/governance.md 'Findings'"


@pytest.mark.xfail(
    strict=False,
    reason="paper §4.1: talent raises retention. With the economic core: +0.018 [-0.015, +0.051] "
    "over 20 seeds — talent adds ~43 active anchors in the last year, but the share of its "
    f"trainees still streaming a year later does not rise measurably (not decomposed); {MEASURED}.",
)
def test_talent_raises_retention():
    assert_raises("talent", "anchor_retention_52w")


@pytest.mark.xfail(
    strict=False,
    reason="paper §4.1: talent raises conversion. +0.027 [-0.003, +0.057]: not resolved by 20 "
    "seeds; more seats fill less (seat fill -0.135 [-0.156, -0.113]) and starting is a choice "
    f"against the outside option, not a function of skill alone; {MEASURED}.",
)
def test_talent_raises_conversion():
    assert_raises("talent", "training_conversion_rate")


@pytest.mark.xfail(
    strict=False,
    reason="paper §4.1: training villagers lets more households use live streaming. "
    "livestream_farmer_share +0.002 [-0.007, +0.010] (active anchors +3.6 [+1.1, +6.2]): "
    "literacy lets more households stream, but whether they start and stay is decided by "
    f"ΔV against their displaced off-farm wage; {MEASURED}.",
)
def test_villager_training_lets_more_households_stream():
    assert_raises("villager_training", "livestream_farmer_share")


@pytest.mark.xfail(
    strict=False,
    reason="paper §4.1: talent lowers technology suspension. -0.010 [-0.034, +0.014] with the "
    "corrected definition (idle for skill, support, fit or effort while trading, not suspended): "
    "idle weeks without stock no longer count, and those were what training had removed; "
    f"{MEASURED}.",
)
def test_talent_lowers_technology_suspension():
    assert_lowers("talent", "technology_suspension_rate")


# -- infrastructure (paper §4.2) -------------------------------------------------------------------
def test_tool_handouts_alone_raise_technology_suspension():
    assert_raises("tool_handout", "technology_suspension_rate")


def test_cold_chain_cuts_spoilage_below_five_percent_on_cold_routes():
    assert_lowers("cold_chain", "spoilage_rate")
    mean, _, high = mean_ci(
        np.array([r["spoilage_rate_cold_chain"] for r in outcomes("cold_chain")])
    )
    assert high < 0.05, f"cold-chain spoilage {mean:.3f} (upper CI {high:.3f})"


def test_infrastructure_lowers_stalls():
    assert_lowers("infrastructure", "stall_rate")


# -- co-governance (paper §4.3; concentration is an extension) ----------------------------------------
def test_co_governance_lowers_fake_origin():
    assert_lowers("co_governance", "fake_origin_share")


def test_co_governance_lowers_traffic_concentration():
    assert_lowers("co_governance", "traffic_hhi")


def test_co_governance_raises_farmer_share():
    assert_raises("co_governance", "farmer_share_of_spending")


# -- supply side (paper §4.3) --------------------------------------------------------------------------
def test_supply_side_raises_consumer_trust():
    assert_raises("supply_side", "consumer_trust")


def test_supply_side_raises_repeat_purchases():
    """A small effect (+0.004 [0.000, 0.007] with the calibrated defaults; before calibration
    +0.002 [-0.001, 0.005], an expected failure): see docs/governance.md, 'Findings'."""
    assert_raises("supply_side", "repeat_purchase_rate")


# -- diminishing returns of training seats (paper §3.1) --------------------------------------------------
@pytest.mark.xfail(
    strict=False,
    reason="paper §3.1: extra seats show diminishing returns. First 60 filled seats minus second "
    "60: -0.32 [-0.79, +0.15] active anchors per filled seat: not resolved by 20 seeds (not "
    f"decomposed); {MEASURED}.",
)
def test_doubling_training_seats_adds_fewer_anchors_per_filled_seat():
    """Seats 0 → 60 → 120 a year: per seat *filled*, the second 60 add fewer active anchors.

    Empty seats add nothing, so the returns are counted per filled seat (ECONOMICS.md §B);
    seeds where the extra seats filled none are left out (no return to measure).
    """
    rows = {seats: outcomes("baseline", seats) for seats in (0, 60, 120)}
    active = {s: np.array([r["active_anchors_last_year"] for r in rows[s]]) for s in rows}
    filled = {s: np.array([r["seats_filled"] or 0.0 for r in rows[s]]) for s in rows}
    more_first = filled[60] - filled[0]
    more_second = filled[120] - filled[60]
    ok = (more_first > 0) & (more_second > 0)
    assert ok.sum() >= 10, "the extra seats were filled in too few seeds"
    first = (active[60] - active[0])[ok] / more_first[ok]
    second = (active[120] - active[60])[ok] / more_second[ok]
    mean, low, high = mean_ci(first - second)
    assert low > 0, (
        f"anchors per filled seat, first 60 − second 60: {mean:.3g} [{low:.3g}, {high:.3g}]"
    )


# -- all four paths at once (paper §4) ---------------------------------------------------------------
@pytest.mark.xfail(
    strict=True,
    reason="paper §4: the paths together lift rural incomes. County mean net farm income falls: "
    "-132 [-164, -100] yuan/yr, while participating households gain +961 [+699, +1,220] — the "
    "loss falls on households that do not sell live (talent alone: county +1,400). Which "
    f"measure of the combined file moves the others' income is not yet identified; {MEASURED}.",
)
def test_combined_paths_raise_farm_income():
    assert_raises("combined", "farmer_income_mean")


@pytest.mark.xfail(
    strict=False,
    reason="paper §4: the paths together raise the farmers' share. +0.005 [-0.008, +0.018], "
    "while co-governance alone gives +0.057 [+0.037, +0.078]; in the combined file it has a "
    f"quarter of the budget (not decomposed further); {MEASURED}.",
)
def test_combined_paths_raise_the_farmer_share():
    assert_raises("combined", "farmer_share_of_spending")
