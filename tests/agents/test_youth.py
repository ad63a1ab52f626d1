"""Youth: return hazard, recognition, training gain, starting to stream (paper §3.1)."""

from __future__ import annotations

import numpy as np
import pytest
from helpers import small_scenario

from village_sim.agents.valuation import Peers
from village_sim.agents.youth import Youth
from village_sim.model import VillageMarket


def _a_migrant(model: VillageMarket) -> Youth:
    return next(y for y in model.youth if y.status == "migrant")


def test_return_hazard_rises_with_rural_income_and_falls_with_ability():
    model = VillageMarket(small_scenario(), seed=0)
    youth = _a_migrant(model)
    low = youth.return_hazard()
    model.beliefs.expected_rural_income *= 4
    assert youth.return_hazard() > low
    youth.ability = 0.95
    able = youth.return_hazard()
    youth.ability = 0.05
    assert youth.return_hazard() > able


def test_recognition_raises_the_return_hazard():
    model = VillageMarket(small_scenario(), seed=0)
    youth = _a_migrant(model)
    model.beliefs.recognition = 0.1
    low = youth.return_hazard()
    model.beliefs.recognition = 0.9
    assert youth.return_hazard() > low


def test_training_gain_follows_the_course_formula():
    model = VillageMarket(small_scenario(), seed=0)
    youth = next(iter(model.youth))
    youth.skill, youth.aptitude = 0.2, 0.5
    youth.finish_course(0.4)
    assert youth.skill == pytest.approx(0.2 + 0.4 * 0.5 * 0.8)
    assert youth.trained and youth.status == "trained"


def test_the_entry_gain_rises_with_skill():
    """A more skilled beginner expects a higher margin (the prior's skill term, ECONOMICS.md §A)."""
    model = VillageMarket(small_scenario(), seed=0)
    model.valuation.peers = Peers(
        median_margin=1500.0,
        count=5,
        mean_skill=0.4,
        mean_sessions=model.valuation.peers.mean_sessions,
    )
    youth = next(iter(model.youth))
    gains = []
    for skill in (0.1, 0.3, 0.5, 0.7):
        youth.skill = skill
        gains.append(youth.entry_gain())
    assert np.all(np.diff(gains) > 0)
