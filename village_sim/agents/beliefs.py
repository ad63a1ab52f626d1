"""What the county believes (paper §3.1; learning rules are extensions).

- *Recognition* of streaming as a profession, a social norm that follows visible success (paper
  §3.1: 低认同-低投入-低产出, low recognition → low investment → low output).
- *Expected rural income*, which migrants learn from returned peers (MODEL.md §3).
- Anchors' *perceived detection*, learned from how many cheaters were caught (extension).

Updated once a week after anchors have decided to stay or leave.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

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

    def update(self, anchors: Sequence[Any], valuation: Any, fake_detections: float) -> None:
        """Recognition follows visible success; expected rural income and detection are learned.

        Args:
            anchors: Every anchor ever created.
            valuation: The week's :class:`~village_sim.agents.valuation.Valuation` (peers'
                margins and the share of visible local anchors whose streaming beat their
                outside option at their last review).
            fake_detections: Fake-origin offences detected this week.
        """
        self._update_recognition(valuation.recognition_signal)
        self._update_rural_income(valuation.expected_rural_income())
        self._update_detection(anchors, fake_detections)

    def _update_recognition(self, signal: float | None) -> None:
        """Recognition moves toward the share of visible local anchors with ΔV ≥ 0 (§B)."""
        if signal is not None:
            self.recognition += self.config.youth.recognition_rate * (signal - self.recognition)

    def _update_rural_income(self, observed: float | None) -> None:
        """Migrants' expected rural income moves toward peers' median M̂ − F (ECONOMICS.md §B)."""
        if observed is None:
            return
        self.expected_rural_income += self.config.youth.peer_learning_rate * (
            observed - self.expected_rural_income
        )

    def _update_detection(self, anchors: Sequence[Any], caught: float) -> None:
        cheaters = sum(1 for a in anchors if not a.exited and a.fake_kg_week > 0)
        if cheaters:
            rate = self.config.regulation.belief_rate
            self.detection_belief += rate * (min(1.0, caught / cheaters) - self.detection_belief)
