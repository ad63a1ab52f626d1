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


RAISES, LOWERS = +1, -1
MEASURED = (
    "measured with the refit defaults (taste in yuan) and career support's local jobs paid "
    "(issue 12, stop 13), the stall scale a stream's bitrate, spoilage from storage life and "
    "the refit M_pub (stop 15), docs/governance.md 'Findings'"
)


def claim(
    scenario: str,
    indicator: str,
    sign: int,
    name: str,
    *,
    against: str = "baseline",
    xfail: str | None = None,
    strict: bool = False,
):
    """One of the paper's directions: ``scenario`` moves ``indicator`` by ``sign`` vs ``against``.

    ``xfail`` states why the model does not (yet) show the direction; the measured interval
    belongs in it. Strict when the model shows the opposite, not strict when it is unresolved.
    """
    marks = [pytest.mark.xfail(strict=strict, reason=xfail)] if xfail else []
    return pytest.param(scenario, indicator, sign, against, id=name, marks=marks)


CLAIMS = [
    # paper §2.3
    claim(
        "baseline",
        "farmer_income_mean",
        RAISES,
        "live_streaming_raises_farm_income",
        against="no_livestream",
    ),
    # talent (paper §4.1)
    claim(
        "talent",
        "anchor_retention_52w",
        RAISES,
        "talent_raises_retention",
        xfail="paper §4.1: talent raises retention. +0.002 [-0.029, +0.034] over 20 seeds "
        "(+0.013 and +0.016 in the two previous states of the model) — talent adds ~23 active "
        "anchors in the last year, but the share of its trainees still streaming a year later "
        "does not rise measurably: whoever starts mostly stays either way (starter survival ~1), "
        "so retention is conversion. At full scale (20 seeds) it holds, just: +0.024 [+0.001, "
        f"+0.046] (docs/governance.md); {MEASURED}.",
    ),
    claim(
        "talent",
        "training_conversion_rate",
        RAISES,
        "talent_raises_conversion",
        xfail="paper §4.1: talent raises conversion. +0.016 [-0.014, +0.047] over 20 seeds; "
        "+0.028 [+0.001, +0.055] with the fitted stall scale, +0.010 [-0.019, +0.040] with the "
        "bitrate scale before the refit: the interval straddles zero and moves with small "
        "changes elsewhere, while more seats fill less (seat fill -0.147 [-0.169, -0.124]); at "
        f"full scale (20 seeds) +0.013 [-0.005, +0.030], not resolved either; {MEASURED}.",
    ),
    claim(
        "villager_training",
        "livestream_farmer_share",
        RAISES,
        "villager_training_lets_more_households_stream",
        xfail="paper §4.1: training villagers lets more households use live streaming. "
        "livestream_farmer_share +0.005 [-0.001, +0.010] (it passed once, +0.008, with one "
        "taste scale for everyone, i.e. farm members valuing the work as the young do): "
        "literacy lets more households stream, but whether they start and stay is decided by "
        f"ΔV against their displaced off-farm wage; {MEASURED}.",
    ),
    claim(
        "talent",
        "technology_suspension_rate",
        LOWERS,
        "talent_lowers_technology_suspension",
        xfail="paper §4.1: talent lowers technology suspension. -0.005 [-0.040, +0.030] over 20 "
        "seeds; -0.010 [-0.030, +0.009] with the fitted stall scale and -0.024 [-0.044, -0.003] "
        "with the bitrate scale before the refit: the sign holds, the size is within the noise of "
        "20 seeds. Suspension counts idle weeks for skill, support, fit or effort while trading; "
        f"idle weeks without stock, which training removed, no longer count; {MEASURED}.",
    ),
    # infrastructure (paper §4.2)
    claim(
        "tool_handout",
        "technology_suspension_rate",
        RAISES,
        "tool_handouts_alone_raise_technology_suspension",
    ),
    claim("cold_chain", "spoilage_rate", LOWERS, "cold_chain_lowers_spoilage"),
    claim("infrastructure", "stall_rate", LOWERS, "infrastructure_lowers_stalls"),
    # co-governance (paper §4.3; concentration is an extension)
    claim("co_governance", "fake_origin_share", LOWERS, "co_governance_lowers_fake_origin"),
    claim("co_governance", "traffic_hhi", LOWERS, "co_governance_lowers_traffic_concentration"),
    claim("co_governance", "farmer_share_of_spending", RAISES, "co_governance_raises_farmer_share"),
    # supply side (paper §4.3)
    claim("supply_side", "consumer_trust", RAISES, "supply_side_raises_consumer_trust"),
    claim("supply_side", "repeat_purchase_rate", RAISES, "supply_side_raises_repeat_purchases"),
    # all four paths at once (paper §4)
    claim("combined", "farmer_income_mean", RAISES, "combined_paths_raise_farm_income"),
    claim(
        "combined",
        "farmer_share_of_spending",
        RAISES,
        "combined_paths_raise_the_farmer_share",
        xfail="paper §4: the paths together raise the farmers' share. -0.005 [-0.016, +0.007] "
        "now; +0.002 [-0.013, +0.016] with the bitrate stall scale before the refit; it fell, "
        "-0.013 [-0.022, -0.003], with the scale solved from the mountain stall rate. "
        "Co-governance alone raises it +0.052 [+0.035, +0.070]. Leave-one-out (10 seeds, this "
        "county, with the fitted stall scale; docs/governance.md): only leaving out the "
        "supply-side quarter raises the combined share "
        "(+0.020 [+0.001, +0.039]); that quarter alone lowers it (-0.015 [-0.027, -0.003]): it "
        "cuts refunds (-204,000 yuan) and raises net spending (+765,000), of which farm "
        "households get 59 % (their average is 81 %) while tool vendors get a fifth (anchors' "
        "tool values scale with their margins); co-governance with a quarter of the budget does "
        f"not move the share (+0.000 [-0.020, +0.020]); {MEASURED}.",
    ),
]


@pytest.mark.parametrize(("scenario", "indicator", "sign", "against"), CLAIMS)
def test_the_papers_direction(scenario: str, indicator: str, sign: int, against: str) -> None:
    """The paired 95 % interval of ``scenario − against`` excludes 0 on the paper's side."""
    mean, low, high = diff(scenario, against, indicator)
    moved = low > 0 if sign == RAISES else high < 0
    assert moved, f"{scenario} vs {against}: {indicator} diff {mean:.4g} [{low:.4g}, {high:.4g}]"


def test_cold_chain_spoilage_stays_below_five_percent_on_cold_routes():
    mean, _, high = mean_ci(
        np.array([r["spoilage_rate_cold_chain"] for r in outcomes("cold_chain")])
    )
    assert high < 0.05, f"cold-chain spoilage {mean:.3f} (upper CI {high:.3f})"


# -- diminishing returns of training seats (paper §3.1) --------------------------------------------------
@pytest.mark.xfail(
    reason="paper §3.1: extra seats show diminishing returns. First 60 filled seats minus second "
    "60: -0.16 [-0.62, +0.29] active anchors per filled seat (the second 60 seats fill 6 more, "
    "46.9 → 53.0); per seat offered -0.003 [-0.066, +0.061], not resolved. With the stall scale "
    "solved from the mountain stall rate it was -0.34 [-0.67, -0.002], with the bitrate scale "
    "before the refit -1.79 [-3.42, -0.15] (a ratio resting on one extra filled seat). At full "
    "scale (20 seeds) the opposite is resolved, -0.62 [-1.06, -0.18]: the first seats mostly "
    "train young people who would have streamed untrained (docs/governance.md); "
    f"{MEASURED}.",
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
