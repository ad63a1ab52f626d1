"""Supply contracts between anchors and farm households (paper §3.1)."""

from __future__ import annotations

import numpy as np
from helpers import small_scenario

from village_sim.model import VillageMarket


def test_contracts_only_with_connected_households_whose_reservation_is_met():
    model = VillageMarket(small_scenario(steps=40), seed=5)
    weeks_with_contracts = 0
    for _ in range(40):
        model.step()
        farmers = model.farmers
        contracted = farmers.contract_anchor >= 0
        weeks_with_contracts += bool(contracted.any())
        assert farmers.connected[contracted].all()
        for i in np.flatnonzero(contracted)[:50]:
            anchor = model.anchor_list[farmers.contract_anchor[i]]
            assert not anchor.exited
    assert weeks_with_contracts >= 10


def test_live_streaming_pays_contract_farmers_more_than_middlemen():
    model = VillageMarket(small_scenario(steps=30), seed=2)
    paid = []
    for _ in range(30):
        model.step()
        receipts = model.money.receipts("farmers", ("contract_sale",))
        paid.append(receipts.sum())
    assert sum(paid) > 0
    assert model.week_stats is not None
