"""Governance policies: schedules, budgets, accounting, and each measure acting through agents."""

from __future__ import annotations

import numpy as np
import pytest
from helpers import small_scenario

from village_sim.model import VillageMarket
from village_sim.run import run


def policy(
    path: str, measures: dict, budget: float = 1e7, start: int = 0, end=None, name: str = "p"
) -> dict:
    return {
        "name": name,
        "path": path,
        "start_week": start,
        "end_week": end,
        "budget_yuan": budget,
        "measures": measures,
    }


def model_with(*policies: dict, **overrides) -> VillageMarket:
    return VillageMarket(small_scenario(policies=list(policies), **overrides), seed=1)


def step_until(model: VillageMarket, week: int) -> None:
    while model.week < week:
        model.step()


# -- schedule ------------------------------------------------------------------------------------
def test_a_recurring_measure_acts_exactly_from_start_to_end():
    m = model_with(
        policy("co_governance", {"platform_fairness": {"top_share_cap": 0.05}}, start=3, end=6)
    )
    caps = []
    for _ in range(8):
        m.step()
        caps.append(m.governance.levers.top_share_cap)
    assert caps == [1.0, 1.0, 1.0, 0.05, 0.05, 0.05, 1.0, 1.0]


def test_one_off_investments_are_made_in_the_start_week_and_stay():
    m = model_with(policy("infrastructure", {"broadband": {"uplink_mbps": 500}}, start=4, end=6))
    step_until(m, 4)
    assert m.world.uplink_mbps.max() < 500
    m.step()
    assert (m.world.uplink_mbps == 500).all()
    step_until(m, 10)
    assert (m.world.uplink_mbps == 500).all()


# -- budgets ---------------------------------------------------------------------------------------
def test_a_purchase_larger_than_the_remaining_budget_is_not_made():
    cost = 300_000
    m = model_with(
        policy(
            "infrastructure",
            {"broadband": {"uplink_mbps": 500, "yuan_per_village": cost}},
            budget=2.5 * cost,
        )
    )
    m.step()
    assert (m.world.uplink_mbps == 500).sum() == 2
    assert m.governance.spent_yuan["p"] == pytest.approx(2 * cost)


def test_spending_never_exceeds_budgets_and_balances():
    budget = 200_000
    result = run(
        small_scenario(
            steps=26,
            policies=[
                policy(
                    "talent",
                    {
                        "training": {"seats_per_year": 500, "standard_share": 1.0},
                        "returnee_subsidy": {"yuan_per_month": 2000},
                    },
                    budget=budget,
                ),
                policy(
                    "co_governance",
                    {"regulator_capacity": {"extra_inspections_per_week": 5}},
                    budget=budget / 2,
                    name="q",
                ),
            ],
        ),
        seed=2,
    )
    gov = result.model.governance
    assert gov.spent_yuan["p"] <= budget + 1e-6
    assert gov.spent_yuan["q"] <= budget / 2 + 1e-6
    assert result.indicators["policy_spend"] == pytest.approx(gov.spend_total())
    assert result.indicators["policy_spend"] > 0
    assert result.indicators["money_balance_error_yuan"] == 0
    assert result.indicators["goods_balance_error_kg"] == 0


def test_policy_spending_flows_out_of_the_government_budget_account():
    m = model_with(policy("supply_side", {"traceability": {"yuan_per_village": 1000}}))
    before = int(m.money.balances["government_budget"][0])
    m.step()
    spent_fen = before - int(m.money.balances["government_budget"][0])
    assert spent_fen >= m.governance.spend_total() * 100
    assert m.money.total() == m.money.opening_total


# -- measures act through agents ---------------------------------------------------------------------
def test_commission_cap_raises_what_suppliers_of_external_anchors_get():
    m = model_with(policy("co_governance", {"commission_cap": {"max_commission": 0.05}}, start=2))
    ext = next(a for a in m.anchor_list if a.kind == "external")
    step_until(m, 2)
    before = ext.net_value_per_kg()
    m.step()
    assert ext.commission() == pytest.approx(0.05)
    assert ext.net_value_per_kg() > before


def test_minimum_farmer_share_bounds_the_contract_offer():
    m = model_with(policy("co_governance", {"min_farmer_share": {"share_of_price": 0.9}}))
    step_until(m, 3)
    for a in m.anchor_list:
        if not a.exited and a.offer_price > 0:
            assert a.offer_price >= 0.9 * a.price[a.product] - 1e-9


