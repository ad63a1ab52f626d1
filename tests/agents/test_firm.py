"""The anchor as a small firm (ECONOMICS.md §A): budget, profit vs cash, insolvency, leaving."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from helpers import small_scenario

from village_sim.accounts import Account, Flow
from village_sim.model import VillageMarket
from village_sim.run import load_scenario
from village_sim.units import to_fen

ROOT = Path(__file__).resolve().parents[2]


def _stock_value(model: VillageMarket, anchor) -> float:
    """Stock at the costs the books carry it at (moving average for village goods, imports)."""
    value = 0.0
    for p, spec in enumerate(model.products):
        local, imported = anchor.stock_g(p)
        import_price = spec.import_price_share * spec.farm_gate_price
        value += (local * anchor.unit_cost[p] + imported * import_price) / 1000
    return value


def _capital(anchor) -> float:
    return sum(amount for _, amount in anchor.capex)


@pytest.mark.parametrize("name", ["baseline", "combined", "co_governance"])
def test_profit_and_cash_reconcile_every_week(name: str):
    """Δcash = profit − Δstock value − capex + depreciation − drawings + savings in (§A)."""
    scenario = load_scenario(ROOT / "scenarios" / f"{name}.yaml", overrides={"steps": 40})
    model = VillageMarket(scenario, seed=4)
    checked = 0
    for _ in range(40):
        before = {a.index: (a.cash(), _stock_value(model, a), _capital(a)) for a in model.anchors}
        model.step()
        received = model.money.receipts(Account.ANCHORS, (Flow.SAVINGS_IN,))
        drawn = model.money.payments(Account.ANCHORS, (Flow.DRAWINGS,))
        for a in model.anchors:
            if a.index not in before:
                continue
            cash0, stock0, capital0 = before[a.index]
            expected = (
                a.profit_week
                - (_stock_value(model, a) - stock0)
                - (_capital(a) - capital0)
                + a.depreciation_booked
                - drawn[a.index] / 100
                + received[a.index] / 100
            )
            assert a.cash() - cash0 == pytest.approx(expected, abs=0.1), (model.week, a.index)
            checked += 1
    assert checked > 100


def _local_anchors(count: int) -> tuple[VillageMarket, list]:
    """A small county stepped until ``count`` local anchors stream (seed 3)."""
    model = VillageMarket(small_scenario(steps=30), seed=3)
    local: list = []
    while len(local) < count:
        model.step()
        local = [a for a in model.anchors if a.kind == "local"]
    return model, local[:count]


def _fine_beyond_the_line(model: VillageMarket, anchor, beyond: float) -> None:
    """Take cash from ``anchor`` (a fine) until it is ``beyond`` yuan past its credit limit."""
    debt = anchor.cash() + anchor.credit_limit + beyond
    model.money.transfer(
        Flow.FINE, Account.ANCHORS, anchor.index, Account.GOVERNMENT, 0, to_fen(debt)
    )


def test_an_anchor_whose_debt_passes_its_credit_limit_exits_that_week_and_the_debt_is_written_off():
    model, (anchor,) = _local_anchors(1)
    anchor.guaranteed_debt_limit = 0.0
    _fine_beyond_the_line(model, anchor, 500.0)
    lender_before = int(model.money.balances[Account.LENDER][0])
    model.finance.settle_owners()
    assert anchor.exited and anchor.exit_reason == "insolvent"
    assert anchor.exit_week == model.week
    assert model.money.balances[Account.ANCHORS][anchor.index] == 0
    assert anchor.written_off > 0  # what liquidating its stock did not cover
    assert lender_before - int(model.money.balances[Account.LENDER][0]) == to_fen(
        anchor.written_off
    )
    model.books.settle(model.week)
    assert model.week_stats["money_error_yuan"] == 0


def test_the_government_covers_the_guaranteed_part_of_a_written_off_loan():
    model, (anchor,) = _local_anchors(1)
    anchor.guaranteed_debt_limit = 5000.0
    _fine_beyond_the_line(model, anchor, 500.0)
    government = int(model.money.balances[Account.GOVERNMENT][0])
    model.finance.settle_owners()
    cover = model.config.anchors.guarantee_cover
    guaranteed = min(to_fen(anchor.written_off), to_fen(5000.0))
    assert government - int(model.money.balances[Account.GOVERNMENT][0]) == int(guaranteed * cover)
    assert anchor.written_off > 0


def test_a_voluntary_leaver_takes_its_cash_home_and_its_debt_with_it():
    model, (rich, poor) = _local_anchors(2)
    for a, fen in ((rich, 300_000), (poor, -300_000)):
        now = int(model.money.balances[Account.ANCHORS][a.index])
        change = fen - now
        if change > 0:
            model.money.transfer(Flow.SALE, Account.CONSUMERS, 0, Account.ANCHORS, a.index, change)
        else:
            model.money.transfer(
                Flow.FINE, Account.ANCHORS, a.index, Account.GOVERNMENT, 0, -change
            )
    model.money.start_week()
    owner_before = {
        a.index: int(model.money.balances[a.owner[0]][a.owner[1]]) for a in (rich, poor)
    }
    for a in (rich, poor):
        owner = a.owner
        before = int(model.money.balances[owner[0]][owner[1]])
        a.retire("outside_option")
        liquidation = int(model.money.receipts(Account.ANCHORS, (Flow.LIQUIDATION,))[a.index])
        after = int(model.money.balances[owner[0]][owner[1]])
        planted = 300_000 if a is rich else -300_000
        assert model.money.balances[Account.ANCHORS][a.index] == 0
        assert after - before == planted + liquidation  # cash home, debt with it
    assert not poor.insolvent and poor.written_off == 0
    assert set(owner_before) == {rich.index, poor.index}


def test_owners_draw_a_quarter_of_cash_above_the_buffer():
    model, (anchor,) = _local_anchors(1)
    model.money.transfer(
        Flow.SALE, Account.CONSUMERS, 0, Account.ANCHORS, anchor.index, to_fen(100_000.0)
    )
    model.money.start_week()
    cash = anchor.cash()
    model.finance.settle_owners()
    drawn = cash - anchor.cash()
    cfg = model.config.anchors
    buffer = cfg.reserve_weeks * float(np.mean(anchor.purchases_hist)) + anchor.reserve()
    assert drawn == pytest.approx(cfg.drawings_share * (cash - buffer), abs=0.02)


def test_spending_never_exceeds_available_funds_and_the_budget_binds():
    """Every week of a run no active anchor is below −L (it would have exited)."""
    model = VillageMarket(small_scenario(steps=40), seed=2)
    for _ in range(40):
        model.step()
        for a in model.anchors:
            assert a.cash() >= -a.credit_limit - 1e-9
            assert a.available_funds() >= 0


def test_a_better_outside_option_makes_a_review_leave():
    model, (anchor,) = _local_anchors(1)
    # The person keeps their own taste for the work: it is in yuan, so it does not grow with o.
    values = []
    for outside in (0.0, 500.0, 2000.0, 10_000.0):
        anchor.outside_option = outside
        values.append(anchor.value_of_staying())
    assert values == sorted(values, reverse=True)
    assert values[-1] < 0


def test_an_income_floor_still_to_come_raises_the_value_of_staying():
    """Known policy flows enter the valuation for their remaining weeks (ECONOMICS.md §A)."""
    model, (anchor,) = _local_anchors(1)
    without = anchor.value_of_staying()
    levers = model.governance.levers
    levers.income_floor_week, levers.income_floor_weeks = (
        5000.0,
        model.week - anchor.start_week + 27,
    )
    with_floor = anchor.value_of_staying()
    assert with_floor > without + 26 * 0.5 * 1000
