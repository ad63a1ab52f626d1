"""What streaming is worth to a person, against their outside option (ECONOMICS.md §A, §B).

Every decision to start, stay or leave compares the expected value of streaming over the next
``H`` weeks with the person's outside option (extension; paper §3.1 for the outside options):

``ΔV = β·Σ_τ δ^τ [a_τ·(M̂_τ + ς·rec·o + ν) + (1 − a_τ)·w_d − F − o] ± C``

with ``a_τ`` the activity calendar (can goods in reach be had in week τ?), ``M̂_τ`` the expected
gross margin of an active week at the skill the person will have by then (learning by doing),
``o`` the outside option, ``w_d`` a dormant week's earnings, ``F`` the fixed cost a week, ``rec``
the county's recognition of the profession, ``ν`` the person's own taste for the work in yuan a
week (a deviation from ECONOMICS.md §A, which has ``ν·o``: see :class:`Traits`), ``β`` their
present bias (Laibson 1997) and ``C`` the switching cost: ``+C_leave`` for one who streams (leaving
costs it), ``−C_start`` for one who considers starting. Traits are drawn once per person
(:func:`draw_traits`), so repeated reviews do not compound noise.

:class:`Valuation` (``model.valuation``) keeps what every review reads and what changes once a
week: the calendar sums per village and week of the year, the peers' median margin, mean skill and
sessions (the prior a beginner starts from), and the recognition signal.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass
from typing import Any

import mesa
import numpy as np

WEEKS_PER_YEAR = 52
SKILL_CENTRE = 0.5
"""Skill at which the consumers' skill term is neutral (MODEL.md §3): a beginner's reference
before any peer has results."""


@dataclass(frozen=True)
class Traits:
    """A person's economic traits, drawn once (ECONOMICS.md §A; all assumed).

    Attributes:
        present_bias: β, the weight of every future flow against what is paid now.
        taste: ν, the person's own taste for the work (yuan a week of active streaming). In
            yuan, not as a share of the outside option as ECONOMICS.md §A writes it: with a
            share, everyone whose ς·rec + ν is near or above 1 values streaming more the more
            the city pays, and at the calibrated spread that reversed §E's wage direction.
        belief: ε, a multiplicative error in the prior margin the person expects as a beginner.
        savings: S, yuan the person can put into the business when starting.
        credit_line: L, the informal overdraft line (yuan).
        guaranteed_loan: The guaranteed start-up loan (yuan; 0 without one).
    """

    present_bias: float
    taste: float
    belief: float
    savings: float
    credit_line: float
    guaranteed_loan: float

    @property
    def credit_limit(self) -> float:
        """L: informal line plus the guaranteed loan (yuan)."""
        return self.credit_line + self.guaranteed_loan


_MISSING = object()
"""A :meth:`Valuation.weekly` value not yet computed."""


def draw_traits(
    rng: np.random.Generator,
    config: Any,
    savings_base_week: float | None,
    taste_scale: float | None = None,
) -> Traits:
    """Draw a person's economic traits (ECONOMICS.md §A).

    Args:
        rng: The stream of the mechanism that creates the person.
        config: The scenario (reads ``anchors``).
        savings_base_week: A returned migrant's own urban wage (yuan/week): savings are
            lognormal around ``savings_weeks_median`` weeks of it. None for anyone else, who
            starts with ``savings_other`` yuan.
        taste_scale: The scale of the taste ν (yuan/week) in the person's population; default
            ``anchors.taste_scale`` (the young and city anchors; farm households have their own).
    """
    cfg = config.anchors
    mean, sd = cfg.present_bias_mean, cfg.present_bias_sd
    beta = _beta_draw(rng, mean, sd)
    scale = cfg.taste_scale if taste_scale is None else taste_scale
    taste = float(rng.logistic(0.0, scale)) if scale > 0 else 0.0
    belief = float(rng.lognormal(0.0, cfg.prior_belief_log_sd))
    if savings_base_week is None:
        savings = cfg.savings_other
    else:
        savings = float(
            cfg.savings_weeks_median * savings_base_week * rng.lognormal(0.0, cfg.savings_log_sd)
        )
    credit = float(cfg.credit_line_median * rng.lognormal(0.0, cfg.credit_line_log_sd))
    guaranteed = cfg.guaranteed_loan_yuan if rng.random() < cfg.guaranteed_loan_share else 0.0
    return Traits(beta, taste, belief, savings, credit, float(guaranteed))


def _beta_draw(rng: np.random.Generator, mean: float, sd: float) -> float:
    """A Beta draw with the given mean and standard deviation (the mean itself when sd is 0)."""
    if sd <= 0 or mean <= 0 or mean >= 1:
        return float(mean)
    var = min(sd * sd, mean * (1 - mean) * 0.999)
    k = mean * (1 - mean) / var - 1
    return float(rng.beta(mean * k, (1 - mean) * k))


def calendar(harvest_weeks: Sequence[Sequence[int]], fresh: Sequence[bool]) -> np.ndarray:
    """a(w) per week of the year for a set of products within reach (ECONOMICS.md §A).

    Fresh produce can be had in its harvest weeks, storable produce all year.

    Args:
        harvest_weeks: Harvest weeks (0-51) of each product within reach.
        fresh: Whether each product is fresh.

    Returns:
        A 0/1 float array of 52 weeks.
    """
    active = np.zeros(WEEKS_PER_YEAR)
    for weeks, is_fresh in zip(harvest_weeks, fresh, strict=True):
        if not is_fresh:
            return np.ones(WEEKS_PER_YEAR)
        active[list(weeks)] = 1.0
    return active


def discount_weights(delta: float, horizon: int) -> np.ndarray:
    """δ^τ for τ = 1..H."""
    return delta ** np.arange(1, horizon + 1)


def skill_path(
    skill: float, aptitude: float, eta: float, sessions: float, horizon: int
) -> np.ndarray:
    """``s_τ = a − (a − s)(1 − η)^{kτ}``, τ = 1..H: skill ahead by learning by doing."""
    return aptitude - (aptitude - skill) * _practice_decay(eta, sessions, horizon)


@functools.lru_cache(maxsize=256, typed=True)
def _practice_decay(eta: float, sessions: float, horizon: int) -> np.ndarray:
    """``(1 − η)^{kτ}``, τ = 1..H (read-only): the same for every decision with ``η``, ``k``."""
    tau = np.arange(1, horizon + 1)
    decay = (1.0 - eta) ** (sessions * tau)
    decay.setflags(write=False)
    return decay


def delta_v(
    *,
    margin_path: np.ndarray,
    active: np.ndarray,
    weights: np.ndarray,
    outside: float,
    dormant: float,
    fixed: float,
    bonus_share: float,
    taste: float,
    present_bias: float,
    switch: float,
) -> float:
    """ΔV of streaming against the outside option (the plain formula of ECONOMICS.md §A).

    Args:
        margin_path: M̂_τ, expected gross margin of an active week τ (yuan).
        active: a_τ, 1 in weeks with goods in reach.
        weights: δ^τ.
        outside: o, the outside option a week (yuan).
        dormant: w_d, a dormant week's earnings (yuan).
        fixed: F, the fixed cost a week (yuan).
        bonus_share: ς·rec, the status of the profession as a share of o.
        taste: ν, the person's own taste for the work (yuan a week).
        present_bias: β.
        switch: +C_leave for one who streams, −C_start for one who would start (yuan; not
            discounted: paid now).
    """
    bonus = bonus_share * outside + taste
    flow = active * (margin_path + bonus) + (1 - active) * dormant - fixed - outside
    return float(present_bias * np.dot(weights, flow) + switch)


@dataclass(frozen=True)
class Peers:
    """What the county's visible local anchors show a beginner, once a week."""

    median_margin: float | None
    count: int
    mean_skill: float
    mean_sessions: float


