"""Each mechanism on its own: the behaviour MODEL.md §3 and §8 give it."""

from __future__ import annotations

import numpy as np
import pytest
from helpers import small_scenario

from village_sim.agents import tools as toolrules
from village_sim.agents.consumers import _EmptySeeding
from village_sim.agents.regulator import detection_probability
from village_sim.agents.youth import Youth
from village_sim.market.logistics import spoilage_fraction
from village_sim.market.platform import capped_shares, organic_weights
from village_sim.market.sessions import stall_probability
from village_sim.model import VillageMarket
from village_sim.randomness import draw_index, sampling_table, stochastic_round, thin
from village_sim.run import run
from village_sim.scenario.schema import ToolSpec


# -- stalls (paper §3.2) -------------------------------------------------------------------------
def test_stall_probability_falls_as_uplink_bandwidth_rises():
    bandwidth = np.array([4.0, 8, 16, 32, 64, 128, 256])
    p = stall_probability(bandwidth, np.ones(7), 0.02, 0.6, 20.0)
    assert np.all(np.diff(p) < 0)
    assert p[-1] == pytest.approx(0.02, abs=1e-3)


def test_power_outages_add_stalls():
    good = stall_probability(np.array([50.0]), np.array([1.0]), 0.02, 0.6, 20.0)
    bad = stall_probability(np.array([50.0]), np.array([0.9]), 0.02, 0.6, 20.0)
    assert bad[0] > good[0]
    assert bad[0] == pytest.approx(1 - (1 - good[0]) * 0.9)


def test_mountain_villages_stall_more_than_plain_ones_in_a_run():
    result = run(
        small_scenario(
            steps=40, **{"world__county__terrain_mix": {"plain": 0.5, "hill": 0.0, "mountain": 0.5}}
        ),
        seed=3,
    )
    stats = result.model.books.stats_frame()
    mountain = stats["stalled_mountain"].sum() / stats["sessions_mountain"].sum()
    overall = stats["sessions_stalled"].sum() / stats["sessions_hosted"].sum()
    assert mountain > overall


def test_more_bandwidth_everywhere_cuts_the_stall_rate():
    slow = run(
        small_scenario(
            **{
                "world__terrain__plain__uplink_mbps": 10,
                "world__terrain__hill__uplink_mbps": 10,
                "world__terrain__mountain__uplink_mbps": 10,
            }
        ),
        seed=1,
    )
    fast = run(
        small_scenario(
            **{
                "world__terrain__plain__uplink_mbps": 200,
                "world__terrain__hill__uplink_mbps": 200,
                "world__terrain__mountain__uplink_mbps": 200,
            }
        ),
        seed=1,
    )
    assert fast.indicators["stall_rate"] < slow.indicators["stall_rate"]


# -- cold chain and spoilage (paper §3.2) ---------------------------------------------------------
def test_spoilage_grows_with_days_and_falls_with_cold():
    days = np.array([1.0, 2, 4, 8])
    ambient = spoilage_fraction(0.06, days, np.ones(4))
    cold = spoilage_fraction(0.06, days, np.full(4, 0.1))
    assert np.all(np.diff(ambient) > 0)
    assert np.all(cold < ambient)


def test_cold_chain_cuts_spoilage_in_a_run():
    kwargs = {
        "steps": 52,
        "world__county__products_by_terrain": {
            "plain": ["kiwi"],
            "hill": ["shiitake"],
            "mountain": ["shiitake"],
        },
    }
    none = run(small_scenario(**kwargs, world__county__cold_chain_village_share=0.0), seed=2)
    full = run(
        small_scenario(
            **kwargs,
            world__county__cold_chain_village_share=1.0,
            logistics__hub_cold_capacity_kg_week=1e9,
        ),
        seed=2,
    )
    assert none.indicators["spoilage_rate_cold_chain"] is None
    assert full.indicators["spoilage_rate"] < none.indicators["spoilage_rate"]
    assert (
        full.indicators["spoilage_rate_cold_chain"] < none.indicators["spoilage_rate_no_cold_chain"]
    )


