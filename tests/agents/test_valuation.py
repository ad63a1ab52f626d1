"""The value of streaming against the outside option (ECONOMICS.md §A): formula and pieces."""

import numpy as np
import pytest
from helpers import small_scenario
from hypothesis import given, settings
from hypothesis import strategies as st

from village_sim.agents.valuation import (
    Traits,
    calendar,
    delta_v,
    discount_weights,
    draw_traits,
    skill_path,
)
from village_sim.model import VillageMarket
from village_sim.scenario.schema import Scenario


def delta_v_loop(margin_path, active, delta, outside, dormant, fixed, bonus, taste, beta, switch):
    """ΔV written as the sum of ECONOMICS.md §A, term by term."""
    total = 0.0
    for tau in range(1, len(active) + 1):
        a = active[tau - 1]
        m = margin_path[tau - 1]
        total += delta**tau * (
            a * (m + bonus * outside + taste) + (1 - a) * dormant - fixed - outside
        )
    return beta * total + switch


def _random_year(seed: int, margin: float) -> tuple[np.ndarray, np.ndarray]:
    """A margin path around ``margin`` and an activity calendar (60 % active) for 52 weeks."""
    rng = np.random.default_rng(seed)
    active = (rng.random(52) < 0.6).astype(float)
    return margin * (1 + 0.1 * rng.random(52)), active


@settings(max_examples=50, deadline=None)
@given(
    margin=st.floats(-2000, 5000),
    outside=st.floats(0, 3000),
    dormant=st.floats(0, 1000),
    fixed=st.floats(0, 500),
    bonus=st.floats(0.0, 0.5),
    taste=st.floats(-2000, 2000),
    beta=st.floats(0.1, 1.0),
    switch=st.floats(-5000, 5000),
    seed=st.integers(0, 100),
)
def test_delta_v_agrees_with_the_sum(
    margin, outside, dormant, fixed, bonus, taste, beta, switch, seed
):
    path, active = _random_year(seed, margin)
    fast = delta_v(
        margin_path=path,
        active=active,
        weights=discount_weights(0.999, 52),
        outside=outside,
        dormant=dormant,
        fixed=fixed,
        bonus_share=bonus,
        taste=taste,
        present_bias=beta,
        switch=switch,
    )
    plain = delta_v_loop(path, active, 0.999, outside, dormant, fixed, bonus, taste, beta, switch)
    assert fast == pytest.approx(plain, rel=1e-9, abs=1e-6)


@settings(max_examples=50, deadline=None)
@given(
    taste=st.floats(-3000, 3000),
    status=st.floats(0.0, 0.9),
    outside=st.floats(0, 3000),
    raise_by=st.floats(1, 2000),
    seed=st.integers(0, 100),
)
def test_a_better_outside_option_never_makes_streaming_worth_more(
    taste, status, outside, raise_by, seed
):
    """§E's wage direction at the level of one person, whatever their taste for the work."""
    path, active = _random_year(seed, 600.0)
    args = dict(
        margin_path=path,
        active=active,
        weights=discount_weights(0.999, 52),
        dormant=100.0,
        fixed=50.0,
        bonus_share=status,
        taste=taste,
        present_bias=0.7,
        switch=0.0,
    )
    assert delta_v(outside=outside + raise_by, **args) < delta_v(outside=outside, **args)


def test_present_bias_acts_on_future_flows_not_on_what_is_paid_now():
    args = dict(
        margin_path=np.full(52, 500.0),
        active=np.ones(52),
        weights=discount_weights(0.999, 52),
        outside=400.0,
        dormant=0.0,
        fixed=0.0,
        bonus_share=0.0,
        taste=0.0,
        switch=-3000.0,
    )
    patient = delta_v(present_bias=1.0, **args)
    myopic = delta_v(present_bias=0.5, **args)
    gain = patient + 3000.0
    assert myopic == pytest.approx(0.5 * gain - 3000.0)


def test_fresh_products_are_available_in_harvest_weeks_storable_all_year():
    fresh = calendar([[0, 1, 2]], [True])
    assert fresh.sum() == 3 and fresh[:3].all()
    assert calendar([[0, 1, 2], [10]], [True, False]).sum() == 52


def test_skill_path_approaches_aptitude_and_starts_below_it():
    path = skill_path(0.2, 0.8, 0.02, 4, 52)
    assert path[0] > 0.2 and np.all(np.diff(path) > 0) and path[-1] < 0.8


def test_traits_have_the_documented_centres():
    cfg = Scenario()
    rng = np.random.default_rng(0)
    draws = [draw_traits(rng, cfg, 1300.0) for _ in range(4000)]
    beta = np.array([t.present_bias for t in draws])
    assert abs(beta.mean() - 0.7) < 0.01 and abs(beta.std() - 0.15) < 0.01
    savings = np.median([t.savings for t in draws])
    assert savings == pytest.approx(8 * 1300, rel=0.05)
    guaranteed = np.mean([t.guaranteed_loan > 0 for t in draws])
    assert guaranteed == pytest.approx(0.2, abs=0.02)
    assert all(isinstance(t, Traits) for t in draws[:3])


def test_farm_household_members_draw_their_taste_from_their_own_scale():
    """Young people and farm members have separate taste scales (yuan/week, logistic)."""
    cfg = Scenario()
    rng = np.random.default_rng(1)
    young = np.array([draw_traits(rng, cfg, 1300.0).taste for _ in range(4000)])
    farm = np.array(
        [draw_traits(rng, cfg, None, cfg.farmers.taste_scale).taste for _ in range(4000)]
    )
    spread = np.pi / np.sqrt(3)  # a logistic's standard deviation per unit of scale
    assert young.std() == pytest.approx(cfg.anchors.taste_scale * spread, rel=0.1)
    assert farm.std() == pytest.approx(cfg.farmers.taste_scale * spread, rel=0.1)
    model = VillageMarket(small_scenario(farmers__taste_scale=0.0), seed=3)
    assert model.farmers.member_traits(0).taste == 0.0


def test_entry_gain_rises_with_the_prior_and_falls_with_the_outside_option():
    model = VillageMarket(seed=1)
    traits = Traits(0.7, 0.0, 1.0, 2000.0, 10000.0, 0.0)
    kwargs = dict(skill=0.5, aptitude=0.7, sessions=4, products=[0], dormant=100.0, traits=traits)
    low_wage = model.valuation.entry_gain(outside=300.0, **kwargs)
    high_wage = model.valuation.entry_gain(outside=1500.0, **kwargs)
    assert high_wage < low_wage


def test_before_any_peer_has_results_the_entry_gain_still_rises_with_skill():
    model = VillageMarket(seed=1)
    assert model.valuation.peers.count == 0
    traits = Traits(0.7, 0.0, 1.0, 2000.0, 10000.0, 0.0)
    gains = [
        model.valuation.entry_gain(
            skill=s,
            aptitude=0.8,
            sessions=4,
            products=[0],
            outside=800.0,
            dormant=400.0,
            traits=traits,
        )
        for s in (0.1, 0.4, 0.7)
    ]
    assert gains == sorted(gains)
