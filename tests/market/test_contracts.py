"""Supply contracts between anchors and farm households (paper §3.1)."""

from __future__ import annotations

import numpy as np
import pytest
from helpers import small_scenario

from village_sim.accounts import Flow
from village_sim.model import VillageMarket


def test_contracts_only_with_connected_households_whose_reservation_is_met(monkeypatch):
    """Every delivery: sellers are connected (or the anchor's own household) and their
    reservation is at most the offer; contracted households belong to anchors still trading."""
    model = VillageMarket(small_scenario(steps=40), seed=5)
    farmers = model.farmers
    deliveries = []
    deliver = model.contracts._deliver

    def checked(anchor, sellers, grams, offer, village):
        own = farmers.stream_anchor[sellers] == anchor.index
        assert (farmers.connected[sellers] | own).all()
        assert (farmers.reservation_price(sellers)[~own] <= offer).all()
        assert (farmers.village[sellers] == village).all()
        deliveries.append(int(grams.sum()))
        deliver(anchor, sellers, grams, offer, village)

    monkeypatch.setattr(model.contracts, "_deliver", checked)
    contracted_weeks = 0
    for _ in range(40):
        model.step()
        contracted = farmers.contract_anchor >= 0
        contracted_weeks += bool(contracted.any())
        assert farmers.connected[contracted].all()
        for i in np.flatnonzero(contracted):
            assert not model.anchor_list[farmers.contract_anchor[i]].exited
    assert sum(deliveries) > 0 and contracted_weeks >= 10


def _prices_by_cell(
    model: VillageMarket, weeks: int, monkeypatch
) -> list[tuple[float, float, float]]:
    """Each (village, product, week) where growers sold both ways: (contract yuan/kg net of what
    they paid back, middlemen's yuan/kg, contract kg), from the ledgers."""
    farmers = model.farmers
    store = model.goods.balances
    sold: dict[str, np.ndarray] = {}

    def measured(stage, name):
        def run(*args):
            before = store["farm_store"].copy()
            stage(*args)
            sold[name] = before - store["farm_store"]

        return run

    monkeypatch.setattr(model.sourcing, "clear", measured(model.sourcing.clear, "contract"))
    monkeypatch.setattr(
        farmers, "sell_to_middlemen", measured(farmers.sell_to_middlemen, "middlemen")
    )
    n_p = len(model.products)
    cell = farmers.village * n_p + farmers.product
    size = model.world.n_villages * n_p
    out = []
    for _ in range(weeks):
        model.step()
        money = model.money
        net = money.receipts("farmers", (Flow.CONTRACT_SALE,)) - money.payments(
            "farmers", (Flow.COMMISSION, Flow.SLOT_FEE)
        )
        to_middlemen = money.receipts("farmers", (Flow.MIDDLEMAN_SALE,))
        sums = {
            key: np.bincount(cell, weights=values, minlength=size)
            for key, values in {
                "c_fen": net,
                "c_g": sold["contract"],
                "m_fen": to_middlemen,
                "m_g": sold["middlemen"],
            }.items()
        }
        both = (sums["c_g"] > 0) & (sums["m_g"] > 0)
        for i in np.flatnonzero(both):
            out.append(
                (
                    sums["c_fen"][i] / sums["c_g"][i] * 10,  # fen/g -> yuan/kg
                    sums["m_fen"][i] / sums["m_g"][i] * 10,
                    sums["c_g"][i] / 1000,
                )
            )
    return out


@pytest.mark.parametrize("seed", [2, 5, 8])
def test_contract_farmers_are_paid_more_per_kg_than_middlemen_pay(seed, monkeypatch):
    """Same village, product and week: growers' contract price (net of any commission and slot
    fee they paid back) against the middlemen's price, kg-weighted over the cells."""
    model = VillageMarket(small_scenario(steps=26), seed=seed)
    cells = _prices_by_cell(model, 26, monkeypatch)
    assert len(cells) >= 5
    contract, middlemen, kg = (np.array(x) for x in zip(*cells, strict=True))
    assert np.average(contract, weights=kg) > np.average(middlemen, weights=kg)
    assert np.mean(contract > middlemen) >= 0.9


def test_a_city_anchor_buys_outright_and_its_commission_and_slot_fee_flow_back():
    """Receipts booked gross; commission and a pro-rata slot fee flow back; growers keep the offer."""
    model = VillageMarket(small_scenario(), seed=3)
    city = next(a for a in model.anchor_list if a.kind == "external")
    city.forecast_orders = 4000.0  # a large audience: the slot fee is small per kg
    model.books.open_week()
    city.plan_week()
    model.sourcing.clear()
    money = model.money
    local, _ = city.stock_g()
    assert local > 0, "the city anchor bought nothing; pick another seed"
    gross = int(money.receipts("farmers", (Flow.CONTRACT_SALE,)).sum())
    commission = int(money.payments("farmers", (Flow.COMMISSION,)).sum())
    slot_fee = int(money.payments("farmers", (Flow.SLOT_FEE,)).sum())
    assert slot_fee == round(model.config.external_anchors.slot_fee_week * 100)
    expected = city.commission() * city.price[city.product] * local / 1000 * 100
    assert commission == pytest.approx(
        expected, abs=int(np.count_nonzero(money.payments("farmers")))
    )
    net = gross - commission - slot_fee
    assert net == pytest.approx(city.offer_price * local / 10, rel=1e-4)  # growers keep the offer
    assert commission + slot_fee > 0.2 * gross  # the capture shows against the gross receipt
    i = city.index  # the anchor's cost of the goods is the net
    paid = money.payments("anchors", (Flow.CONTRACT_SALE,))[i]
    assert paid - money.receipts("anchors", (Flow.COMMISSION, Flow.SLOT_FEE))[i] == net
    # No supplier pays back more than it received.
    received = money.receipts("farmers", (Flow.CONTRACT_SALE,))
    assert (money.payments("farmers", ("commission", "slot_fee")) <= received).all()
    assert money.total() == money.opening_total


def test_only_city_anchors_take_commission_and_slot_fees():
    model = VillageMarket(small_scenario(), seed=3)
    for _ in range(8):
        model.step()
        back = model.money.receipts("anchors", (Flow.COMMISSION, Flow.SLOT_FEE))
        for a in model.anchor_list:
            if a.kind != "external":
                assert back[a.index] == 0
