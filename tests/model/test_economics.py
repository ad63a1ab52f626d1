"""What must hold of the economic core (ECONOMICS.md §E), over several seeds at full scale.

Slow: each test runs the baseline county many times.
"""

from __future__ import annotations

from collections import Counter
from functools import cache
from pathlib import Path

import numpy as np
import pytest

from village_sim.batch.compare import run_replicates
from village_sim.model import VillageMarket
from village_sim.run import load_scenario

pytestmark = pytest.mark.slow

BASELINE = Path(__file__).resolve().parents[2] / "scenarios" / "baseline.yaml"


def _local_exits(model: VillageMarket) -> list:
    return [a for a in model.anchor_list if a.is_local and a.exited]


def test_no_exit_window_artefact_and_a_mix_of_reasons():
    """No single tenure holds more than 15 % of local anchors' exits; no reason holds all."""
    tenures: Counter = Counter()
    reasons: Counter = Counter()
    for seed in range(1, 9):
        model = VillageMarket(load_scenario(BASELINE, overrides={"steps": 156}), seed=seed)
        for _ in range(156):
            model.step()
        for a in _local_exits(model):
            tenures[a.exit_week - a.start_week] += 1
            reasons[a.exit_reason] += 1
    total = sum(tenures.values())
    assert total >= 80
    assert max(tenures.values()) / total <= 0.15, tenures.most_common(3)
    assert len(reasons) >= 2 and max(reasons.values()) < total, reasons


SMALLER = {
    "population.consumer_units": 8000,
    "population.farmer_households": 2000,
    "population.youth": 300,
}
"""The directions tests' county (tests/model/test_directions.py): 20 paired seeds in minutes."""


WAGES = np.array([1000.0, 1300.0, 1700.0])
"""Urban wages of a migrant of average skill, yuan/week: local migrants' (NBS 2024: 4,291 a
month), the default (migrants outside their home county: 5,634 a month) and 30 % above it."""


def _wage_run(wage: float, seed: int, weeks: int) -> tuple[float, float]:
    """Exit hazard (exits per active anchor-week) and mean number of active local anchors."""
    overrides = {**SMALLER, "steps": weeks, "youth.urban_wage_week": wage}
    scenario = load_scenario(BASELINE, overrides=overrides)
    model = VillageMarket(scenario, seed=seed)
    active_weeks = 0
    for _ in range(weeks):
        model.step()
        active_weeks += sum(1 for a in model.anchors if a.kind == "local")
    exits = sum(1 for a in model.anchor_list if a.kind == "local" and a.exited)
    hazard = exits / max(active_weeks, 1)
    return hazard, active_weeks / weeks


@cache
def wage_slopes() -> tuple[np.ndarray, np.ndarray]:
    """Per-seed slopes over three urban wages (per 1,000 yuan/week), 20 paired seeds (§E)."""
    hazard_slopes, count_slopes = [], []
    for seed in range(20):
        runs = [_wage_run(w, seed, 104) for w in WAGES]
        hazard_slopes.append(np.polyfit(WAGES / 1000, [h for h, _ in runs], 1)[0])
        count_slopes.append(np.polyfit(WAGES / 1000, [n for _, n in runs], 1)[0])
    return np.array(hazard_slopes), np.array(count_slopes)


def test_a_higher_urban_wage_lowers_the_number_of_local_anchors():
    """ECONOMICS.md §E: fewer local anchors stream the better the city pays (slope CI < 0)."""
    from village_sim.metrics.stats import mean_ci

    _, count_slopes = wage_slopes()
    _, _, high = mean_ci(count_slopes)
    assert high < 0, count_slopes


WAGE_SEEDS = 60


@cache
def retention_by_wage() -> np.ndarray:
    """``anchor_retention_52w`` per (replicate, wage): full county, 156 weeks, paired seeds."""
    scenarios = [
        load_scenario(
            BASELINE,
            overrides={"steps": 156, "youth.urban_wage_week": w, "name": f"wage_{w:.0f}"},
        )
        for w in WAGES
    ]
    frame = run_replicates(scenarios, WAGE_SEEDS, root_seed=2026, workers=2)
    table = frame.pivot(index="replicate", columns="scenario", values="anchor_retention_52w")
    return table[[s.name for s in scenarios]].to_numpy(dtype=float)


