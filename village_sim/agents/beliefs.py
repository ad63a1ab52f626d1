"""What the county believes (paper §3.1; learning rules are extensions).

- *Recognition* of streaming as a profession, a social norm that follows visible success (paper
  §3.1: 低认同-低投入-低产出, low recognition → low investment → low output).
- *Expected rural income*, which migrants learn from returned peers (MODEL.md §3).
- Anchors' *perceived detection*, learned from how many cheaters were caught (extension).

Updated once a week after anchors have decided to stay or leave.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np

from village_sim.scenario.schema import Scenario


class Beliefs:
    """The county's shared beliefs and how they are learned.

    Args:
        config: The scenario.
    """

    def __init__(self, config: Scenario) -> None:
        self.config = config
        self.recognition = config.youth.recognition_initial
        self.expected_rural_income = config.youth.rural_income_week
        self.detection_belief = config.regulation.perceived_detection

    def update(
        self, anchors: Sequence[Any], youth: Iterable[Any], week: int, fake_detections: float
    ) -> None:
        """Recognition follows visible success; expected rural income and detection are learned.

        Args:
            anchors: Every anchor ever created.
            youth: The county's young people.
            week: The week that is ending.
            fake_detections: Fake-origin offences detected this week.
        """
        self._update_recognition(anchors, week)
        self._update_rural_income(youth)
        self._update_detection(anchors, fake_detections)

    def _update_recognition(self, anchors: Sequence[Any], week: int) -> None:
        cfg = self.config.youth
        bar = self.config.anchors.reservation_wage_week
        local = [a for a in anchors if a.is_local and not a.exited]
        recent_exits = [
            a for a in anchors if a.is_local and a.exited and week - (a.exit_week or 0) < 26
        ]
        if local or recent_exits:
            succeeded = sum(1 for a in local if (a.rolling_income() or 0.0) >= bar)
            signal = succeeded / (len(local) + len(recent_exits))
            self.recognition += cfg.recognition_rate * (signal - self.recognition)

    def _update_rural_income(self, youth: Iterable[Any]) -> None:
        cfg = self.config.youth
        returnees = [y for y in youth if y.status != "migrant"]
        if not returnees:
            return
        observed = float(
            np.mean(
                [
                    y.anchor.income_history[-1]
                    if y.status == "anchor" and y.anchor.income_history
                    else cfg.rural_income_week
                    for y in returnees
                ]
            )
        )
        self.expected_rural_income += cfg.peer_learning_rate * (
            observed - self.expected_rural_income
        )

    def _update_detection(self, anchors: Sequence[Any], caught: float) -> None:
        cheaters = sum(1 for a in anchors if not a.exited and a.fake_kg_week > 0)
        if cheaters:
            rate = self.config.regulation.belief_rate
            self.detection_belief += rate * (min(1.0, caught / cheaters) - self.detection_belief)
