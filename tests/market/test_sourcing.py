"""Sourcing (ECONOMICS.md §A): imports priced, budgeted and decided; reach; one purchase stage."""

from __future__ import annotations

import numpy as np
import pytest
from helpers import small_scenario

from village_sim.agents.anchor import Anchor, affordable_grams
from village_sim.model import VillageMarket
from village_sim.units import FEN_PER_YUAN

NO_HOUSEHOLDS = {
    "population__farmer_households": 0,
    "population__consumer_units": 2000,
    "population__youth": 50,
}
"""The issue's county without farm households: every gram sold must be an import."""


def _run(model: VillageMarket, weeks: int, each_week=None) -> None:
    for _ in range(weeks):
        model.step()
        if each_week is not None:
            each_week(model)


def test_affordable_grams_never_costs_more_than_the_funds():
    for funds, price in [(0.0, 12.0), (0.05, 12.0), (100.0, 7.3), (999.99, 280.0), (3.0, 0.7)]:
        grams = affordable_grams(funds, price)
        assert round(price * grams / 1000 * FEN_PER_YUAN) <= funds * FEN_PER_YUAN
        assert round(price * (grams + 1) / 1000 * FEN_PER_YUAN) > funds * FEN_PER_YUAN - 1
    assert affordable_grams(-5.0, 12.0) == 0
    assert affordable_grams(float("inf"), 12.0) > 10**12


@pytest.mark.parametrize("funds", [0.0, 250.0, 4000.0])
def test_imports_never_exceed_available_funds(monkeypatch, funds):
    monkeypatch.setattr(Anchor, "available_funds", lambda self: funds)
    model = VillageMarket(small_scenario(**NO_HOUSEHOLDS), seed=0)
    spent = []

    def check(m: VillageMarket) -> None:
        paid = m.money.payments("anchors", ("import_purchase",))[: m.anchor_count]
        assert (paid <= round(funds * FEN_PER_YUAN)).all()
        spent.append(int(paid.sum()))

    _run(model, 8, check)
    assert model.goods.flows.get("contract", 0) == 0
    if funds == 0.0:
        assert sum(spent) == 0
        assert model.books.history[-1]["kg_sold"] == 0


def test_the_county_without_households_sells_only_what_budgets_allow(monkeypatch):
    """With nothing to buy in the county, sales are imports, bounded by what the anchors can pay."""
    totals = {}
    for funds in (0.0, 300.0, float("inf")):
        monkeypatch.setattr(Anchor, "available_funds", lambda self, f=funds: f)
        model = VillageMarket(small_scenario(**NO_HOUSEHOLDS), seed=0)
        _run(model, 8)
        stats = model.books.stats_frame()
        totals[funds] = (float(stats["kg_sold"].sum()), float(stats["kg_fake_sold"].sum()))
        sold, fake = totals[funds]
        assert sold == pytest.approx(fake)  # every kg sold was imported
        if np.isfinite(funds):  # bought at >= the cheapest import price, within each week's funds
            cheapest = min(s.import_price_share * s.farm_gate_price for s in model.products)
            assert sold <= funds * 8 * model.anchor_count / cheapest + 1e-9
    assert totals[0.0][0] == 0
    assert totals[0.0][0] <= totals[300.0][0] <= totals[float("inf")][0]
    assert totals[float("inf")][0] > 0


# -- the purchase stage ---------------------------------------------------------------------------
class _Buyer:
    """A stand-in anchor that records when it was served and finished."""

    def __init__(self, name: str, offer: float, log: list) -> None:
        self.name, self.offer_price, self.log = name, offer, log

    def finish_sourcing(self, need_g, bought_g, supply_g) -> None:
        self.log.append(("finish", self.name))

    def finish_plan(self) -> None:
        pass

    def available_funds(self) -> float:
        return float("inf")


def test_purchases_clear_highest_offer_first_then_plans_finish_in_posting_order(monkeypatch):
    model = VillageMarket(small_scenario(), seed=1)
    stage = model.sourcing
    log: list = []
    monkeypatch.setattr(stage, "_buy", lambda p, live: log.append(("buy", p.anchor.name)) or (0, 0))
    offers = {"a": 3.0, "b": 9.5, "c": 1.0, "d": 9.5, "e": 6.0}
    for name, offer in offers.items():
        stage.post(_Buyer(name, offer, log), 1000)
    stage.clear()
    bought = [n for kind, n in log if kind == "buy"]
    assert sorted(bought[:2]) == ["b", "d"] and bought[2:] == ["e", "a", "c"]
    assert [n for kind, n in log if kind == "finish"] == list(offers)
    assert stage.posted == []