# -- tools (paper §3.1, §3.2: technology suspension) ------------------------------------------------
SPEC = ToolSpec(
    complexity=0.6,
    price=1000,
    upkeep_week=10,
    effort_week=50,
    effect="conversion",
    effect_size=0.3,
    fit_fresh=0.0,
    fit_other=0.8,
)


def test_a_tool_beyond_the_users_skill_stays_idle():
    assert not toolrules.in_use(SPEC, skill=0.3, support=0.0, fit_value=0.8, weekly_margin=1e5)
    assert toolrules.in_use(SPEC, skill=0.3, support=0.3, fit_value=0.8, weekly_margin=1e5)


def test_a_tool_that_does_not_fit_the_product_stays_idle():
    assert toolrules.weekly_value(SPEC, toolrules.fit(SPEC, fresh=True), 1e6) == 0.0
    assert not toolrules.in_use(
        SPEC, skill=1.0, support=0.0, fit_value=toolrules.fit(SPEC, fresh=True), weekly_margin=1e6
    )
    assert toolrules.in_use(
        SPEC, skill=1.0, support=0.0, fit_value=toolrules.fit(SPEC, fresh=False), weekly_margin=1e6
    )


def test_a_tool_that_does_not_pay_for_its_effort_stays_idle():
    assert not toolrules.in_use(SPEC, skill=1.0, support=0.0, fit_value=0.8, weekly_margin=100)


def test_an_idle_tool_returns_nothing_but_still_costs_upkeep():
    model = VillageMarket(small_scenario(), seed=0)
    for _ in range(3):
        model.step()
    anchor = next(a for a in model.anchor_list if not a.exited)
    anchor.skill = 0.0
    anchor.acquire_tool("ai_selection", handed_out=True)
    before = model.money.balances["anchors"][anchor.index]
    anchor._update_tool_use(active=True)
    assert not anchor.tools["ai_selection"].in_use
    assert anchor.tool_effect("conversion") == 0.0
    upkeep = model.config.tools.catalogue["ai_selection"].upkeep_week * 100
    assert model.money.balances["anchors"][anchor.index] <= before - upkeep


def test_handed_out_tools_to_unskilled_holders_are_counted_idle():
    model = VillageMarket(small_scenario(), seed=0)
    model.step()
    holders = [a for a in model.anchor_list if not a.exited]
    for a in holders:
        a.skill = 0.0
        a.acquire_tool("digital_human", handed_out=True)
    model.step()
    stats = model.week_stats
    assert stats["tool_idle_digital_human"] == stats["tool_held_digital_human"] > 0


# -- regulators (paper §4.3) ------------------------------------------------------------------------
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


# -- platform (extension) -----------------------------------------------------------------------------
def test_organic_weights_follow_followers_to_the_power_alpha():
    followers = np.array([0.0, 9.0, 99.0])
    flat = organic_weights(followers, np.zeros(3), np.zeros(3), 1.0, 1.0, 1.0, 100.0)
    steep = organic_weights(followers, np.zeros(3), np.zeros(3), 2.0, 1.0, 1.0, 100.0)
    assert flat[2] / flat[1] == pytest.approx(10.0)
    assert steep[2] / steep[1] == pytest.approx(100.0)


def test_newcomers_get_traffic_through_the_conversion_prior():
    w = organic_weights(np.array([0.0]), np.array([0.0]), np.array([0.0]), 1.0, 1.0, 1.0, 100.0)
    assert w[0] > 0


def test_capped_shares_respect_the_cap_and_sum_to_one():
    shares = capped_shares(np.array([100.0, 1, 1, 1, 1]), 0.3)
    assert shares.max() <= 0.3 + 1e-12
    assert shares.sum() == pytest.approx(1.0)


