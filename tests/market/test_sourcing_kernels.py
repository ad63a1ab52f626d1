"""The sourcing stage's tuned paths agree with their plain forms (bit for bit)."""

from __future__ import annotations

import numpy as np
import pytest
from helpers import small_scenario

from village_sim.accounts import Account, Flow
from village_sim.market.contracts import Contracts, _first_to_cover
from village_sim.model import VillageMarket


def _run(weeks: int, seed: int, **overrides) -> VillageMarket:
    model = VillageMarket(small_scenario(**overrides), seed=seed)
    for _ in range(weeks):
        model.step()
    return model


def test_sellers_with_remembered_growers_equal_the_formula_at_every_use(monkeypatch):
    """Through a run: who would sell at an offer, from the clearing's growers and afresh."""
    checked = []
    kernel = Contracts._sellers_of

    def both(self, anchor, growers, offer):
        got = kernel(self, anchor, growers, offer)
        fresh = self._sellers(anchor, self._growers(*_cell(self, growers)), offer)
        for a, b in zip(got, fresh, strict=True):
            assert a.dtype == b.dtype and np.array_equal(a, b)
        checked.append(int(got.accepts.sum()))
        return got

    monkeypatch.setattr(Contracts, "_sellers_of", both)
    _run(20, seed=4)
    assert len(checked) > 50 and sum(checked) > 0


def _cell(contracts: Contracts, growers) -> tuple[int, int]:
    farmers = contracts.model.farmers
    i = int(growers.idx[0])
    return int(farmers.village[i]), int(farmers.product[i])


def test_growers_are_remembered_only_while_the_purchases_clear():
    model = _run(3, seed=1)
    contracts = model.contracts
    v, p = next(iter(model.farmers.by_village_product))
    assert contracts.growers(v, p) is not contracts.growers(v, p)
    with contracts.clearing():
        first = contracts.growers(v, p)
        assert contracts.growers(v, p) is first
        assert contracts.growers(-1, p) is None
    assert contracts._clearing is None
    with pytest.raises(RuntimeError), contracts.clearing():
        raise RuntimeError("a purchase failed")
    assert contracts._clearing is None


@pytest.mark.parametrize("seed", range(6))
def test_first_growers_to_cover_a_need_equal_the_cumulative_clip(seed):
    rng = np.random.default_rng(seed)
    store = rng.integers(1, 5_000, 40)
    order = rng.permutation(40)[: rng.integers(1, 41)]
    for need in (
        1,
        int(store[order[0]]),
        int(store[order].sum()),
        10**9,
        int(rng.integers(1, 9e4)),
    ):
        grams = store[order]
        before = np.cumsum(grams) - grams
        take = np.minimum(np.maximum(need - before, 0), grams)
        rows, got = _first_to_cover(order, store, need)
        assert rows == order[take > 0].tolist()
        assert got == take[take > 0].tolist()


def _state(model: VillageMarket) -> list[bytes]:
    """Every number a delivery writes: ledgers, flows, anchors' stock, the village tallies."""
    out = []
    for ledger in (model.goods, model.money):
        out += [ledger.balances[g].tobytes() for g in sorted(ledger.balances)]
        out.append(repr(sorted((k, v) for k, v in ledger.flows.items() if v)).encode())
        for store in (ledger.received, ledger.paid):
            out += [store[k].tobytes() for k in sorted(store)]
    for anchor in model.anchor_list:
        out += [anchor.stock_quality.tobytes(), anchor.unit_cost.tobytes()]
    out += [model.books.village_week[k].tobytes() for k in sorted(model.books.village_week)]
    out.append(model.books.lot_origin.tobytes())
    return out


@pytest.mark.parametrize("kwargs", [{}, {"population__external_anchors": 0}])
def test_one_seller_deliveries_equal_the_array_formula(monkeypatch, kwargs):
    """A run whose one-seller deliveries take the Python path, against one where all take arrays."""
    tuned = _run(0, seed=6, **kwargs)
    plain = _run(0, seed=6, **kwargs)
    one = []
    deliver_one = Contracts._deliver_one

    def counted(self, *args):
        if self.model is tuned:
            one.append(args[2])
            return deliver_one(self, *args)
        anchor, seller, grams, offer, village = args
        sellers, taken = np.array([seller]), np.array([grams], dtype=np.int64)
        return self._deliver_all(anchor, sellers, taken, offer, village)

    monkeypatch.setattr(Contracts, "_deliver_one", counted)
    for week in range(16):
        tuned.step()
        plain.step()
        assert _state(tuned) == _state(plain), week
    assert len(one) > 10 and sum(one) > 0


def test_growers_paid_in_one_transfer_at_the_end_of_the_clearing_as_if_paid_at_once(monkeypatch):
    """The clearing's collected receipts leave every balance and weekly flow as immediate pays."""
    batched = _run(0, seed=8)
    at_once = _run(0, seed=8)
    pay_growers = Contracts._pay_growers
    collected = []

    def either(self, anchor, sellers, gross):
        if self.model is at_once:
            money = self.model.money
            money.transfer(
                Flow.CONTRACT_SALE, Account.ANCHORS, anchor, Account.FARMERS, sellers, gross
            )
        else:
            assert self._receipts is not None  # only while the purchases clear
            collected.append(int(np.sum(gross)))
            pay_growers(self, anchor, sellers, gross)

    monkeypatch.setattr(Contracts, "_pay_growers", either)
    for week in range(16):
        batched.step()
        at_once.step()
        assert batched.contracts._receipts is None
        assert _state(batched) == _state(at_once), week
    assert len(collected) > 20 and sum(collected) > 0
