"""Indicator definitions on hand-made states (INTERFACE.md)."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from helpers import small_scenario

from village_sim.metrics.indicators import exit_tenure_max_share
from village_sim.run import run


def _anchor(start, exit_week, local=True):
    return SimpleNamespace(
        start_week=start, exit_week=exit_week, exited=exit_week is not None, is_local=local
    )


def test_exit_tenure_max_share_is_the_largest_share_of_exits_at_one_tenure():
    anchors = [
        _anchor(0, 32),
        _anchor(5, 37),
        _anchor(1, 11),
        _anchor(0, None),
        _anchor(0, 9, False),
    ]
    assert exit_tenure_max_share(SimpleNamespace(anchor_list=anchors)) == pytest.approx(2 / 3)
    assert exit_tenure_max_share(SimpleNamespace(anchor_list=[_anchor(0, None)])) is None


def test_seats_filled_never_exceed_seats_offered():
    result = run(small_scenario(steps=30), seed=3)
    stats = result.model.books.stats_frame()
    assert (stats["seats_filled"] <= stats["seats_offered"]).all()
    assert stats["seats_offered"].sum() > 0
    assert 0 <= result.indicators["seat_fill_rate"] <= 1
    after_burn_in = stats["week"] >= result.scenario.metrics.burn_in_weeks
    assert (
        result.indicators["trainee_applicants"]
        == stats.loc[after_burn_in, "trainee_applicants"].sum()
    )
