"""Regulators: detection, fines (paper §4.3)."""

from __future__ import annotations

import pytest
from helpers import small_scenario

from village_sim.agents.regulator import detection_probability
from village_sim.run import run


def test_detection_probability_combines_independent_channels():
    assert detection_probability(0.3, 0.0, 0.0) == pytest.approx(0.3)
    assert detection_probability(0.3, 0.5, 0.0) == pytest.approx(1 - 0.7 * 0.5)
    assert detection_probability(0.0, 0.0, 0.0) == 0.0


def test_a_regulator_with_no_capacity_catches_nobody():
    scenario = small_scenario(
        steps=40,
        regulation__inspections_per_week=0,
        anchors__honesty_cost_median=0.0,
        external_anchors__honesty_cost_median=0.0,
    )
    result = run(scenario, seed=4)
    stats = result.model.books.stats_frame()
    assert stats["kg_fake_sold"].sum() > 0, "cheap honesty should produce fake-origin sales"
    assert stats["inspections"].sum() == 0
    assert stats["detections"].sum() == 0
    assert result.model.money.balances["government"][0] == 0


def test_regulators_with_capacity_fine_cheaters():
    scenario = small_scenario(
        steps=40,
        regulation__inspections_per_week=20,
        regulation__p_detect_base=1.0,
        anchors__honesty_cost_median=0.0,
        external_anchors__honesty_cost_median=0.0,
    )
    result = run(scenario, seed=4)
    assert result.model.books.stats_frame()["detections"].sum() > 0
    assert result.model.money.balances["government"][0] > 0
