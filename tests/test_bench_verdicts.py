"""The speed benchmark's verdicts: a target passes or fails only when its repetitions agree."""

from __future__ import annotations

import importlib.util
from typing import Any

from conftest import REPO

_spec = importlib.util.spec_from_file_location(
    "bench_scale", REPO / "benchmarks" / "bench_scale.py"
)
bench = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(bench)


def _scenario(build: list[float], step: list[float], bz_step: list[float] | None) -> dict[str, Any]:
    out: dict[str, Any] = {
        "individuals": 100,
        "build_s": build,
        "step_s": step,
        "build_median_s": bench.median(build),
        "step_median_s": bench.median(step),
        "total_median_s": bench.median([b + s for b, s in zip(build, step, strict=True)]),
        "agent_steps_per_s": 100 * 52 / bench.median(step),
        "memory": {"rss_peak_run_mb": 600.0},
    }
    if bz_step is not None:
        out["boltzmann"] = {
            "step_s": bz_step,
            "agent_steps_per_s": 100 * 52 / bench.median(bz_step),
        }
        out["ratio_vs_boltzmann_per_rep"] = [b / s for s, b in zip(step, bz_step, strict=True)]
    return out


def _summary(base: dict[str, Any], prov: dict[str, Any]) -> dict[str, Any]:
    return bench.summarize({"scenarios": {"baseline": base, "province": prov}})


def test_a_target_passes_only_when_every_repetition_meets_it() -> None:
    prov = _scenario([0.5] * 3, [10.0] * 3, None)
    agree = _summary(_scenario([0.05] * 3, [1.0, 1.1, 1.2], [1.3, 1.4, 1.5]), prov)
    assert agree["verdict_baseline_vs_boltzmann"] == "PASS"
    assert agree["verdict_province_factor"] == "PASS"  # 10.5 / 1.05 ... 10.5 / 1.25, all <= 11
    # The same medians with one repetition below 1.0: the median passes, the verdict does not.
    mixed = _summary(_scenario([0.05] * 3, [1.0, 1.1, 1.6], [1.3, 1.4, 1.5]), prov)
    assert mixed["baseline_vs_boltzmann"] >= 1.0
    assert mixed["verdict_baseline_vs_boltzmann"] == "MIXED (2 of 3 repetitions pass)"
    assert mixed["target_baseline_vs_boltzmann"] is False  # the JSON's flag follows the verdict
    slow = _summary(_scenario([0.05] * 3, [2.0, 2.1, 2.2], [1.3, 1.4, 1.5]), prov)
    assert slow["verdict_baseline_vs_boltzmann"] == "FAIL"


def test_the_province_factor_is_read_turn_by_turn() -> None:
    base = _scenario([0.05] * 3, [1.0, 2.0, 1.0], [1.0, 2.0, 1.0])
    prov = _scenario([0.5] * 3, [10.0, 10.0, 12.0], None)
    s = _summary(base, prov)
    assert [round(f, 2) for f in s["province_over_baseline_per_rep"]] == [10.0, 5.12, 11.9]
    assert s["verdict_province_factor"] == "MIXED (2 of 3 repetitions pass)"


def test_a_noisy_machine_is_named_in_the_report() -> None:
    prov = _scenario([0.5] * 3, [10.0] * 3, None)
    quiet = _summary(_scenario([0.05] * 3, [1.0] * 3, [1.0, 1.1, 1.2]), prov)
    assert bench.noise_note(quiet) == []
    noisy = _summary(_scenario([0.05] * 3, [1.0] * 3, [1.0, 2.0, 1.2]), prov)
    assert "varied 2.0x between repetitions" in " ".join(bench.noise_note(noisy))
