"""Market regulators (paper §4.3): inspections, detection, fines, suspensions.

A regulator inspects up to its weekly capacity of anchors, the most complained-about first (ties in
random order). An inspection uncovers an offence — goods of false origin sold since the last
inspection, or quality advertised beyond ``exaggeration_limit`` — with probability
``1 − (1 − p_base)(1 − p_monitoring)(1 − p_traceability)`` (MODEL.md §8), traceability counting
where the anchor's traceability tool is in use or the village runs a traceability system. A fine
scales with the offence's gain; repeat offenders are suspended.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import mesa
import numpy as np
from mesa.discrete_space import FixedAgent

from village_sim.accounts import Account, Flow
from village_sim.units import to_fen

if TYPE_CHECKING:
    from village_sim.agents.anchor import Anchor


def detection_probability(p_base: float, p_monitoring: float, p_traceability: float) -> float:
    """``1 − (1 − p_base)(1 − p_monitoring)(1 − p_traceability)`` (MODEL.md §8)."""
    return 1 - (1 - p_base) * (1 - p_monitoring) * (1 - p_traceability)


class Regulator(FixedAgent):
    """A market regulator, placed at the county hub."""

    def __init__(self, model: mesa.Model, index: int) -> None:
        super().__init__(model)
        self.index = index
        self.cell = model.grid[model.world.hub_nodes[index % len(model.world.hub_nodes)]]
        self.inspections = 0
        self.detections = 0
        self.fines_yuan = 0.0
        self.stream = model.streams["regulators"]

    def capacity(self) -> int:
        """Inspections this week (policy may add capacity)."""
        cfg = self.model.config.regulation
        return cfg.inspections_per_week + self.model.governance.extra_inspections()

    def inspect(self) -> None:
        """Inspect the most complained-about anchors not yet inspected this week."""
        model = self.model
        queue = model.inspections
        targets = queue.pending(model.anchor_list, model.week, self.stream)
        for anchor in targets[: self.capacity()]:
            queue.inspected.add(anchor.index)
            self.inspections += 1
            model.week_stats["inspections"] += 1
            self._examine(anchor)

    def _examine(self, anchor: Anchor) -> None:
        model = self.model
        cfg = model.config.regulation
        fake = anchor.fake_gain_open > 0
        exaggerating = anchor.exaggeration > cfg.exaggeration_limit
        if not (fake or exaggerating):
            return
        traceable = "traceability" in anchor.tools and anchor.tools["traceability"].in_use
        traceable = traceable or model.governance.traceability(anchor.base_village)
        p_trace = cfg.p_traceability if traceable else 0.0
        p_monitor = min(1.0, cfg.p_monitoring + model.governance.monitoring_bonus())
        if fake:
            protection = model.governance.brand_protection(anchor.base_village)
            p_monitor = 1 - (1 - p_monitor) * (1 - protection)
        if self.stream.random() >= detection_probability(cfg.p_detect_base, p_monitor, p_trace):
            return
        gain = anchor.fake_gain_open + (
            anchor.exaggeration * anchor.recent_revenue(cfg.offence_gain_weeks)
            if exaggerating
            else 0.0
        )
        multiplier = cfg.fine_multiplier * model.governance.penalty_multiplier()
        fine = max(cfg.min_fine, multiplier * gain)
        model.money.transfer(
            Flow.FINE, Account.ANCHORS, anchor.index, Account.GOVERNMENT, 0, to_fen(fine)
        )
        self.detections += 1
        self.fines_yuan += fine
        model.week_stats["detections"] += 1
        if fake:
            model.week_stats["fake_detections"] += 1
        anchor.fake_gain_open = 0.0
        anchor.offences += 1
        model.governance.on_detection(anchor)
        anchor.honesty_cost *= cfg.caught_honesty_multiplier
        anchor.exaggeration = min(
            anchor.exaggeration, cfg.exaggeration_limit * cfg.caught_exaggeration_share
        )
        if anchor.offences >= cfg.offences_to_suspend:
            anchor.suspended_until = model.week + cfg.suspension_weeks
            anchor.suspensions += 1
            model.week_stats["suspensions"] += 1
            if anchor.suspensions >= cfg.suspensions_to_ban:
                anchor.retire("banned")


def complaint_order(complaints: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Indices by complaints, most first; ties in random order."""
    return np.lexsort((rng.random(complaints.size), -complaints))


class InspectionQueue:
    """Which trading anchors the county's regulators have not inspected yet this week."""

    def __init__(self) -> None:
        self.week = -1
        self.inspected: set[int] = set()

    def pending(self, anchors: list[Anchor], week: int, rng: np.random.Generator) -> list[Anchor]:
        """Trading anchors not yet inspected this week, most complained-about first."""
        if week != self.week:
            self.week, self.inspected = week, set()
        pool = [a for a in anchors if a.can_trade(week) and a.index not in self.inspected]
        if not pool:
            return []
        complaints = np.array([sum(a.complaints_hist) for a in pool], dtype=float)
        return [pool[i] for i in complaint_order(complaints, rng)]