def test_a_higher_urban_wage_lowers_retention():
    """Issue 12: baseline retention falls as the urban wage rises (full county, 156 weeks).

    Three wages, 60 paired seeds (root 2026): each seed's least-squares slope of
    ``anchor_retention_52w`` over the wages has its 95 % CI below zero, and so has the paired
    difference between the highest and the lowest wage. The effect is small and needs the seeds
    (measured at be0d2d4: slope -0.046 [-0.073, -0.020] per 1,000 yuan/week; 1,000 -> 1,700
    -0.033 [-0.052, -0.015], retention 0.286 -> 0.253). Eight seeds (the earlier form of this
    test, seeds 1-8) gave -0.081 [-0.155, -0.007]; seeds 1-60 give -0.035 [-0.057, -0.013].
    It falls through conversion (-0.053 [-0.074, -0.032] per 1,000 yuan/week): fewer trainees
    start when the city pays more; see the next test for the steps between the wages.
    """
    from village_sim.metrics.stats import mean_ci, paired_diff_ci

    retention = retention_by_wage()
    slopes = np.array([np.polyfit(WAGES / 1000, row, 1)[0] for row in retention])
    mean, low, high = mean_ci(slopes)
    assert high < 0, f"retention per 1,000 yuan/week: {mean:.3f} [{low:.3f}, {high:.3f}]"
    mean, low, high = paired_diff_ci(retention[:, 2], retention[:, 0])
    assert high < 0, f"retention, 1,700 - 1,000 yuan/week: {mean:.3f} [{low:.3f}, {high:.3f}]"


@pytest.mark.xfail(
    strict=False,
    reason="Issue 12 asks for each step between the three wages to lower retention with a paired "
    "CI below zero. These 60 seeds (root 2026, measured at be0d2d4) resolve 1,000 -> 1,300 "
    "(-0.023 [-0.038, -0.008]) and not 1,300 -> 1,700 (-0.010 [-0.028, +0.007]). The paired "
    "differences' sd is 0.065 and each step is about 0.02, so the steps need more seeds than a "
    "test run affords: 200 paired seeds (root 2026, experiments/urban_wage.yaml, ba466b0) resolve "
    "both, -0.018 [-0.027, -0.009] and -0.019 [-0.028, -0.010] (retention 0.286, 0.268, 0.249), "
    "and so do the 140 seeds after these 60 alone (-0.016 [-0.027, -0.005], -0.022 [-0.033, "
    "-0.012]). Retention moves little because the wage acts twice (per 1,000 yuan/week, 200 "
    "seeds): fewer trainees start (conversion -0.056 [-0.066, -0.045]) and more local anchors "
    "leave for the city (outside-option exits +2.3 [+1.3, +3.2] a run), but the trainees who do "
    "start are further from leaving (starter survival +0.012 [+0.002, +0.021]).",
)
def test_each_step_up_in_the_urban_wage_lowers_retention():
    """Issue 12: 1,000 -> 1,300 and 1,300 -> 1,700 yuan/week each lower retention (paired CIs)."""
    from village_sim.metrics.stats import paired_diff_ci

    retention = retention_by_wage()
    steps = [paired_diff_ci(retention[:, i + 1], retention[:, i]) for i in range(2)]
    assert all(high < 0 for _, _, high in steps), steps


@pytest.mark.xfail(
    strict=False,
    reason="ECONOMICS.md §E: the exit hazard of active local anchors rises with the urban wage. "
    "Every person's ΔV falls with the outside option (tests/agents/test_valuation.py), and the "
    "number of local anchors falls (the test above), but at the calibrated taste spread (2,270 "
    "yuan/week) whoever starts mostly stays (starter survival ~1): in this county a run has 0-2 "
    "local exits in 104 weeks, too few to measure a slope (at full scale the wage does select "
    "starters further from leaving: starter survival +0.019 [+0.002, +0.036] per 1,000 yuan, "
    "60 seeds, test above). Probe, 8 seeds: hazard slope "
    "+0.00013 [-0.00064, +0.00091] per 1,000 yuan. At full scale (baseline, 156 weeks, 8 seeds, "
    "e870e84) local anchors still leave 1-12 times a run: all-exit hazard slope -0.00059 "
    "[-0.0017, +0.0005], outside-option exits -0.00025 [-0.0006, +0.0001] per 1,000 yuan.",
)
def test_a_higher_urban_wage_raises_the_exit_hazard_of_local_anchors():
    """ECONOMICS.md §E: more of the active local anchors leave a week when the city pays more."""
    from village_sim.metrics.stats import mean_ci

    hazard_slopes, _ = wage_slopes()
    _, low, _ = mean_ci(hazard_slopes)
    assert low > 0, hazard_slopes
