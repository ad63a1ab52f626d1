"""Training seats (ECONOMICS.md §B): returnees who apply, migrants a seat brings home, farm members."""

from __future__ import annotations

import numpy as np
from helpers import small_scenario

from village_sim.model import VillageMarket
from village_sim.run import run


def _no_one_at_home(**overrides):
    """Nobody at home and (nearly) no spontaneous return: seats are filled only as §B says."""
    return small_scenario(population__youth_at_home_share=0.0, youth__beta0=-30.0, **overrides)


def test_each_course_is_announced_to_three_times_its_open_seats():
    model = VillageMarket(_no_one_at_home(), seed=1)
    model.training.step()  # week 0: announce the courses of weeks 0-4, open week 0's
    pending = model.training.announced
    assert pending, "a course starting within 4 weeks is announced"
    for notice in pending:
        assert len(notice.invited) == 3 * notice.seats  # no applicant at home: all seats open
    invited = [i for notice in pending for i in notice.invited]
    assert len(set(invited)) == len(invited)  # nobody is told twice
    offered = np.flatnonzero(model.youth_roster.seat_offer)
    assert sorted(offered.tolist()) == sorted(invited)
    people = {y.youth_index: y for y in model.youth}
    assert all(people[i].status == "migrant" for i in invited)


def test_applicants_at_home_leave_fewer_seats_to_announce():
    """Applicants waiting at home go to the earliest courses; migrants hear of the rest."""
    model = VillageMarket(_no_one_at_home(), seed=1)
    for y in list(model.youth)[:5]:
        y.status = "home"
        model.training.apply(y)
    model.training._announce(0)  # the courses of weeks 0-4, before any opens
    notices = model.training.announced
    assert [(n.course, n.start_week) for n in notices] == [
        ("standard", 0),
        ("crash", 0),
        ("crash", 4),
    ]
    left = 5
    for notice in notices:
        taken = min(left, notice.seats)
        left -= taken
        assert len(notice.invited) == 3 * (notice.seats - taken)
    assert len(notices[0].invited) == 0 < len(notices[1].invited) < len(notices[2].invited)


def test_a_migrant_a_seat_brings_home_applies_and_the_offer_ends_when_the_course_starts():
    model = VillageMarket(
        _no_one_at_home(youth__beta_seat=40.0, youth__remigrate_hazard=0.0), seed=2
    )
    for _ in range(5):  # the week-4 crash course was announced at week 0
        model.step()
    returned = [y for y in model.youth if y.came_for_seat]
    assert returned, "with a large beta_seat the invited come home"
    assert all(y.status != "migrant" for y in returned)
    course4 = [c for c in model.training.cohorts if c.start_week == 4]
    assert course4 and set(course4[0].members) <= set(returned)
    still_told = [n for notice in model.training.announced for n in notice.invited]
    assert sorted(np.flatnonzero(model.youth_roster.seat_offer).tolist()) == sorted(
        i for i in still_told if model.youth_roster.seat_offer[i]
    )


def test_more_seats_bring_more_migrants_home_for_training():
    """Paired seeds: 240 seats a year against 30; the seat fill is reported for both."""
    counts = {}
    for seats in (30, 240):
        results = [
            run(small_scenario(steps=40, training__seats_per_year=seats), seed=s) for s in (1, 2, 3)
        ]
        counts[seats] = np.array([r.indicators["seat_returnees"] for r in results])
        for r in results:
            assert 0 <= r.indicators["seat_fill_rate"] <= 1
    assert (counts[240] > counts[30]).all(), counts


def test_empty_seats_are_counted_as_offered_not_filled():
    model = VillageMarket(_no_one_at_home(youth__beta_seat=-30.0), seed=3)
    offered = filled = 0
    for _ in range(20):
        model.step()
        offered += model.week_stats["seats_offered"]
        filled += model.week_stats["seats_filled"]
    assert offered > 0 and filled == 0
    assert not any(c.members for c in model.training.cohorts)


def test_farm_household_members_take_the_seats_left_empty_when_switched_on():
    off = VillageMarket(_no_one_at_home(youth__beta_seat=-30.0), seed=5)
    on = VillageMarket(_no_one_at_home(youth__beta_seat=-30.0, training__farm_members=True), seed=5)
    n_before = on.youth_roster.count
    for _ in range(14):
        off.step()
        on.step()
    assert not any(c.members for c in off.training.cohorts)
    members = [y for y in on.youth if y.household is not None]
    assert members and on.youth_roster.count == n_before + len(members)
    seated = [y for c in on.training.cohorts for y in c.members]
    assert seated and set(seated) <= set(members)
    households = [y.household for y in members]
    assert len(set(households)) == len(households)  # one member per household
    farmers = on.farmers
    assert not farmers.elderly[households].any()
    assert all(y.home_village == farmers.village[y.household] for y in members)
    ids = [y.person_id for y in on.youth] + farmers.person_id.tolist()
    ids += [a.person_id for a in on.anchor_list if a.kind == "external"]
    assert len(set(ids)) == len(ids)  # a new member is a new person
    assert on.money.balances["youth"].size >= on.youth_roster.count
