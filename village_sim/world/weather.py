"""Weekly village weather (extension): a shock to yield (log-normal) and to quality (normal)."""

from __future__ import annotations

import numpy as np

from village_sim.scenario.schema import WorldConfig


class Weather:
    """This week's weather of every village.

    Args:
        config: The scenario's world section (``weather_yield_sd``, ``weather_quality_sd``).
        n_villages: Number of villages.
        rng: The weather's random stream.
    """

    def __init__(self, config: WorldConfig, n_villages: int, rng: np.random.Generator) -> None:
        self.config = config
        self.n = n_villages
        self.rng = rng
        self.yield_factor = np.ones(n_villages)
        self.quality_shift = np.zeros(n_villages)

    def draw(self) -> None:
        """Draw this week's shocks: yield factor (mean 1) and quality shift (mean 0)."""
        sd = self.config.weather_yield_sd
        self.yield_factor = self.rng.lognormal(-0.5 * sd**2, sd, self.n)
        self.quality_shift = self.rng.normal(0.0, self.config.weather_quality_sd, self.n)
