"""Starting to stream as an economic choice (ECONOMICS.md §B): Calvo reviews, ΔV_entry, premises."""

from __future__ import annotations

import numpy as np
import pytest
from helpers import small_scenario

from village_sim.agents import entry
from village_sim.model import VillageMarket
from village_sim.run import run


class StubValuation:
    """The model's valuation with ``entry_gain`` replaced: a fixed gain, every call recorded."""

    def __init__(self, real, gain: float) -> None:
        self._real = real
        self.gain = gain
        self.calls: list[dict] = []

    def entry_gain(self, **terms) -> float:
        self.calls.append(terms)
        return self.gain

    def __getattr__(self, name: str):
        return getattr(self._real, name)


def _stub(model: VillageMarket, gain: float) -> StubValuation:
    stub = StubValuation(model.valuation, gain)
    model.valuation = stub
    return stub


@pytest.mark.parametrize("review_weeks", [1, 4, 13, 52])
def test_the_review_share_is_one_over_r(review_weeks):
    rng = np.random.default_rng(7)
    n = 200_000
    share = entry.reviews(rng, n, review_weeks).mean()
    p = 1 / review_weeks
    assert abs(share - p) < 4 * np.sqrt(p * (1 - p) / n) + 1e-12
    single = np.mean([entry.reviews_now(rng, review_weeks) for _ in range(20_000)])
    assert abs(single - p) < 4 * np.sqrt(p * (1 - p) / 20_000) + 1e-12


def _at_home(model: VillageMarket):
    person = next(iter(model.youth))
    person.status = "home"
    person.trained = True  # no application for a course in the way
    return person


def test_a_person_starts_only_when_the_entry_gain_is_positive():
    for gain, started in ((-1.0, False), (0.0, False), (1.0, True)):
        model = VillageMarket(small_scenario(youth__home_review_weeks=1), seed=3)
        stub = _stub(model, gain)
        person = _at_home(model)
        model.world.premises[person.home_village] = -1  # no cap
        person.decide()
        assert len(stub.calls) == 1
        assert (person.status == "anchor") is started
        assert (person.anchor is not None) is started


def test_no_start_without_free_premises_even_when_streaming_pays():
    model = VillageMarket(small_scenario(youth__home_review_weeks=1), seed=3)
    stub = _stub(model, 1e6)
    person = _at_home(model)
    model.world.premises[person.home_village] = 0
    person.decide()
    assert person.status != "anchor" and person.anchor is None
    assert stub.calls == []  # no premises, nothing to value


def test_the_entry_gain_reads_the_persons_outside_option_traits_and_village():
    model = VillageMarket(small_scenario(youth__home_review_weeks=1), seed=3)
    stub = _stub(model, -1.0)
    person = _at_home(model)
    model.world.premises[person.home_village] = -1
    person.decide()
    (terms,) = stub.calls
    assert terms["outside"] == person.outside_option()
    assert terms["dormant"] == person.dormant_wage()
    assert terms["traits"] is person.traits
    assert terms["skill"] == person.skill and terms["aptitude"] == person.aptitude
    assert set(terms["products"]) >= set(
        int(p) for p in model.world.village_products[person.home_village]
    )


def test_outside_option_is_the_discounted_urban_wage_or_casual_work_at_home():
    model = VillageMarket(small_scenario(youth__home_premium=0.3), seed=3)
    person = next(iter(model.youth))
    cfg = model.config.youth
    w_d = cfg.dormant_wage_share * cfg.local_wage_week
    assert person.dormant_wage() == pytest.approx(w_d)
    person.attachment = 0.5
    assert person.outside_option() == pytest.approx(max(person.urban_wage * (1 - 0.3 * 0.5), w_d))
    model_h = VillageMarket(small_scenario(youth__home_premium=1.0), seed=3)
    poor = next(iter(model_h.youth))
    poor.attachment = 1.0
    assert poor.outside_option() == pytest.approx(w_d)  # nothing left of the city wage


def test_trainees_decide_at_course_end_then_with_r4_for_the_window_then_with_r13():
    window = 26
    model = VillageMarket(
        small_scenario(youth__remigrate_hazard=0.0, youth__start_window_weeks=window), seed=11
    )
    stub = _stub(model, -1.0)  # never starts: every week is a review or not
    people = list(model.youth)
    for person in people:
        person.finish_course(0.0)  # status trained, course ended this week
    reviews: dict[int, int] = {}
    for week in range(window + 60):
        model.week = week
        before = len(stub.calls)
        for person in people:
            person.decide()
        reviews[week] = len(stub.calls) - before
    n = len(people)
    assert reviews[0] == n  # everybody decides at course end
    in_window = sum(reviews[w] for w in range(1, window)) / (n * (window - 1))
    assert in_window == pytest.approx(1 / 4, abs=4 * np.sqrt(0.25 * 0.75 / (n * (window - 1))))
    assert all(p.status == "home" for p in people)  # the window is over
    after = sum(reviews[w] for w in range(window + 1, window + 60)) / (n * 59)
    assert after == pytest.approx(1 / 13, abs=4 * np.sqrt((1 / 13) * (12 / 13) / (n * 59)))


