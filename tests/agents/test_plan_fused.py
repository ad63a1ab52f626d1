"""A rural seller's common week planned in one pass agrees exactly with the plan's steps.

:meth:`Anchor._plan_kept_product` does the work of :meth:`Anchor._choose_product`,
:meth:`Anchor._set_price` and :meth:`Anchor._source_goods` for a seller that keeps its product
(benchmarks/README.md, speed). Runs with ``FUSED_PLAN`` on and off must post the same purchases
and leave the same prices, cost floors, offers and chosen villages, compared with ``==``.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from village_sim.agents.anchor import Anchor
from village_sim.market.sourcing import Sourcing
from village_sim.model import VillageMarket
from village_sim.run import load_scenario

ROOT = Path(__file__).resolve().parents[2]


def _posted(name: str, fused: bool, weeks: int, monkeypatch) -> tuple[list, int]:
    """Every purchase posted in a run, with its seller's plan, and the fused plans taken."""
    records, taken = [], [0]
    post, kept = Sourcing.post, Anchor._plan_kept_product

    def recording_post(self, anchor, need_g, funds=None):
        records.append(
            (
                self.model.week,
                anchor.index,
                int(need_g),
                funds,
                anchor.offer_price,
                anchor.source_village,
                anchor.product,
                anchor.cost_floor_now,
                anchor.price.tolist(),
                anchor.exaggeration,
                anchor.bid_share,
            )
        )
        return post(self, anchor, need_g, funds)

    def counted_kept(self):
        done = kept(self)
        taken[0] += done
        return done

    monkeypatch.setattr(Anchor, "FUSED_PLAN", fused)
    monkeypatch.setattr(Sourcing, "post", recording_post)
    monkeypatch.setattr(Anchor, "_plan_kept_product", counted_kept)
    scenario = load_scenario(ROOT / "scenarios" / f"{name}.yaml", overrides={"steps": weeks})
    model = VillageMarket(scenario, seed=3)
    for _ in range(weeks):
        model.step()
    monkeypatch.undo()
    return records, taken[0]


@pytest.mark.parametrize("name", ["baseline", "combined"])
def test_fused_plan_posts_what_the_plan_steps_post(name, monkeypatch):
    """Through a run (policies on in ``combined``): the same purchases and plans, week by week."""
    fused, taken = _posted(name, True, 30, monkeypatch)
    plain, none = _posted(name, False, 30, monkeypatch)
    assert none == 0 and taken > 500, taken
    assert len(fused) == len(plain) > 1000
    for a, b in zip(fused, plain, strict=True):
        assert a == b, (a[:2], b[:2])
