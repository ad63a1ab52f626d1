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
