"""Live streaming and farm households' net income (paper §2.3; ECONOMICS.md §C, §E).

Each seed runs the baseline county and the same county with ``livestream.enabled: false`` (common
random numbers: the same households, villages, products and yields). Participants — households that
sold to an anchor or streamed after the burn-in in the baseline — are compared with *their own*
counterfactual selves (the same household indices in the run without live streaming); the county
compares every household. Both effects are paired differences over 8 seeds with a 95 % t interval.
The county effect is the participants' gain spread over all households plus the others' (checked as
an identity), so it is bounded by live streaming's reach among farm households.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

import numpy as np
import pytest

from village_sim.batch.seeds import replicate_seeds
from village_sim.metrics.stats import mean_ci
from village_sim.model import VillageMarket
from village_sim.run import load_scenario

pytestmark = pytest.mark.slow  # 16 runs of 156 weeks (about two minutes)

BASELINE = Path(__file__).resolve().parents[2] / "scenarios" / "baseline.yaml"
SEEDS = replicate_seeds(2026, 8)
WEEKS = 156


def _households(seed: int, livestream: bool) -> dict[str, np.ndarray]:
    scenario = load_scenario(BASELINE, overrides={"livestream.enabled": livestream})
    model = VillageMarket(scenario, seed=seed)
    for _ in range(WEEKS):
        model.step()
    farmers = model.farmers
    return {
        "income": farmers.yearly_income(),
        "participant": farmers.participants(),
        "village": farmers.village.copy(),
        "yield": farmers.yield_kg_year.copy(),
    }


@cache
def effects() -> dict[str, np.ndarray]:
    """Per seed: participants' and the county's gain in yearly net income (yuan/yr), and shares."""
    out: dict[str, list[float]] = {"participants": [], "others": [], "county": [], "share": []}
    for seed in SEEDS:
        with_ls, without = _households(seed, True), _households(seed, False)
        assert np.array_equal(with_ls["village"], without["village"])
        assert np.array_equal(with_ls["yield"], without["yield"])
        took_part = with_ls["participant"]
        gain = with_ls["income"] - without["income"]
        out["participants"].append(float(gain[took_part].mean()))
        out["others"].append(float(gain[~took_part].mean()))
        out["county"].append(float(gain.mean()))
        out["share"].append(float(took_part.mean()))
    return {k: np.array(v) for k, v in out.items()}


def test_live_streaming_raises_participants_net_income_against_their_own_counterfactual():
    mean, low, high = mean_ci(effects()["participants"])
    print(f"participants: +{mean:.0f} yuan/yr [{low:.0f}, {high:.0f}]")
    assert low > 0


def test_live_streaming_raises_the_county_mean_net_income_by_the_participants_gain():
    e = effects()
    mean, low, high = mean_ci(e["county"])
    others = mean_ci(e["others"])
    print(
        f"county: +{mean:.0f} yuan/yr [{low:.0f}, {high:.0f}]; participants' share "
        f"{e['share'].mean():.3f}; non-participants +{others[0]:.1f} [{others[1]:.1f}, "
        f"{others[2]:.1f}]"
    )
    assert low > 0
    # The county's gain is the participants' gain spread over all households plus what the others
    # gained (without a middlemen spillover, only goods they had sold to anchors before the burn-in).
    spread = e["participants"] * e["share"] + e["others"] * (1 - e["share"])
    assert np.allclose(e["county"], spread)