def test_tool_handout_equips_local_anchors_and_new_ones():
    # Without upkeep a held tool is never worth dropping at a review (ECONOMICS.md §A "Tools"),
    # so every local anchor, old or new, still holds the tool it was handed.
    m = model_with(
        policy("infrastructure", {"tool_handout": {"tools": ["digital_human"]}}, start=5),
        tools__catalogue__digital_human__upkeep_week=0.0,
    )
    step_until(m, 12)
    local = [a for a in m.anchor_list if a.is_local and not a.exited]
    assert local and all("digital_human" in a.tools for a in local)
    # Anchors that started after the handout were handed theirs (earlier ones may have bought it).
    newcomers = [a for a in local if a.start_week >= 5]
    assert newcomers and all(a.tools["digital_human"].handed_out for a in newcomers)


def test_standardisation_narrows_the_quality_spread():
    m = model_with(policy("supply_side", {"standardisation": {"quality_sd_factor": 0.3}}))
    m.step()
    assert np.allclose(m.governance.standard_factor, 0.3)
    assert m.governance.brand_quality_factor(0, 0) > VillageMarket(
        small_scenario(), seed=1
    ).governance.brand_quality_factor(0, 0)


def test_cold_chain_roads_make_routes_cold():
    m = model_with(
        policy("infrastructure", {"cold_chain": {"roads": True}}),
        world__county__cold_chain_village_share=0.0,
    )
    assert not m.world.route_cold.any()
    m.step()
    assert m.world.route_cold.all()


def test_returnee_subsidy_raises_the_return_hazard_while_it_runs():
    m = model_with(policy("talent", {"returnee_subsidy": {"yuan_per_month": 3000}}, start=2))
    youth = next(y for y in m.youth if y.status == "migrant")
    step_until(m, 2)
    before = youth.return_hazard()
    m.step()
    assert m.governance.levers.returnee_subsidy_week > 0
    assert youth.return_hazard() > before


def test_training_policy_adds_paid_seats():
    m = model_with(
        policy("talent", {"training": {"seats_per_year": 200, "standard_share": 1.0}}),
        population__youth_at_home_share=0.6,
    )
    step_until(m, 14)
    standard = [c for c in m.training.cohorts if c.course == "standard"]
    assert sum(len(c.members) for c in standard) > 0
    assert m.governance.spent_yuan["p"] > 0


def test_information_platform_raises_price_information():
    m = model_with(policy("talent", {"information_platform": {"price_info_gain": 0.5}}))
    before = m.farmers.price_info.mean()
    step_until(m, 5)
    assert m.farmers.price_info.mean() > before


def test_platform_fairness_caps_organic_shares():
    from village_sim.market.platform import capped_shares

    shares = capped_shares(np.array([50.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0]), 0.1)
    assert shares.max() <= 0.1 + 1e-12


def test_career_support_pays_its_local_jobs_to_local_anchors_in_their_dormant_weeks():
    """The w_d that ΔV counts on is paid, from the policy's budget, to the person's account."""
    from village_sim.agents.anchor import Anchor

    m = model_with(policy("talent", {"career_support": {"local_job_wage_week": 300}}))
    m.step()
    farmers = m.farmers
    i, j = np.flatnonzero(~farmers.elderly)[:2]

    def farm_anchor(h: int, sessions: int) -> Anchor:
        anchor = Anchor(
            m, "farmer", int(farmers.person_id[h]), int(farmers.village[h]), 0.5, 0.5,
            owner=("farmers", int(h)),
        )  # fmt: skip
        anchor.sessions = sessions
        return anchor

    dormant, streaming = farm_anchor(i, 0), farm_anchor(j, 3)
    city = next(a for a in m.anchor_list if a.kind == "external")
    city.sessions = 0
    left = m.governance.budget_left["p"]
    m.money.start_week()
    m.governance.pay_local_jobs([dormant, streaming, city])
    paid = m.money.receipts("farmers", ("policy_local_job",))
    assert paid[i] == 300 * 100 and np.delete(paid, i).max() == 0
    assert m.governance.budget_left["p"] == pytest.approx(left - 300)

    m.governance.budget_left["p"] = 450.0  # one post's pay left
    streaming.sessions = 0
    m.money.start_week()
    m.governance.pay_local_jobs([dormant, streaming])
    paid = m.money.receipts("farmers", ("policy_local_job",))
    assert paid[i] == 300 * 100 and paid[j] == 0
