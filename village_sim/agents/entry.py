"""Starting to stream as an economic choice (ECONOMICS.md §B; paper §3.1, §4.1).

A person who could stream — a trainee, a young person at home, a former anchor, a literate and
connected farmer — starts iff streaming from the beginner's prior beats their outside option after
the start-up cost, ``ΔV_entry > 0`` (:meth:`~village_sim.agents.valuation.Valuation.entry_gain`),
and the home village still has premises for a streaming base. The choice is not made every week:
it is *reviewed* each week with probability ``1/R`` (Calvo 1983), ``R`` depending on who decides
(4 in a course's start window, 13 at home, 52 for farmers). Heterogeneity comes from the person's
traits, drawn once, so repeated reviews do not compound noise. Conversion from training to
streaming thus emerges from skill, traits, peers' margins and the outside option; it has no
closed form in skill.
"""

from __future__ import annotations

import mesa
import numpy as np

from village_sim.agents.anchor import premises_free
from village_sim.agents.valuation import Traits
from village_sim.randomness import uniform


def reviews(rng: np.random.Generator, size: int, review_weeks: int) -> np.ndarray:
    """Which of ``size`` people review a decision this week: each with probability ``1/R``."""
    return rng.random(size) < 1.0 / review_weeks


def reviews_now(rng: np.random.Generator, review_weeks: int) -> bool:
    """Whether one person reviews a decision this week (probability ``1/R``)."""
    return uniform(rng) < 1.0 / review_weeks  # rng.random(), one raw draw


def local_products(model: mesa.Model, village: int) -> list[int]:
    """Products a local anchor based in ``village`` could source: those of the villages in reach."""
    world = model.world
    villages = world.reach.of(village)[0] if world.reach is not None else [village]
    return sorted({int(p) for v in villages for p in world.village_products[int(v)]})


def can_pay_start(model: mesa.Model, traits: Traits) -> bool:
    """Whether savings and credit cover ``C_start`` (equipment and first stock, from S + L; §B)."""
    return traits.savings + traits.credit_limit >= model.config.anchors.start_cost


def starts(model: mesa.Model, *, village: int, **terms) -> bool:
    """The entry rule of ECONOMICS.md §B: premises, money for ``C_start`` and ``ΔV_entry > 0``.

    The village must have a free site, ``C_start`` must be within the person's savings and
    credit (S + L), and streaming must beat the outside option.

    Args:
        model: The model.
        village: Where the streaming base would be.
        **terms: The arguments of
            :meth:`~village_sim.agents.valuation.Valuation.entry_gain`.
    """
    if not model.config.livestream.enabled or not premises_free(model, village):
        return False
    if not can_pay_start(model, terms["traits"]):
        return False
    return model.valuation.entry_gain(**terms) > 0
