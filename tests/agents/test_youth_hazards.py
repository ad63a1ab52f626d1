"""Every migrant's weekly return hazard, computed for all at once, equals the formula."""

from __future__ import annotations

import numpy as np
import pytest
from helpers import small_scenario

from village_sim.agents.youth import return_hazards_plain
from village_sim.model import VillageMarket


def test_youth_hazards_equal_the_formula_bit_for_bit():
    model = VillageMarket(small_scenario(), seed=4)
    for _ in range(3):
        model.step()
    assert model.youth_roster.seat_offer.any()  # courses announced to migrants (β_seat counts)
    cfg = model.config.youth
    beta = (
        cfg.beta0,
        cfg.beta_income,
        cfg.beta_attach,
        cfg.beta_recog,
        cfg.beta_amenity,
        cfg.beta_subsidy,
        cfg.beta_seat,
    )
    people = list(model.youth)
    expected = return_hazards_plain(
        beta,
        np.array([y.urban_wage for y in people]),
        np.array([y.attachment for y in people]),
        model.governance.amenities[[y.home_village for y in people]],
        model.beliefs.expected_rural_income,
        model.beliefs.recognition,
        model.governance.returnee_subsidy_week(),
        model.youth_roster.seat_offer[[y.youth_index for y in people]],
    )
    hazards = model.youth_roster.hazards(model)
    assert hazards[[y.youth_index for y in people]].tobytes() == expected.tobytes()


def test_a_changed_ability_is_seen_by_the_next_hazards():
    model = VillageMarket(small_scenario(), seed=4)
    person = next(y for y in model.youth if y.status == "migrant")
    before = model.youth_roster.hazards(model)[person.youth_index]
    person.ability = 1.0 if person.ability < 0.5 else 0.0  # the able earn more in the city
    after = model.youth_roster.hazards(model)[person.youth_index]
    assert after != before


def test_a_seat_announced_to_a_migrant_adds_beta_seat_to_its_return_logit():
    model = VillageMarket(small_scenario(youth__beta_seat=2.0), seed=4)
    person = next(
        y
        for y in model.youth
        if y.status == "migrant" and not model.youth_roster.seat_offer[y.youth_index]
    )
    before = model.youth_roster.hazards(model)[person.youth_index]
    model.youth_roster.offer_seats([person.youth_index], True)
    after = model.youth_roster.hazards(model)[person.youth_index]
    logit = np.log(before / (1 - before))
    assert np.log(after / (1 - after)) == pytest.approx(logit + 2.0)
    model.youth_roster.offer_seats([person.youth_index], False)
    assert model.youth_roster.hazards(model)[person.youth_index] == before


def _youth_state(model: VillageMarket) -> list[tuple]:
    return [
        (y.youth_index, str(y.status), y.returned_week, y.came_for_seat, y.stream_start_week)
        for y in model.youth
    ]


def test_batched_decisions_equal_shuffle_do_decide(monkeypatch):
    """``decide_all`` (migrants' draws in batches) gives what ``shuffle_do("decide")`` gives."""
    import village_sim.model as model_module

    fast = VillageMarket(small_scenario(), seed=7)
    plain = VillageMarket(small_scenario(), seed=7)
    returned, statuses = 0, set()
    for _ in range(40):  # the first migrants come home in week 22 (seed 7)
        fast.step()
        with monkeypatch.context() as patch:
            patch.setattr(model_module, "decide_all", lambda people, m: people.shuffle_do("decide"))
            plain.step()
        assert _youth_state(fast) == _youth_state(plain)
        returned += fast.week_stats["youth_returned"]
        statuses |= {str(y.status) for y in fast.youth}
    assert returned > 0  # migrants came home (the batched branch decided something)
    assert {"home", "training", "anchor"} <= statuses  # people the batches skip or call
    assert fast.streams["youth"].random() == plain.streams["youth"].random()
    assert fast.random.random() == plain.random.random()
