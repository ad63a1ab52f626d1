"""Tools and the in-use rule: technology suspension (paper §3.1, §3.2)."""

from __future__ import annotations

from pathlib import Path

import pytest
from helpers import small_scenario

from village_sim.agents import tools as toolrules
from village_sim.agents.anchor import Anchor
from village_sim.model import VillageMarket
from village_sim.run import load_scenario
from village_sim.scenario.schema import ToolSpec

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


@pytest.mark.parametrize("scenario", ["baseline", "tool_handout"])
def test_peer_adoption_shares_equal_a_fresh_count_whenever_anchors_review(monkeypatch, scenario):
    """The kept counts give the shares a fresh count gives, at every tool review (tools bought,
    dropped, handed out; anchors joining and quitting)."""
    checked = []
    review = Anchor._review_tools

    def checking(self, buy):
        model = self.model
        for name in model.config.tools.catalogue:
            assert model.tool_adoption.share(name) == toolrules.peer_share_plain(
                name, model.anchor_list
            )
        checked.append(model.week)
        return review(self, buy)

    monkeypatch.setattr(Anchor, "_review_tools", checking)
    root = Path(__file__).resolve().parents[2]
    model = VillageMarket(load_scenario(root / "scenarios" / f"{scenario}.yaml"), seed=2)
    for _ in range(30):
        model.step()
    assert len(checked) > 50 and any(a.tools for a in model.anchor_list)
    assert any(a.exited and a.tools for a in model.anchor_list)  # quitters' tools left the count