def test_a_higher_alpha_concentrates_traffic():
    hhi = {}
    for alpha in (0.0, 2.0):
        values = [
            run(
                small_scenario(steps=30, platform__alpha=alpha, platform__exploration_share=0.1),
                seed=s,
            ).indicators["traffic_hhi"]
            for s in (1, 2, 3)
        ]
        hhi[alpha] = np.mean(values)
    assert hhi[2.0] > hhi[0.0]


# -- random draws ---------------------------------------------------------------------------------------
def test_stochastic_rounding_keeps_the_mean():
    rng = np.random.default_rng(0)
    x = np.full(200_000, 0.37)
    assert stochastic_round(x, rng).mean() == pytest.approx(0.37, abs=0.005)
    counts = np.full(1000, 7)
    assert np.all(thin(counts, 0.999, rng) <= counts)


def test_sampling_table_draws_in_proportion():
    rng = np.random.default_rng(1)
    table = sampling_table(np.array([1.0, 3.0, 0.0, 6.0]))
    draws = draw_index(table, rng, 200_000)
    freq = np.bincount(draws, minlength=4) / draws.size
    assert freq[2] == 0
    assert freq == pytest.approx([0.1, 0.3, 0.0, 0.6], abs=0.01)


# -- youth (paper §3.1, §4.1) --------------------------------------------------------------------------
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


def test_start_chance_rises_with_skill():
    model = VillageMarket(small_scenario(), seed=0)
    youth = next(iter(model.youth))
    chances = []
    for skill in (0.1, 0.3, 0.5, 0.7):
        youth.skill = skill
        chances.append(youth.start_chance())
    assert np.all(np.diff(chances) > 0)


def test_standard_courses_convert_more_trainees_than_crash_courses():
    rates = {}
    for share in (1.0, 0.0):
        values = [
            run(
                small_scenario(steps=60, training__crash_share=share, training__seats_per_year=120),
                seed=s,
            ).indicators["training_conversion_rate"]
            for s in (1, 2, 3)
        ]
        rates[share] = np.mean([v for v in values if v is not None])
    assert rates[0.0] > rates[1.0]


# -- farmers and contracts (paper §3.1, §3.2) ------------------------------------------------------------
def test_poor_price_information_lowers_the_middleman_price():
    model = VillageMarket(small_scenario(), seed=0)
    farmers = model.farmers
    idx = np.arange(2)
    farmers.product[idx] = 0
    farmers.price_info[idx] = [0.0, 1.0]
    price = farmers.middleman_price(idx)
    assert price[0] < price[1]
    assert price[1] == pytest.approx(model.products[0].farm_gate_price)


def test_contracts_only_with_connected_households_whose_reservation_is_met():
    model = VillageMarket(small_scenario(steps=40), seed=5)
    for _ in range(40):
        model.step()
    farmers = model.farmers
    contracted = farmers.contract_anchor >= 0
    assert contracted.any()
    assert farmers.connected[contracted].all()
    for i in np.flatnonzero(contracted)[:50]:
        anchor = model.anchor_list[farmers.contract_anchor[i]]
        assert not anchor.exited


def test_live_streaming_pays_contract_farmers_more_than_middlemen():
    model = VillageMarket(small_scenario(steps=30), seed=2)
    paid = []
    for _ in range(30):
        model.step()
        receipts = model.money.receipts("farmers", ("contract_sale",))
        paid.append(receipts.sum())
    assert sum(paid) > 0
    assert model.week_stats is not None


def test_farm_income_is_lower_without_live_streaming():
    with_ls = run(small_scenario(steps=52), seed=3)
    without = run(small_scenario(steps=52, livestream__enabled=False), seed=3)
    assert without.indicators["gmv"] == 0
    assert without.indicators["active_anchors"] == 0
    assert with_ls.indicators["farmer_income_mean"] > without.indicators["farmer_income_mean"]


