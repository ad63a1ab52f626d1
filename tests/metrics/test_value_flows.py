"""Where each yuan goes: the value flows add up to consumers' spending, to the fen."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pandas as pd
import pytest
from helpers import small_scenario

import village_sim
from village_sim.metrics import value_flows as vf
from village_sim.model import VillageMarket


def _fen(text: str) -> int:
    return int(Decimal(text) * 100)


@pytest.mark.parametrize(
    "overrides",
    [
        {},
        # cold chain, a commission cap and fairness rules: other flows, still a whole
        {
            "policies": [
                {
                    "name": "cg",
                    "path": "co_governance",
                    "measures": {
                        "commission_cap": {"max_commission": 0.05},
                        "platform_fairness": {"top_share_cap": 0.1, "local_boost": 1.5},
                    },
                }
            ]
        },
    ],
)
def test_flows_sum_to_spending_to_the_fen_every_week(overrides: dict) -> None:
    model = VillageMarket(small_scenario(steps=30, **overrides), seed=4)
    recorder = vf.ValueFlowRecorder(model)
    spent = 0
    while model.running:
        model.step()
        recorder.record()
        week = recorder.weeks[-1]
        assert sum(week[k] for k in vf.FLOWS) == week["spending"]
        # the spending is the consumers' payments for live-stream goods this week
        assert week["spending"] == int(model.money.flows["sale"])
        spent += week["spending"]
    assert spent > 0
    total = recorder.so_far()
    assert total["spending"] == spent == sum(total[k] for k in vf.FLOWS)
    assert total["farm_households"] > 0 and total["platform_commission"] > 0


def test_value_flows_csv_in_the_run_folder_adds_up(tmp_path: Path) -> None:
    result = village_sim.run(small_scenario(steps=12), seed=2)
    result.save(tmp_path / "run")
    path = tmp_path / "run" / "value_flows.csv"
    frame = pd.read_csv(path, dtype=str)
    assert list(frame.columns) == list(vf.COLUMNS)
    assert frame["week"].tolist() == [str(w) for w in range(12)]
    for _, row in frame.iterrows():
        parts = sum(_fen(row[f"{k}_yuan"]) for k in vf.FLOWS)
        assert parts == _fen(row["spending_yuan"])
    totals = vf.run_totals(pd.read_csv(path))
    assert totals["value_flow_spending_yuan"] == pytest.approx(
        sum(float(x) for x in frame["spending_yuan"]), abs=0.005
    )


def test_path_shares_add_up_to_one_per_path() -> None:
    runs = pd.DataFrame(
        [
            {"scenario": s, **vf.run_totals(village_sim.run(sc, seed=r).value_flows)}
            for s, sc in (("a", small_scenario(steps=8)), ("b", small_scenario(steps=8)))
            for r in (1, 2)
        ]
    )
    shares = vf.path_shares(runs, ["a", "b"])
    for _, part in shares.groupby("scenario"):
        assert part["share"].sum() == pytest.approx(1.0)
    assert vf.path_shares(pd.DataFrame({"scenario": ["a"]}), ["a"]).empty


def test_a_city_anchors_capture_is_its_own_not_the_farm_households() -> None:
    """Commission and slot fee that suppliers pay back leave the farm households' flow."""
    model = VillageMarket(small_scenario(), seed=3)
    city = next(a for a in model.anchor_list if a.kind == "external")
    city.forecast_orders = 4000.0  # a large audience: it buys from growers
    model.books.open_week()
    city.plan_week()
    model.sourcing.clear()
    money = model.money
    back = int(money.payments("farmers", vf.FLOWS_BACK).sum())
    assert back > 0
    net = int(money.receipts("farmers", ("contract_sale",)).sum()) - back
    flows = vf.week_flows(model)
    assert flows["farm_households"] == net
    assert sum(flows[k] for k in vf.FLOWS) == flows["spending"] == 0
