"""Small, fast scenarios for the mechanism tests."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from village_sim.run import load_scenario
from village_sim.scenario.schema import Scenario

REPO = Path(__file__).resolve().parent.parent
"""The repository's root (scenarios/, experiments/, docs/)."""

SMALL = {
    "steps": 26,
    "world.county.villages": 6,
    "world.county.townships": 2,
    "world.county.hubs": 1,
    "world.county.cities": 2,
    "population.farmer_households": 600,
    "population.youth": 120,
    "population.youth_at_home_share": 0.3,
    "population.consumer_units": 2000,
    "population.external_anchors": 2,
    "training.seats_per_year": 60,
}


def small_scenario(**overrides: Any) -> Scenario:
    """The default scenario shrunk for speed; keyword overrides use ``__`` for dots."""
    merged = dict(SMALL)
    merged.update({k.replace("__", "."): v for k, v in overrides.items()})
    return load_scenario(None, overrides=merged)