def test_equal_offers_are_served_in_random_order(monkeypatch):
    firsts = set()
    for seed in range(12):
        model = VillageMarket(small_scenario(), seed=seed)
        log: list = []
        monkeypatch.setattr(
            model.sourcing, "_buy", lambda p, live, log=log: log.append(p.anchor.name) or (0, 0)
        )
        for name in "xyz":
            model.sourcing.post(_Buyer(name, 5.0, []), 1000)
        model.sourcing.clear()
        firsts.add(log[0])
    assert len(firsts) > 1


def _empty_village(model: VillageMarket, village: int) -> None:
    """Sell everything in the village's stores to middlemen (through the books)."""
    farmers = model.farmers
    idx = np.flatnonzero(farmers.village == village)
    grams = model.goods.balances["farm_store"][idx].copy()
    model.goods.transfer("to_middlemen", "farm_store", idx, "middlemen", village, grams)
    model.books.village_goods.add("to_middlemen", village, grams)


def _local_anchor(model: VillageMarket, village: int) -> Anchor:
    anchor = Anchor(model, "local", 10**6, village, skill=0.6, aptitude=0.8)
    anchor.forecast_orders = 40.0
    return anchor


def _stocked_neighbour_model(seed: int = 3) -> tuple[VillageMarket, Anchor, int]:
    """A model at week 0 whose anchor's village has nothing left, while its neighbours do."""
    model = VillageMarket(small_scenario(**{"livestream.enabled": True}), seed=seed)
    available = model.contracts.available_by_village_product()
    for v in range(model.world.n_villages):
        near = model.world.reach.of(v)[0][1:]
        if available[near].sum() > 0:
            break
    _empty_village(model, v)
    model.contracts._available = None  # the week's snapshot is taken after the stores emptied
    return model, _local_anchor(model, v), v


def test_an_anchor_buys_in_a_neighbouring_village_when_its_own_has_nothing():
    model, anchor, home = _stocked_neighbour_model()
    for other in model.anchor_list:
        if other is not anchor:
            other.exit_week = 0  # alone in the market this week
    anchor.plan_week()
    model.sourcing.clear()
    n_p = len(model.products)
    slot = anchor.index * n_p + anchor.product
    local, _ = anchor.stock_g()
    assert local > 0
    origin = model.books.lot_village(slot)
    neighbours, km = model.world.reach.of(home)
    assert origin != home and origin in neighbours.tolist()
    assert model.books.village_week["contract_kg"][origin] == pytest.approx(local / 1000)
    assert anchor.sessions_planned > 0


def test_a_lot_spoils_at_origin_and_the_village_goods_balance_holds():
    model, anchor, home = _stocked_neighbour_model()
    for other in model.anchor_list:
        if other is not anchor:
            other.exit_week = 0
    model.books.open_week()
    anchor.plan_week()
    model.sourcing.clear()
    slot = anchor.index * len(model.products) + anchor.product
    origin = model.books.lot_village(slot)
    before = model.goods.balances["spoiled_origin"].copy()
    model.logistics.store_at_origin()
    lost = model.goods.balances["spoiled_origin"] - before
    if model.products[anchor.product].perishability_per_day > 0:
        assert lost[origin] > 0
    assert lost[home] == 0 or home == origin
    assert model.books.village_goods.flow["spoiled_origin"][origin] == lost[origin]
    residual = model.books.village_goods.residual(model.books.stock_by_village())
    assert not residual.any()


def test_lots_ship_from_their_village(monkeypatch):
    """Every shipment of village goods leaves from the village its seller's lot comes from."""
    model = VillageMarket(small_scenario(steps=20), seed=2)
    checked = []
    original = model.logistics.dispatch

    def dispatch(orders):
        s = orders.sellers
        n_p = len(model.products)
        seller = {
            int(i): (model.books.lot_village(int(i) * n_p + int(p)), int(v), int(imp))
            for i, p, v, imp in zip(s.ids, s.product, s.village, s.stock_import, strict=True)
        }
        before = model.logistics.next_id
        original(orders)
        q = model.logistics.queue
        new = q["id"] >= before
        for a, v in zip(q["anchor"][new], q["village"][new], strict=True):
            checked.append((*seller[int(a)], int(v)))

    monkeypatch.setattr(model.logistics, "dispatch", dispatch)
    for _ in range(20):
        model.step()
    assert checked
    # Village goods leave from the lot's village; only imports leave from the anchor's.
    assert all(v == o or (v == h and imported > 0) for o, h, imported, v in checked)
    assert any(v == o != h for o, h, _, v in checked)  # some lots came from another village
    assert model.books.history[-1]["goods_error_kg"] == 0


