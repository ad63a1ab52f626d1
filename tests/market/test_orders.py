"""Orders: filled from stock only."""

from __future__ import annotations

import numpy as np
from helpers import small_scenario

from village_sim.model import VillageMarket


def test_orders_never_exceed_stock():
    model = VillageMarket(small_scenario(steps=20), seed=1)
    for _ in range(20):
        model.step()
        orders = model.last_week.orders
        if orders is None:
            continue
        s = orders.sellers
        assert np.all(orders.grams <= s.stock_local + s.stock_import)
