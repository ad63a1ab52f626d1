"""Governance: the hooks through which policies act on agents (paper §4).

Every mechanism that a governance path can change asks :class:`Governance` for its current lever
(extra training seats, a commission cap, a fairness cap ...). With no policy active each lever is
neutral, so the status quo is exactly the baseline's mechanisms. Policies are scheduled, budgeted
and applied in :meth:`Governance.apply`; the measures of each path live in this package, one module
per path.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from village_sim.agents.anchor import Anchor
    from village_sim.model import VillageMarket


class Governance:
    """Scheduled policies and the levers they set (neutral when none is active)."""

    def __init__(self, model: VillageMarket) -> None:
        self.model = model
        self.policies = list(model.config.policies)
        self.spent_yuan: dict[str, float] = {p.name: 0.0 for p in self.policies}
        self.commission_cap = 1.0

    def apply(self, week: int) -> None:
        """Start, stop and pay for policies this week (filled in by the governance paths)."""

    # -- talent ----------------------------------------------------------------------------------
    def extra_seats_per_year(self) -> float:
        """Training seats added by policy."""
        return 0.0

    def crash_share(self, status_quo: float) -> float:
        """Share of seats in crash courses."""
        return status_quo

    def course_quality(self, course: str) -> float:
        """Multiplier on a course's skill gain."""
        return 1.0

    def returnee_subsidy_week(self) -> float:
        """Weekly subsidy promised to a returnee (yuan)."""
        return 0.0

    def learning_multiplier(self, anchor: Anchor) -> float:
        """Multiplier on learning by doing (anchor alliance)."""
        return 1.0

    def patience_bonus(self, anchor: Anchor) -> float:
        """Patience added by career support."""
        return 0.0

    def income_floor(self, anchor: Anchor) -> float:
        """Weekly income floor paid to a new anchor (yuan)."""
        return 0.0

    # -- infrastructure ----------------------------------------------------------------------------
    def uplink_multiplier(self, villages: np.ndarray) -> np.ndarray:
        """Bandwidth multiplier per village."""
        return np.ones(np.shape(villages))

    def cold_route(self, villages: np.ndarray, cities: np.ndarray) -> np.ndarray:
        """Routes given a cold chain by policy."""
        return np.zeros(np.shape(villages), dtype=bool)

    # -- supply side ---------------------------------------------------------------------------------
    def traceability(self, village: int) -> bool:
        """Whether a village runs a traceability system."""
        return False

    # -- co-governance -------------------------------------------------------------------------------
    def extra_inspections(self) -> int:
        """Inspections a week added by policy."""
        return 0

    def monitoring_bonus(self) -> float:
        """Detection added by AI monitoring."""
        return 0.0

    def penalty_multiplier(self) -> float:
        """Multiplier on fines."""
        return 1.0

    def local_boost(self) -> float:
        """Platform weight multiplier for local sellers."""
        return 1.0

    def top_share_cap(self) -> float:
        """Largest organic traffic share of one anchor."""
        return 1.0

    def min_farmer_share(self) -> float:
        """Minimum share of the selling price paid to farmers in supply contracts."""
        return 0.0

    def spend_total(self) -> float:
        """Yuan spent by all policies so far."""
        return float(sum(self.spent_yuan.values()))
