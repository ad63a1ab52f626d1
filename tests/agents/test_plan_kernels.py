"""The plain-Python planning paths of rural sellers agree exactly with their array formulas.

A rural seller's reach holds a handful of (village, product) cells, so its choice of where to buy
(:meth:`Anchor._choose_source`, :meth:`Anchor.surplus_cells`) and the sourcing stage's ranking of
villages (:meth:`Sourcing._candidates`) are computed number by number; the array versions are the
formulas (and what city anchors, with the county in reach, use). Every call of a run is checked
against them with ``==`` (benchmarks/README.md, speed).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from village_sim.agents.anchor import Anchor
from village_sim.market.sourcing import Sourcing
from village_sim.model import VillageMarket
from village_sim.run import load_scenario

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("name", ["baseline", "combined"])
def test_plain_paths_equal_the_array_formulas_through_a_run(name, monkeypatch):
    seen = {"source": 0, "cells": 0, "candidates": 0, "chosen": 0}
    choose, candidates = Anchor._choose_source, Sourcing._candidates

    def checked_choose(self):
        cell = choose(self)
        assert cell == self._choose_source_arrays(), (self.model.week, self.index)
        if self.kind != "external":
            villages, km = self.reach()
            products = list(range(len(self.model.products)))
            cells = self.surplus_cells(villages.tolist(), km.tolist(), products)
            assert np.array_equal(np.array(cells), self.surplus_per_kg(villages, km))
            seen["cells"] += 1
        seen["source"] += 1
        seen["chosen"] += cell is not None
        return cell

    def checked_candidates(self, purchase, live):
        ranked = candidates(self, purchase, live)
        assert ranked == self._candidates_arrays(purchase, live)
        seen["candidates"] += bool(ranked)
        return ranked

    monkeypatch.setattr(Anchor, "FUSED_PLAN", False)  # every plan through _choose_source
    monkeypatch.setattr(Anchor, "_choose_source", checked_choose)
    monkeypatch.setattr(Sourcing, "_candidates", checked_candidates)
    scenario = load_scenario(ROOT / "scenarios" / f"{name}.yaml", overrides={"steps": 30})
    model = VillageMarket(scenario, seed=3)
    for _ in range(30):
        model.step()
    assert seen["cells"] > 300 and seen["chosen"] > 300 and seen["candidates"] > 100, seen