def test_migrants_and_people_in_a_course_do_not_review():
    model = VillageMarket(small_scenario(), seed=2)
    stub = _stub(model, 1.0)
    for person in model.youth:
        person.status = "migrant" if person.youth_index % 2 else "training"
    model.youth_roster.invalidate()
    for person in model.youth:
        if person.status == "training":
            person.decide()
    assert stub.calls == []


def test_farmers_review_once_in_r_weeks_and_start_only_when_it_pays():
    model = VillageMarket(small_scenario(), seed=4)
    farmers = model.farmers
    cfg = model.config.farmers
    eligible = farmers.connected & (farmers.literacy >= cfg.literacy_to_stream)
    assert eligible.sum() > 50
    stub = _stub(model, -1.0)
    weeks = 40
    for _ in range(weeks):
        farmers.start_streaming()
    share = len(stub.calls) / (eligible.sum() * weeks)
    p = 1 / cfg.start_review_weeks
    assert share == pytest.approx(p, abs=4 * np.sqrt(p * (1 - p) / (eligible.sum() * weeks)))
    assert (farmers.stream_anchor == -1).all()
    call = stub.calls[0]
    assert call["outside"] == call["dormant"] > 0  # the displaced off-farm wage (§A, §C)
    model.world.premises[:] = -1
    stub.gain = 1.0
    for _ in range(10):
        farmers.start_streaming()
    started = np.flatnonzero(farmers.stream_anchor != -1)
    assert started.size > 0 and eligible[started].all()


def test_conversion_emerges_from_the_entry_rule():
    """Trainees start or not by their own ΔV: some do, not all; standard courses convert more."""
    rates = {}
    for share in (0.0, 1.0):
        values = [
            run(
                small_scenario(steps=60, training__crash_share=share, training__seats_per_year=120),
                seed=s,
            ).indicators["training_conversion_rate"]
            for s in (1, 2, 3)
        ]
        rates[share] = np.mean([v for v in values if v is not None])
    assert 0 < rates[1.0] < 1 and 0 < rates[0.0] < 1


def test_a_former_anchor_values_a_restart_from_its_own_results_not_the_prior():
    """M̂ starts at the prior only before any result (§A): a leaver does not re-enter on it."""
    from types import SimpleNamespace

    model = VillageMarket(small_scenario(), seed=3)
    person = _at_home(model)
    beginner = person.entry_gain()  # the public prior (M_pub with no peers yet)
    prior = model.valuation.prior_margin(
        person.skill, model.config.anchors.sessions_per_week, person.traits.belief
    )
    person.anchor = SimpleNamespace(margin_hat=prior / 4, margin_count=10, exited=True)
    assert person.entry_gain() < beginner
    person.anchor = SimpleNamespace(margin_hat=prior * 4, margin_count=10, exited=True)
    assert person.entry_gain() > beginner
    person.anchor = SimpleNamespace(margin_hat=prior, margin_count=10, exited=True)
    assert person.entry_gain() == pytest.approx(beginner)


def test_an_insolvent_exit_costs_the_person_the_guaranteed_loan_and_they_may_start_again():
    from dataclasses import replace

    model = VillageMarket(small_scenario(youth__home_review_weeks=1), seed=3)
    _stub(model, 1.0)
    person = _at_home(model)
    model.world.premises[person.home_village] = -1
    person.traits = replace(person.traits, guaranteed_loan=50_000.0)
    person.decide()
    assert person.status == "anchor"
    first = person.anchor
    first.retire("insolvent")
    assert person.status == "exited" and person.stream_exit_week == model.week
    assert person.traits.guaranteed_loan == 0.0
    model.week += 1
    person.decide()  # reviews at home (R = 1 here) and, as it pays, starts again
    assert person.status == "anchor" and person.anchor is not first
    assert person.anchor.traits.guaranteed_loan == 0.0
    assert person.stream_exit_week is None and person.stream_start_week == first.start_week


def test_no_start_when_savings_and_credit_do_not_cover_the_start_up_cost():
    from dataclasses import replace

    model = VillageMarket(small_scenario(youth__home_review_weeks=1), seed=3)
    stub = _stub(model, 1e6)
    person = _at_home(model)
    model.world.premises[person.home_village] = -1
    cost = model.config.anchors.start_cost
    person.traits = replace(
        person.traits, savings=cost / 2, credit_line=cost / 2 - 1, guaranteed_loan=0.0
    )
    person.decide()
    assert person.status != "anchor" and stub.calls == []
    person.traits = replace(person.traits, credit_line=cost / 2)
    person.decide()
    assert person.status == "anchor"