class Valuation:
    """The week's shared inputs of every start/stay/leave decision (``model.valuation``).

    Args:
        model: The model (reads its scenario, world and products).
    """

    def __init__(self, model: mesa.Model) -> None:
        self.model = model
        cfg = model.config.anchors
        self.weights = discount_weights(cfg.discount_factor_week, cfg.horizon_weeks)
        # Before any peer has results, a beginner compares its skill with the consumers' centre
        # (0.5, where the skill term of the logit is neutral).
        self.peers = Peers(None, 0, SKILL_CENTRE, float(cfg.sessions_per_week))
        self.recognition_signal: float | None = None
        self._calendars: dict[tuple[int, ...], np.ndarray] = {}
        self._ahead: tuple[int, dict[tuple[int, ...], np.ndarray]] = (-1, {})
        self._weekly: tuple[int, dict[Hashable, Any]] = (-1, {})

    # -- calendar ----------------------------------------------------------------------------
    def active_calendar(self, products: Sequence[int]) -> np.ndarray:
        """a(w) for a set of products (ids), cached."""
        key = tuple(sorted(set(int(p) for p in products)))
        if key not in self._calendars:
            specs = [self.model.products[p] for p in key]
            self._calendars[key] = calendar(
                [s.harvest_weeks for s in specs], [s.fresh for s in specs]
            )
        return self._calendars[key]

    def ahead(self, products: Sequence[int], week: int) -> np.ndarray:
        """a_τ for τ = 1..H from ``week`` (read-only: one array per product set and week).

        Every decision of a week reads the same few calendars (a reach's products), so each is
        taken once a week; :meth:`ahead_plain` is the formula.
        """
        memo = self._ahead
        if memo[0] != week:
            memo = self._ahead = (week, {})
        key = tuple(products)
        value = memo[1].get(key)
        if value is None:
            value = memo[1][key] = self.ahead_plain(products, week)
            value.setflags(write=False)
        return value

    def ahead_plain(self, products: Sequence[int], week: int) -> np.ndarray:
        """:meth:`ahead` computed afresh."""
        year = self.active_calendar(products)
        horizon = self.weights.size
        idx = (week + np.arange(1, horizon + 1)) % WEEKS_PER_YEAR
        return year[idx]

    def weekly(self, key: Hashable, compute: Callable[[], Any]) -> Any:
        """``compute()`` once a week for ``key`` (a term every decision of the week shares).

        Args:
            key: What the value depends on besides the week (it must name every input).
            compute: The formula.
        """
        memo = self._weekly
        if memo[0] != self.model.week:
            memo = self._weekly = (self.model.week, {})
        value = memo[1].get(key, _MISSING)
        if value is _MISSING:
            value = memo[1][key] = compute()
        return value

    # -- peers and the prior --------------------------------------------------------------------
    def update_peers(self, anchors: Sequence[Any], week: int) -> None:
        """Peers' median M̂ (active or exited in the last 26 weeks, failures visible), skill, sessions.

        Also the recognition signal: the share of those peers whose ΔV was ≥ 0 at their last
        review (exited ones left because it was not).
        """
        window = self.model.config.anchors.peer_memory_weeks
        visible = [
            a
            for a in anchors
            if a.kind == "local"
            and a.margin_count > 0
            and (not a.exited or week - (a.exit_week or 0) < window)
        ]
        if not visible:
            self.peers = Peers(None, 0, self.peers.mean_skill, self.peers.mean_sessions)
            self.recognition_signal = None
            return
        margins = np.array([a.margin_hat for a in visible])
        alive = [a for a in visible if not a.exited]
        mean_skill = float(np.mean([a.skill for a in alive])) if alive else self.peers.mean_skill
        sessions = [a.sessions_capacity() for a in alive]
        mean_sessions = float(np.mean(sessions)) if sessions else self.peers.mean_sessions
        self.peers = Peers(float(np.median(margins)), len(visible), mean_skill, mean_sessions)
        self.recognition_signal = float(np.mean([a.last_delta_v >= 0 for a in visible]))

    def prior_margin(self, skill: float, sessions: float, belief: float) -> float:
        """A beginner's M̂ before any result: ``M̄·(k/k̄)·exp(ω_s(s − s̄))·ε`` (ECONOMICS.md §A)."""
        cfg = self.model.config
        n_pub = cfg.anchors.public_margin_weight
        m_pub = cfg.anchors.public_margin_week
        peers = self.peers
        if peers.median_margin is None:
            m_bar = m_pub
        else:
            m_bar = (peers.count * peers.median_margin + n_pub * m_pub) / (peers.count + n_pub)
        ratio = sessions / peers.mean_sessions if peers.mean_sessions > 0 else 1.0
        skill_gap = skill - peers.mean_skill
        return m_bar * ratio * math.exp(cfg.consumers.skill_weight * skill_gap) * belief

    def expected_rural_income(self) -> float | None:
        """What migrants expect streaming at home to earn: peers' median M̂ − F (MODEL.md §3)."""
        if self.peers.median_margin is None:
            return None
        return self.peers.median_margin - self.beginner_fixed_cost()

    def beginner_fixed_cost(self) -> float:
        """F of a beginner: the start-up equipment's depreciation (yuan/week)."""
        cfg = self.model.config.anchors
        return cfg.start_cost * cfg.equipment_share_of_start / cfg.depreciation_weeks

    # -- decisions --------------------------------------------------------------------------------
    def margin_path(
        self, margin: float, skill: float, aptitude: float, sessions: float
    ) -> np.ndarray:
        """M̂_τ = M̂·exp(ω_s(s_τ − s)): learning by doing raises a beginner's value."""
        cfg = self.model.config
        path = skill_path(skill, aptitude, cfg.anchors.learning_rate, sessions, self.weights.size)
        return margin * np.exp(cfg.consumers.skill_weight * (path - skill))

    def value(
        self,
        *,
        margin: float,
        skill: float,
        aptitude: float,
        sessions: float,
        products: Sequence[int],
        outside: float,
        dormant: float,
        fixed: float,
        traits: Traits,
        switch: float,
        recognised: bool = True,
        blocked: int = 0,
        floor: np.ndarray | None = None,
    ) -> float:
        """ΔV for one person now (see :func:`delta_v`).

        ``blocked`` weeks ahead have ``a_τ = 0`` (a regulator's suspension). ``floor``, an income
        floor per week ahead (a known policy flow), adds its expected top-up
        ``max(0, floor_τ − (a_τ·M̂_τ − F))`` to those weeks.
        """
        model = self.model
        cfg = model.config.anchors
        status = cfg.recognition_status * model.beliefs.recognition if recognised else 0.0
        active = self.ahead(products, model.week)
        if blocked > 0:
            active = active.copy()
            active[:blocked] = 0.0
        path = self.margin_path(margin, skill, aptitude, sessions)
        top_up = 0.0
        if floor is not None and floor.any():
            gap = np.maximum(0.0, floor - (active * path - fixed))
            top_up = traits.present_bias * float(np.dot(self.weights, gap))
        return top_up + delta_v(
            margin_path=path,
            active=active,
            weights=self.weights,
            outside=outside,
            dormant=dormant,
            fixed=fixed,
            bonus_share=status,
            taste=traits.taste,
            present_bias=traits.present_bias,
            switch=switch,
        )

    def entry_gain(
        self,
        *,
        skill: float,
        aptitude: float,
        sessions: float,
        products: Sequence[int],
        outside: float,
        dormant: float,
        traits: Traits,
        margin: float | None = None,
    ) -> float:
        """ΔV_entry: streaming against the outside option, less ``C_start`` (ECONOMICS.md §B).

        Someone who never streamed values it from the beginner's prior (:meth:`prior_margin`).
        Someone who streamed before has results: M̂ starts at the prior only *before any result*
        (§A), so a restart is valued from the person's own last M̂ (``margin``), with a
        beginner's fixed cost. Otherwise a leaver would re-enter on the public prior it has
        just learned was too high.

        Args:
            skill: The person's streaming skill now.
            aptitude: The skill practice can reach.
            sessions: Sessions a week the person would run (k).
            products: Products within the base's sourcing reach (the activity calendar).
            outside: o, the person's outside option a week (yuan).
            dormant: w_d, a dormant week's earnings (yuan).
            traits: The person's traits (present bias, taste, prior belief, money).
            margin: The person's own M̂ from an earlier anchor role, or None for a beginner.
        """
        if margin is None:
            margin = self.prior_margin(skill, sessions, traits.belief)
        return self.value(
            margin=margin,
            skill=skill,
            aptitude=aptitude,
            sessions=sessions,
            products=products,
            outside=outside,
            dormant=dormant,
            fixed=self.beginner_fixed_cost(),
            traits=traits,
            switch=-self.model.config.anchors.start_cost,
        )