def test_bid_share_rises_after_short_supply_and_falls_after_a_glut():
    model = VillageMarket(small_scenario(), seed=1)
    anchor = _local_anchor(model, 0)
    cfg = model.config.anchors
    w0 = anchor.bid_share
    anchor.sourcing_need_g, anchor.sourcing_supply_g = 10_000, 4_000
    anchor._review_bid_share()
    assert anchor.bid_share == pytest.approx(w0 + cfg.bid_share_step)
    anchor.sourcing_need_g, anchor.sourcing_supply_g = 10_000, 15_000  # enough, not a glut
    anchor._review_bid_share()
    assert anchor.bid_share == pytest.approx(w0 + cfg.bid_share_step)
    for _ in range(30):
        anchor.sourcing_need_g, anchor.sourcing_supply_g = 10_000, 25_000
        anchor._review_bid_share()
    assert anchor.bid_share == pytest.approx(cfg.bid_share_min)
    for _ in range(30):
        anchor.sourcing_need_g, anchor.sourcing_supply_g = 10_000, 0
        anchor._review_bid_share()
    assert anchor.bid_share == pytest.approx(cfg.bid_share_max)


@pytest.mark.parametrize("households", [0, 600])
def test_purchases_and_imports_stay_within_the_funds_each_anchor_has(monkeypatch, households):
    """With the firms' real budgets: no purchase from growers and no import costs an anchor more
    than its available funds when it buys (a city anchor's gross payment comes back at once)."""
    model = VillageMarket(
        small_scenario(**{**NO_HOUSEHOLDS, "population__farmer_households": households}), seed=4
    )
    spent = {"import": 0.0, "growers": 0.0}

    def owed(anchor):  # receipts its sellers are paid at the end of the clearing (yuan)
        receipts = model.contracts._receipts or ([], [], [])
        return (
            sum(a for i, a in zip(receipts[0], receipts[2], strict=True) if i == anchor.index) / 100
        )

    def within_funds(method, kind):
        def run(*args):
            anchor = args[0] if isinstance(args[0], Anchor) else args[1]
            funds, cash, due = anchor.available_funds(), anchor.cash(), owed(anchor)
            result = method(*args)
            paid = cash - anchor.cash() + owed(anchor) - due
            assert paid <= funds + 0.005
            spent[kind] += paid
            return result

        return run

    monkeypatch.setattr(Anchor, "_maybe_import", within_funds(Anchor._maybe_import, "import"))
    buy = model.contracts.buy_from_farmers
    monkeypatch.setattr(model.contracts, "buy_from_farmers", within_funds(buy, "growers"))
    _run(model, 16)
    assert spent["import"] + spent["growers"] > 0
    assert (spent["growers"] > 0) == (households > 0)


def test_the_higher_bidder_buys_first_whatever_the_planning_order(monkeypatch):
    """Two anchors want more than a village's growers hold: the higher offer is served first."""
    monkeypatch.setattr(Anchor, "available_funds", lambda self: float("inf"))
    model, _, home = _stocked_neighbour_model()
    for other in model.anchor_list:
        other.exit_week = 0
    v = int(model.world.reach.of(home)[0][1])  # a neighbour with goods: both anchors live there
    low, high = _local_anchor(model, v), _local_anchor(model, v)
    low.bid_share, high.bid_share = 0.1, 0.9
    for a in (low, high):
        a.forecast_orders = 1e6  # each wants far more than the village holds
    low.plan_week()  # the low bidder plans (and posts) first
    high.plan_week()
    assert high.product == low.product and high.offer_price > low.offer_price
    before = {a: a.stock_g()[0] for a in (low, high)}
    model.sourcing.clear()
    got = {a: a.stock_g()[0] - before[a] for a in (low, high)}
    assert got[high] > 0
    assert got[high] >= got[low]
    slot = high.index * len(model.products) + high.product
    origin = model.books.lot_village(slot)
    left = model.contracts.acceptable_g(high, origin, high.product, high.offer_price)
    assert left == 0  # the high bidder took all its offer could buy in the village it chose
    low_origin = model.books.lot_village(low.index * len(model.products) + low.product)
    assert got[low] == 0 or low_origin != origin  # nothing was left there for the low bidder
