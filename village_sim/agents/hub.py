"""County logistics hubs (paper §3.2, §4.2): capacity, cold chain, queueing, spoilage.

A hub handles a weekly capacity of parcels (kg) and has a smaller refrigerated capacity. Shipments
that waited from last week go first; what does not fit waits another week and keeps spoiling.
A fresh shipment rides cold only if every road of its route has a cold-chain service and the hub
still has cold capacity (spoilage: :func:`village_sim.market.logistics.spoilage_fraction`).
"""

from __future__ import annotations

import mesa
import numpy as np
from mesa.discrete_space import FixedAgent


class LogisticsHub(FixedAgent):
    """A county hub as a Mesa agent on its node.

    Args:
        model: The model.
        index: Hub index in ``world.hub_nodes``.
    """

    def __init__(self, model: mesa.Model, index: int) -> None:
        super().__init__(model)
        self.index = index
        world = model.world
        self.cell = model.grid[world.hub_nodes[index]]
        self.capacity_kg = float(world.hub_capacity[index])
        self.cold_capacity_kg = float(world.hub_cold_capacity[index])
        self.processed_kg = 0.0
        self.cold_kg = 0.0
        self.queued_kg = 0.0

    def process(
        self, grams: np.ndarray, cold_eligible: np.ndarray, waited: np.ndarray, order: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray]:
        """Decide which shipments leave this week and which of them ride cold.

        Args:
            grams: Weight of each shipment routed through this hub.
            cold_eligible: Fresh shipments on an all-cold route.
            waited: Weeks each shipment has already waited (waiting ones go first).
            order: A random tie-break order among shipments of equal waiting time.

        Returns:
            ``(leaves, cold)`` boolean arrays.
        """
        n = grams.size
        leaves = np.zeros(n, dtype=bool)
        cold = np.zeros(n, dtype=bool)
        if n == 0:
            self.processed_kg = self.cold_kg = self.queued_kg = 0.0
            return leaves, cold
        queue = np.lexsort((order, -waited))
        g = grams[queue].astype(float)
        fits = np.cumsum(g) <= self.capacity_kg * 1000
        fits[0] = True  # a hub always moves at least the first shipment in line
        leaves[queue] = fits
        cold_g = np.where(fits & cold_eligible[queue], g, 0.0)
        cold_fits = (np.cumsum(cold_g) <= self.cold_capacity_kg * 1000) & (cold_g > 0)
        cold[queue] = cold_fits
        self.processed_kg = float(g[fits].sum()) / 1000
        self.cold_kg = float(g[cold_fits].sum()) / 1000
        self.queued_kg = float(g[~fits].sum()) / 1000
        return leaves, cold
