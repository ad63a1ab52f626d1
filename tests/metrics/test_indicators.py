"""Indicator definitions on hand-made states (INTERFACE.md)."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pytest
from helpers import small_scenario

from village_sim.market.tallies import dormant_weeks
from village_sim.metrics.indicators import (
    EXIT_REASONS,
    exit_reason_counts,
    exit_tenure_max_share,
    micro_seller_share,
)
from village_sim.metrics.tables import village_table
from village_sim.model import VillageMarket
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


def _seller(index, start, revenue, local=True):
    return SimpleNamespace(
        index=index, start_week=start, revenue_history=revenue, is_local=local, exited=False
    )


def test_micro_seller_share_counts_recent_sellers_of_13_weeks_and_annualises_short_spans():
    """ECONOMICS.md §D: a session in the last 52 weeks, >= 13 weeks since start, x 52 / weeks."""
    week = 100
    anchors = [
        _seller(0, 0, [0.0] * 48 + [20_000.0] * 53),  # 52-week revenue 1.04M: not micro
        _seller(1, 80, [10_000.0] * 21),  # 21 weeks: 210k x 52/21 = 520k: not micro
        _seller(2, 80, [9_000.0] * 21),  # 189k x 52/21 = 468k: micro
        _seller(3, 95, [1.0] * 6),  # under 13 weeks since start: left out
        _seller(4, 0, [1.0] * 101),  # no session in the last 52 weeks: left out
        _seller(5, 0, [1.0] * 101, local=False),  # a city anchor: left out
    ]
    last_session = {0: 100, 1: 99, 2: 90, 3: 100, 4: 40, 5: 100}
    tallies = SimpleNamespace(row=lambda i: {"last_session_week": last_session[i]})
    model = SimpleNamespace(
        week=week,
        anchor_list=anchors,
        config=SimpleNamespace(metrics=SimpleNamespace(micro_seller_threshold_yuan=500_000.0)),
        books=SimpleNamespace(anchor_tallies=tallies),
    )
    assert micro_seller_share(model) == pytest.approx(1 / 3)


def test_farmer_share_of_spending_reads_the_ledger_receipts_of_farm_households():
    model = VillageMarket(small_scenario(), seed=4)
    expected = spent = 0.0
    for _ in range(20):
        model.step()
        money = model.money
        n = model.anchor_count
        farmer = np.array([a.kind == "farmer" for a in model.anchor_list])
        own = (
            money.receipts("anchors", ("sale",))[:n]
            - money.payments("anchors", ("refund", "platform_fee", "contract_sale"))[:n]
        )[farmer].sum()
        paid_back = money.payments("farmers", ("commission", "slot_fee", "charge_back")).sum()
        expected += (money.receipts("farmers", ("contract_sale",)).sum() - paid_back + own) / 100
        spent += (money.flows["sale"] - money.flows["refund"]) / 100
    stats = model.books.stats_frame()
    assert stats["farmer_live_net_yuan"].sum() == pytest.approx(expected)
    assert stats["consumer_net_spend_yuan"].sum() == pytest.approx(spent)
    assert spent > 0 and expected > 0
    # villages.csv splits the same ledger totals by village
    live = model.books.anchor_tallies
    assert live.village_live_net.sum() == pytest.approx(expected)
    assert live.village_net_spend.sum() == pytest.approx(spent)
    share = village_table(model)["farmer_share"]
    defined = live.village_net_spend > 0
    expected_share = live.village_live_net[defined] / live.village_net_spend[defined]
    assert np.allclose(share[defined], expected_share, atol=1e-4)


def test_unsold_stock_share_is_kg_spoiled_or_liquidated_of_kg_anchors_bought():
    result = run(small_scenario(steps=40), seed=3)
    stats = result.model.books.stats_frame()
    assert (stats["anchor_kg_unsold"] <= stats["anchor_kg_bought"].cumsum()).all()
    kept = stats[stats["week"] >= result.scenario.metrics.burn_in_weeks]
    share = kept["anchor_kg_unsold"].sum() / kept["anchor_kg_bought"].sum()
    assert result.indicators["unsold_stock_share"] == pytest.approx(share)
    # Above 1 is possible: stock bought before burn-in and liquidated after it, when anchors who
    # started on an optimistic prior leave (ECONOMICS.md §B entry, §A exit).
    assert share > 0


def test_exits_by_reason_are_counted_per_week_and_in_the_summary():
    result = run(small_scenario(steps=40), seed=3)
    model = result.model
    counts = exit_reason_counts(model)
    assert set(EXIT_REASONS) <= set(counts)
    local_exits = [a for a in model.anchor_list if a.is_local and a.exited]
    assert sum(counts.values()) == len(local_exits)
    burn = result.scenario.metrics.burn_in_weeks
    for reason in EXIT_REASONS:
        after = sum(1 for a in local_exits if a.exit_reason == reason and a.exit_week >= burn)
        assert result.indicators[f"anchor_exits_{reason}"] == after


def test_dormant_share_reads_the_anchors_own_count_of_dormant_weeks():
    model = VillageMarket(small_scenario(), seed=3)
    alive = 0
    for _ in range(20):
        model.step()
        week = model.week - 1
        alive += sum(
            1 for a in model.anchor_list if a.is_local and (not a.exited or a.exit_week == week)
        )
    stats = model.books.stats_frame()
    local = [a for a in model.anchor_list if a.is_local]
    assert stats["dormant_anchor_weeks"].sum() == sum(dormant_weeks(a) for a in local)
    assert stats["alive_local_anchor_weeks"].sum() == alive > 0
    weekly = model.datacollector.get_model_vars_dataframe()["dormant_share"]
    ratio = stats["dormant_anchor_weeks"] / stats["alive_local_anchor_weeks"]
    assert np.allclose(weekly.to_numpy(), ratio.to_numpy(), equal_nan=True)


def test_dormant_share_is_null_where_anchors_keep_no_count(monkeypatch):
    from village_sim.market import tallies

    monkeypatch.setattr(tallies, "DORMANT_ATTRIBUTES", ("no_such_count",))
    result = run(small_scenario(steps=15), seed=3)
    assert result.indicators["dormant_share"] is None
    assert result.indicators["unsold_stock_share"] is not None
