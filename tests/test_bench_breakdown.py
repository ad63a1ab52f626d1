"""The week breakdown benchmark: its stages are the week, and timing them changes no number."""

from __future__ import annotations

import importlib.util
import sys

import pandas as pd
from conftest import REPO


def _load(name: str):
    spec = importlib.util.spec_from_file_location(name, REPO / "benchmarks" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


# week_breakdown imports bench_scale as a sibling module (its folder is on sys.path when run)
sys.modules.setdefault("bench_scale", _load("bench_scale"))
breakdown = _load("week_breakdown")

WEEKS = 4


def _run(step_with_times: bool) -> pd.DataFrame:
    model = breakdown._build("baseline", WEEKS, seed=5)
    step, labels = breakdown.timed_step()
    times = [0.0] * len(labels)
    for _ in range(WEEKS):
        if step_with_times:
            step(model, times)
        else:
            model.step()
    return model.datacollector.get_model_vars_dataframe()


def test_timed_week_gives_the_same_numbers_as_the_model_step():
    pd.testing.assert_frame_equal(_run(True), _run(False))


def test_stages_are_the_statements_of_the_step_and_add_up_to_the_week():
    labels, ms, total = breakdown.stage_times("baseline", WEEKS, seed=5, runs=1)
    assert any("self.consumers.choose" in label for label in labels)
    assert sum('shuffle_do("plan_week")' in label for label in labels) == 1
    assert len(labels) == len(ms)
    # The clock reads between statements are all that is not attributed to a stage.
    assert 0.8 * total <= sum(ms) <= total * 1.001


def test_decision_timers_count_every_kind_and_put_the_methods_back():
    from village_sim.agents.anchor import Anchor

    before = Anchor.plan_week
    ms, calls, total = breakdown.decision_times("baseline", WEEKS, seed=5, runs=1)
    assert Anchor.plan_week is before
    kinds = {kind for kind, _ in ms}
    assert "external" in kinds  # the baseline's city anchors plan from week 0
    assert all(calls[key] > 0 for key in ms)
    assert 0 < sum(ms.values()) < total
