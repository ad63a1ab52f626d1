"""City anchors who may take up the county (ECONOMICS.md §A "City anchors"; paper §3; rule extension).

A pool of potential entrants — ``entry_pool`` × the city anchors present at the start — each with
its own outside option o_ext drawn once, reviews with probability ``1/review_weeks`` a week and
enters iff the value of streaming the county's goods beats its airtime elsewhere by more than the
entry cost C_ext: ``ΔV_entry > 0`` at the median M̂ of the active city anchors with at least
``entry_evidence_weeks`` active weeks (no such anchor: no evidence, no entry). Entry and exit
(:meth:`Anchor.stay_or_leave`) use the same ΔV, with sunk costs in between (Dixit 1989).
"""

from __future__ import annotations

import mesa
import numpy as np

from village_sim.agents.anchor import Anchor
from village_sim.agents.valuation import Traits


class CityEntrants:
    """The pool of city anchors who have not entered yet.

    Args:
        model: The model (its scenario, anchors, valuation and consumers).
    """

    def __init__(self, model: mesa.Model) -> None:
        self.model = model
        cfg = model.config.external_anchors
        rng = model.streams["anchors"]
        n = int(round(cfg.entry_pool * model.config.population.external_anchors))
        self.outside = list(
            cfg.outside_option_week * rng.lognormal(0.0, cfg.outside_option_log_sd, n)
        )
        self.entered = 0

    def step(self) -> None:
        """Potential entrants review and enter when ΔV_entry > 0."""
        model = self.model
        cfg = model.config.external_anchors
        if not self.outside or not model.config.livestream.enabled:
            return
        established = [
            a.margin_hat
            for a in model.anchors
            if a.kind == "external" and a.active_weeks >= cfg.entry_evidence_weeks
        ]
        if not established:
            return
        margin = float(np.median(established))
        rng = model.streams["anchors"]
        staying = []
        for o_ext in self.outside:
            if rng.random() < 1.0 / cfg.review_weeks and self.entry_gain(margin, o_ext) > 0:
                self._enter(o_ext)
            else:
                staying.append(o_ext)
        self.outside = staying

    def entry_gain(self, margin: float, o_ext: float) -> float:
        """ΔV_entry of a city anchor with outside option ``o_ext`` at ``margin`` (yuan)."""
        model = self.model
        cfg = model.config.external_anchors
        return model.valuation.value(
            margin=margin,
            skill=cfg.skill,
            aptitude=cfg.skill,
            sessions=cfg.sessions_per_week,
            products=range(len(model.products)),
            outside=o_ext,
            dormant=o_ext,
            fixed=0.0,
            traits=Traits(1.0, 0.0, 1.0, cfg.equity, 0.0, 0.0),
            switch=-cfg.entry_cost,
            recognised=False,
        )

    def _enter(self, o_ext: float) -> None:
        model = self.model
        cfg = model.config.external_anchors
        rng = model.streams["anchors"]
        village = int(rng.integers(model.world.n_villages))
        anchor = Anchor(
            model,
            "external",
            model.new_person_id(),
            village,
            cfg.skill,
            cfg.skill,
            outside_option=o_ext,
            dormant_wage=o_ext,
        )
        anchor.pay_entry_cost(cfg.entry_cost)
        model.consumers.seed_followers([anchor.index], cfg.follower_share, cfg.follower_trust)
        self.entered += 1
