"""Goods and money balance every week, for every scenario file (MODEL.md §6)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from helpers import small_scenario

from village_sim.market.ledger import Ledger
from village_sim.model import VillageMarket
from village_sim.run import load_scenario, run

SCENARIOS = sorted(Path(__file__).resolve().parents[2].glob("scenarios/*.yaml"))


@pytest.mark.parametrize("path", SCENARIOS, ids=[p.stem for p in SCENARIOS])
def test_books_balance_every_week_for_every_scenario_file(path: Path):
    scenario = load_scenario(path, overrides={"steps": 26})
    model = VillageMarket(scenario, seed=11)
    for _ in range(26):
        model.step()
        assert model.week_stats["money_error_yuan"] == 0
        assert model.week_stats["goods_error_kg"] == 0
        assert model.money.total() == model.money.opening_total
        assert model.goods.total() == model.goods.opening_total
        for anchor in model.anchors:  # whoever spends has a budget (ECONOMICS.md §A)
            assert anchor.cash() >= -anchor.credit_limit
        for anchor in model.anchor_list:
            if anchor.exit_reason == "insolvent":
                assert anchor.written_off > 0 or anchor.cash() == 0
    stats = model.books.stats_frame()
    assert stats["kg_sold"].sum() > 0 or not scenario.livestream.enabled


def test_the_balance_indicators_are_zero_in_a_run():
    result = run(small_scenario(), seed=3)
    assert result.indicators["money_balance_error_yuan"] == 0
    assert result.indicators["goods_balance_error_kg"] == 0


def test_a_transfer_that_bypasses_the_ledger_shows_up_as_a_residual():
    model = VillageMarket(small_scenario(), seed=3)
    model.step()
    model.money.balances["farmers"][0] += 1  # money from nowhere
    model.goods.balances["farm_store"][0] += 5  # goods from nowhere
    model.books.settle(model.week)
    assert model.week_stats["money_error_yuan"] == pytest.approx(0.01)
    assert model.week_stats["goods_error_kg"] > 0


def test_ledger_transfers_are_double_entry_and_integer():
    ledger = Ledger("fen", tracked=("a",))
    ledger.open_group("a", 3)
    ledger.open_group("b", 1)
    ledger.transfer("sale", "b", 0, "a", np.array([0, 2, 2]), np.array([5, 7, 1]))
    assert ledger.balances["a"].tolist() == [5, 0, 8]
    assert ledger.balances["b"].tolist() == [-13]
    assert ledger.total() == 0
    assert ledger.receipts("a").tolist() == [5, 0, 8]
    with pytest.raises(ValueError):
        ledger.transfer("sale", "a", 0, "b", 0, -1)


def test_money_flows_reconcile_with_indicators():
    result = run(small_scenario(), seed=5)
    stats = result.model.books.stats_frame()
    burn = result.scenario.metrics.burn_in_weeks
    kept = stats[stats["week"] >= burn]
    assert result.indicators["gmv"] == pytest.approx(kept["consumer_net_spend_yuan"].sum())
    shipped = stats["fresh_shipped_kg"].sum()
    spoiled = stats["fresh_spoiled_kg"].sum()
    assert 0 <= spoiled <= shipped


def test_the_books_refuse_unknown_kinds_of_transfer_and_accounts():
    model = VillageMarket(small_scenario(), seed=3)
    with pytest.raises(ValueError, match="unknown kind of transfer 'gift'"):
        model.money.transfer("gift", "consumers", 0, "farmers", 0, 100)
    with pytest.raises(ValueError, match="not a valid Account"):
        model.money.open_group("friends", 2)
    assert model.money.total() == model.money.opening_total  # nothing moved


@pytest.mark.parametrize(
    ("ledger", "kind", "error"),
    [("money", "off_farm_wage", "money_error_yuan"), ("goods", "to_middlemen", "goods_error_kg")],
)
def test_a_planted_posting_that_credits_without_debit_fails_the_settle_check(
    monkeypatch, ledger, kind, error
):
    """ECONOMICS.md §E: one kind of transfer rigged to create money (goods) must not go unseen."""
    model = VillageMarket(small_scenario(), seed=3)
    model.step()
    assert model.week_stats[error] == 0
    original = Ledger.transfer
    rigged = getattr(model, ledger)

    def credit_without_debit(self, k, src, src_idx, dst, dst_idx, amount):
        original(self, k, src, src_idx, dst, dst_idx, amount)
        if self is rigged and k == kind:  # undo the debit: the credit now comes from nowhere
            np.add.at(
                self.balances[src],
                np.broadcast_to(np.asarray(src_idx), np.shape(amount)),
                np.asarray(amount, dtype=np.int64),
            )

    monkeypatch.setattr(Ledger, "transfer", credit_without_debit)
    model.step()
    assert rigged.flows[kind] > 0
    assert model.week_stats[error] > 0
    assert model.books.stats_frame()[error].max() > 0
