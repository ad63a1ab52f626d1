"""The calibrated baseline: it passes its calibration targets over several seeds (out of sample),
and the calibrated defaults are those of ``calibration/posterior.csv``, tagged "calibrated"."""

from __future__ import annotations

import pandas as pd
import pytest
from conftest import BASELINE, REPO

from village_sim.metrics.patterns import evaluate
from village_sim.metrics.targets import load_targets

pytestmark = pytest.mark.slow  # statistical: many seeds at full or reduced scale

TARGETS = REPO / "calibration" / "targets.yaml"


# ------------------------------------------------------------------------------------------------
# The calibrated baseline passes its calibration targets over several seeds
# ------------------------------------------------------------------------------------------------
CALIBRATED_ROOT_SEED, CALIBRATED_REPLICATES = 7, 4


@pytest.fixture(scope="module")
def calibrated_baseline() -> pd.DataFrame:
    """The patterns of the shipped baseline (calibrated defaults) over four seeds, full scale.

    Seeds other than the calibration's (out of sample), on two local workers (~20 s).
    """
    from village_sim import load_scenario
    from village_sim.batch.compare import run_replicates

    frame = run_replicates(
        [load_scenario(BASELINE)], CALIBRATED_REPLICATES, CALIBRATED_ROOT_SEED, workers=2
    )
    runs = [
        {
            k: (None if pd.isna(v) else float(v))
            for k, v in row.items()
            if k not in ("scenario", "replicate", "seed")
        }
        for row in frame.to_dict("records")
    ]
    return evaluate(load_targets(TARGETS), runs)


def test_calibrated_baseline_passes_its_calibration_targets(
    calibrated_baseline: pd.DataFrame,
) -> None:
    fitted = calibrated_baseline[calibrated_baseline["role"].isin(["calibrate", "input"])]
    failing = fitted[~fitted["passed"]]
    assert failing.empty, "calibration targets failing:\n" + failing.to_string()


def test_calibrated_defaults_carry_their_provenance() -> None:
    """Each identified parameter of calibration/posterior.csv is the default, tagged calibrated."""
    from village_sim import load_scenario
    from village_sim.calibration.calibrate import get_path
    from village_sim.scenario.doc_table import iter_parameters

    posterior = pd.read_csv(REPO / "calibration" / "posterior.csv")
    identified = posterior[posterior["identified"]]
    assert not identified.empty
    base = load_scenario(BASELINE)
    rows = {row.name: row for row in iter_parameters()}
    for row in identified.itertuples():
        assert get_path(base, row.path) == pytest.approx(row.estimate), row.path
        assert rows[row.path].value == pytest.approx(row.estimate), row.path
        assert rows[row.path].provenance.startswith("calibrated"), row.path


# ------------------------------------------------------------------------------------------------
# Held-back patterns (role: validate): never fitted, reported; the ones that fail are strict xfails
# ------------------------------------------------------------------------------------------------
def _held_back(calibrated_baseline: pd.DataFrame, name: str) -> pd.Series:
    row = calibrated_baseline[calibrated_baseline["pattern"] == name]
    assert len(row) == 1 and row.iloc[0]["role"] == "validate"
    return row.iloc[0]


def failing(pattern: str, name: str, reason: str):
    """A held-back pattern the model misses: a strict expected failure with its mechanism."""
    return pytest.param(pattern, id=name, marks=pytest.mark.xfail(strict=True, reason=reason))


HELD_BACK = [
    # ECONOMICS.md §F: retention ≈ conversion × starter survival; only the first two are fitted.
    pytest.param(
        "starter_survival_52w", id="starter_survival_follows_from_retention_and_conversion"
    ),
    # Not fitted since the stall scale is a stream's bitrate (literature, PARAMETERS.md §6).
    pytest.param("stall_mountain", id="mountain_stalls_follow_from_upload_and_a_streams_bitrate"),
    # Not fitted since the decay and the cold-chain factor follow from storage life and Q10
    # (USDA Agriculture Handbook 66).
    pytest.param("spoilage_with_cold_chain", id="cold_chain_spoilage_follows_from_storage_life"),
    failing(
        "spoilage_without_cold_chain",
        "ambient_spoilage_follows_from_storage_life",
        "paper §3.2: fresh produce loses 20-30 % without a cold chain. Here 0.16 (0.15-0.17 "
        "over the 4 seeds): kiwi's decay from its storage life (4-5 months at 0 °C, 7.5x "
        "faster at 20 °C: 0.0556 a day, 0.050-0.0625 over that range) over routes of 2.7-4.4 days "
        "(baseline county) loses 14-22 % of parcels. The paper's figure (NDRC, around "
        "2010) counts fruit and vegetables through the whole circulation - wholesale markets, "
        "repeated handling - which a parcel sent from the village skips.",
    ),
    failing(
        "imitation",
        "imitation_share",
        "paper §3.1, §3.3: ~65 % of local anchors imitate. Here ~98 % do: a brand needs "
        "standard quality, and without standardisation a village's brand quality factor Q is "
        "0.25-0.4, so the brand's weekly gain G = m·f·(exp(ω_b·T_v·Q) − 1) is about 0.13·m·f — "
        "for a beginner selling ~14,000 yuan a year far below the upkeep U_b (50 yuan/week) "
        "and the up-front C_b (5,000 yuan) weighed with β ≈ 0.7 (13 of 522 anchors ever built "
        "one, baseline seed 1).",
    ),
    failing(
        "micro_sellers",
        "micro_seller_share",
        "paper §3.1: 87.3 % of rural e-commerce businesses sell under 500,000 yuan a "
        "year. Here ~99.7 % of rural anchors do: each is one person with one stream's demand "
        "(median annualised revenue ~14,000 yuan, 99th percentile ~240,000, baseline seed 1) "
        "and no mechanism lets a seller grow into a firm with staff, shops or several "
        "channels, which the paper's businesses include.",
    ),
]


@pytest.mark.parametrize("pattern", HELD_BACK)
def test_held_back_pattern_is_met(calibrated_baseline: pd.DataFrame, pattern: str) -> None:
    """A pattern never fitted, checked at the calibrated defaults (its band, over the seeds)."""
    row = _held_back(calibrated_baseline, pattern)
    assert row["passed"], row.to_dict()