# -- consumers (extension) -----------------------------------------------------------------------------------
def test_trust_moves_toward_experience():
    model = VillageMarket(small_scenario(), seed=0)
    consumers = model.consumers
    units = np.array([0, 1])
    anchors = np.array([0, 0])
    consumers.follow_anchor[units, 0] = 0
    consumers.follow_people[units, 0] = 10
    consumers.follow_trust[units, 0] = 0.5
    consumers.experience(units, anchors, np.array([0, 0]), np.array([1.0, 0.0]), np.array([0, 0]))
    assert consumers.follow_trust[0, 0] > 0.5 > consumers.follow_trust[1, 0]


@pytest.mark.parametrize("seed, slots", [(0, 8), (1, 3), (2, 1), (3, 5)])
def test_seeding_many_anchors_at_once_equals_adding_them_one_by_one(seed, slots):
    """Initial followings of external anchors are seeded together; the slots must end up as if
    each anchor were added in turn (first free slot, then the first weakest one)."""
    scenario = small_scenario(population__external_anchors=0, consumers__follow_slots=slots)
    together = VillageMarket(scenario, seed=seed).consumers
    one_by_one = VillageMarket(scenario, seed=seed).consumers
    rng = np.random.default_rng(seed)
    n_anchors = 12
    people = rng.integers(0, 6, size=(together.n, n_anchors)) * (rng.random((together.n, 1)) < 0.9)
    people[: together.n // 3] = 1  # ties: a newcomer with as many people as the weakest stays out
    anchors = np.arange(n_anchors) + 3
    seeding = _EmptySeeding(together)
    for j, anchor in enumerate(anchors):
        seeding.add(anchor, people[:, j], 0.7)
    for j, anchor in enumerate(anchors):
        units = np.flatnonzero(people[:, j] > 0)
        one_by_one.add_follows(
            units, np.full(units.size, anchor), people[units, j], np.full(units.size, 0.7)
        )
    for name in ("follow_anchor", "follow_people", "follow_trust"):
        assert np.array_equal(getattr(together, name), getattr(one_by_one, name)), name
    assert np.array_equal(together.followers(20), one_by_one.followers(20))
    assert (together.follow_anchor >= 0).all(axis=1).any()  # some units filled every slot


def test_orders_never_exceed_stock():
    model = VillageMarket(small_scenario(steps=20), seed=1)
    for _ in range(20):
        model.step()
        orders = model.last_week.orders
        if orders is None:
            continue
        s = orders.sellers
        assert np.all(orders.grams <= s.stock_local + s.stock_import)


def test_hub_capacity_makes_parcels_wait_and_spoil_more():
    fresh = {
        "world__county__products_by_terrain": {
            "plain": ["kiwi"],
            "hill": ["shiitake"],
            "mountain": ["shiitake"],
        }
    }
    roomy = run(small_scenario(steps=40, **fresh), seed=6)
    shipped = roomy.model.books.stats_frame()["fresh_shipped_kg"]
    tight_capacity = float(shipped[shipped > 0].median()) * 0.5
    tight = run(
        small_scenario(steps=40, logistics__hub_capacity_kg_week=tight_capacity, **fresh), seed=6
    )
    assert sum(h.queued_kg for h in tight.model.hubs) > 0
    assert tight.indicators["spoilage_rate"] > roomy.indicators["spoilage_rate"]


# -- market network (MODEL.md §2) ------------------------------------------------------------------
def test_market_network_views_agree_with_the_arrays():
    from village_sim.metrics.network import follow_matrix, market_graph, supply_matrix

    model = VillageMarket(small_scenario(steps=30), seed=5)
    for _ in range(30):
        model.step()
    supply = supply_matrix(model)
    follows = follow_matrix(model)
    contracted = (model.farmers.contract_anchor >= 0) | (model.farmers.stream_anchor >= 0)
    assert supply.nnz == contracted.sum()
    assert follows.sum() == model.consumers.follow_people[model.consumers.follow_anchor >= 0].sum()
    graph = market_graph(model)
    supply_edges = sum(d["weight"] for u, _, d in graph.edges(data=True) if u[0] == "village")
    live = [a.index for a in model.anchor_list if not a.exited]
    assert supply_edges == supply[:, live].sum()
