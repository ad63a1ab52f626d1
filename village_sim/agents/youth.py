"""Returning youth (paper §3.1, §4.1): return, training, conversion to streaming, exit.

A young person of the county is a migrant in a city or at home. The able earn more in the city and
are less likely to come back (能者出走). A migrant's weekly return hazard is
``logistic(β0 + β_income·Δincome + β_attach·attachment + β_recog·recognition + β_amenity·amenities
+ β_subsidy·subsidy)``, with expected rural income learned from the anchors already streaming at home.
A returnee may take a training course (a seat announced to a migrant also brings them home). A
person at home starts to stream iff streaming beats their outside option (``ΔV_entry > 0``,
:mod:`village_sim.agents.entry`), reviewed at course end, then with probability 1/4 a week for
``start_window_weeks`` after the course, then with probability 1/13 a week like any returnee at home
(ECONOMICS.md §B). A returnee who does not stream may leave again; an anchor who quits goes back
home (and may start again or leave).
"""

from __future__ import annotations

import dataclasses
from collections import Counter
from enum import StrEnum

import mesa
import numpy as np
from mesa.discrete_space import CellAgent

from village_sim.accounts import Account
from village_sim.agents import entry
from village_sim.agents.anchor import Anchor
from village_sim.agents.valuation import Traits, draw_traits


class Status(StrEnum):
    """Where a young person stands (a role of the person, MODEL.md §1)."""

    MIGRANT = "migrant"
    HOME = "home"
    TRAINING = "training"
    TRAINED = "trained"
    ANCHOR = "anchor"
    EXITED = "exited"


MIGRANT, HOME, TRAINING, TRAINED, ANCHOR, EXITED = tuple(Status)


def return_hazards_plain(
    beta: tuple[float, float, float, float, float, float, float],
    wage: np.ndarray,
    attachment: np.ndarray,
    amenity: np.ndarray,
    rural_income: float,
    recognition: float,
    subsidy: float,
    seat_offer: np.ndarray,
) -> np.ndarray:
    """The return hazard of MODEL.md §3 as a formula (the plain form of :meth:`YouthRoster.hazards`).

    ``logistic(β0 + β_income·(rural_income − wage)/wage + β_attach·attachment
    + β_recog·recognition + β_amenity·amenity + β_subsidy·subsidy/wage + β_seat·seat_offer)``,
    ``seat_offer`` 1 while a course announced to the migrant has not started (ECONOMICS.md §B).
    """
    b0, b_income, b_attach, b_recog, b_amenity, b_subsidy, b_seat = beta
    x = (
        b0
        + b_income * (rural_income - wage) / wage
        + b_attach * attachment
        + b_recog * recognition
        + b_amenity * amenity
        + b_subsidy * subsidy / wage
        + b_seat * seat_offer
    )
    return _logistic(x)


def _logistic(x: np.ndarray | float) -> np.ndarray | float:
    """``1/(1 + e^(−x))``; where ``e^(−x)`` overflows to inf the result is its limit, 0."""
    with np.errstate(over="ignore"):
        return 1.0 / (1.0 + np.exp(-x))


class YouthRoster:
    """The county's young people as a registry: their indices, fixed traits and weekly hazards.

    Traits fixed once a person exists (urban wage, attachment, home village) are gathered into
    arrays once, and every migrant's return hazard is computed once a week for all of them; both
    are remembered here, where the people are registered, and forgotten when one joins or an
    ability changes. ``seat_offer`` marks, by index, the migrants to whom a course that has not
    started yet was announced (ECONOMICS.md §B).
    """

    def __init__(self) -> None:
        self.count = 0
        self.seat_offer = np.zeros(0, dtype=bool)
        self._traits: tuple[np.ndarray, ...] | None = None
        self._hazards: tuple[tuple, np.ndarray] | None = None
        self._counts: tuple[int, Counter] | None = None

    def enrol(self) -> int:
        """Register a new young person; returns their index."""
        index = self.count
        self.count += 1
        if self.count > self.seat_offer.size:
            grown = np.zeros(max(self.count, 2 * self.seat_offer.size), dtype=bool)
            grown[: self.seat_offer.size] = self.seat_offer
            self.seat_offer = grown
        self.invalidate()
        return index

    def offer_seats(self, indices: list[int] | np.ndarray, offered: bool) -> None:
        """Announce a course to these migrants (``offered``) or end the announcement."""
        self.seat_offer[np.asarray(indices, dtype=np.int64)] = offered
        self._hazards = None

    def invalidate(self) -> None:
        """Forget the remembered traits and hazards (a person joined or an ability changed)."""
        self._traits = None
        self._hazards = None

    def status_counts(self, model: mesa.Model) -> Counter:
        """People by status at the end of the week (counted once a week, when first asked)."""
        if self._counts is None or self._counts[0] != model.week:
            self._counts = (model.week, Counter(str(y.status) for y in model.youth))
        return self._counts[1]

    def hazards(self, model: mesa.Model) -> np.ndarray:
        """Every young person's weekly return hazard (:func:`return_hazards_plain`), by index."""
        beliefs = model.beliefs
        subsidy = model.governance.returnee_subsidy_week()
        key = (model.week, beliefs.expected_rural_income, beliefs.recognition, subsidy)
        if self._hazards is not None and self._hazards[0] == key:
            return self._hazards[1]
        cfg = model.config.youth
        wage, index, attachment, home = self._gather(model)
        x = (
            cfg.beta0
            + cfg.beta_income * (beliefs.expected_rural_income - wage) / wage
            + cfg.beta_attach * attachment
            + cfg.beta_recog * beliefs.recognition
            + cfg.beta_amenity * model.governance.amenities[home]
            + cfg.beta_subsidy * subsidy / wage
            + cfg.beta_seat * self.seat_offer[index]
        )
        hazards = np.zeros(self.count)
        hazards[index] = _logistic(x)
        self._hazards = (key, hazards)
        return hazards

    def _gather(self, model: mesa.Model) -> tuple[np.ndarray, ...]:
        """(urban wage, youth index, attachment, home village) of everyone in ``model.youth``."""
        if self._traits is None:
            people = list(model.youth)
            self._traits = (
                np.array([y.urban_wage for y in people]),
                np.array([y.youth_index for y in people], dtype=np.int64),
                np.array([y.attachment for y in people]),
                np.array([y.home_village for y in people], dtype=np.int64),
            )
        return self._traits


_IDLE = (MIGRANT, TRAINING, ANCHOR)
"""Statuses :func:`decide_all` does not call :meth:`Youth.decide` for: a migrant's decision is
drawn in its run; in a course or streaming, ``decide`` draws nothing and changes nothing."""


def decide_all(people: mesa.agent.AgentSet, model: mesa.Model) -> None:
    """Every young person's :meth:`Youth.decide` this week, migrants in batches.

    ``people.shuffle_do("decide")`` with the same draws in the same order: the same shuffle; a
    person who is neither a migrant nor idle (:data:`_IDLE`) decides as before; the migrants
    between two such people (in the shuffled order) draw their uniforms at once — a migrant's
    decision is one draw of the youth stream against its return hazard — and those below their
    hazard come home, in order. Coming home draws nothing and changes no one else's status or
    hazard, and a person's status changes only at their own turn, so the statuses read before
    the loop and the hazards read once hold for every migrant's turn (young people are never
    removed, so every migrant is still in ``people``). A test checks the result equals
    ``shuffle_do``'s.
    """
    order = list(people)
    people.random.shuffle(order)
    n = len(order)
    if not n:
        return
    rng = order[0]._rng
    status = [person.status for person in order]
    migrants = [i for i, st in enumerate(status) if st == MIGRANT]  # positions, in order
    others = [i for i, st in enumerate(status) if st not in _IDLE]
    index = np.fromiter((order[i].youth_index for i in migrants), np.int64, len(migrants))
    hazards = model.youth_roster.hazards(model)[index]
    # Migrants before each other person (and all of them, after the last).
    cuts = [*np.searchsorted(np.asarray(migrants, dtype=np.int64), others).tolist(), len(migrants)]
    lo = 0
    for i, hi in zip([*others, n], cuts, strict=True):
        if hi > lo:  # the run of migrants since the last other person draws, in order
            back = rng.random(hi - lo) < hazards[lo:hi]
            if back.any():
                for r in np.flatnonzero(back).tolist():
                    order[migrants[lo + r]]._come_home()
        if i < n and order[i] in people:
            order[i].decide()
        lo = hi


class Youth(CellAgent):
    """A young person of the county (migrant, returnee, trainee or anchor).

    Args:
        model: The model.
        person_id: Stable id across roles.
        home_village: Village index of the family home.
        at_home: Whether the person starts at home rather than in a city.
        rng: The stream the person's traits are drawn from (default: the youth stream); a person
            who joins during the run draws them from the stream of the mechanism that adds them.
        household: The farm household the person belongs to, for a younger member of a farm
            household who joined to take a training seat (ECONOMICS.md §B); else None.
    """

    def __init__(
        self,
        model: mesa.Model,
        person_id: int,
        home_village: int,
        at_home: bool,
        rng: np.random.Generator | None = None,
        household: int | None = None,
    ) -> None:
        super().__init__(model)
        cfg = model.config.youth
        self._rng = model.streams["youth"]
        rng = self._rng if rng is None else rng
        self.person_id = person_id
        self.youth_index = model.youth_roster.enrol()
        self.home_village = home_village
        self.household = household
        self.city = int(rng.integers(model.world.n_cities))
        self.ability = float(rng.beta(2, 2))
        # Streaming aptitude shares the ability that raises city wages (能者出走, paper §3.1).
        shared = cfg.aptitude_ability_weight
        self.aptitude = float(
            min(1.0, 0.3 + 0.7 * (shared * self.ability + (1 - shared) * rng.beta(2, 2)))
        )
        self.skill = float(rng.beta(cfg.initial_skill_a, cfg.initial_skill_b))
        self.attachment = float(rng.random())
        # Economic traits, drawn once (ECONOMICS.md §A): a migrant's savings scale with the wage.
        self.traits: Traits = draw_traits(rng, model.config, None if at_home else self.urban_wage)
        self.status = HOME if at_home else MIGRANT
        self.returned_week: int | None = None
        self.cohort: int | None = None
        self.course_end: int | None = None
        self.trained = False
        self.anchor = None
        self.stream_start_week: int | None = None
        self.stream_exit_week: int | None = None
        self.came_for_seat = False
        self._place()

    def _place(self) -> None:
        world = self.model.world
        node = (
            world.city_nodes[self.city]
            if self.status == MIGRANT
            else world.village_nodes[self.home_village]
        )
        self.cell = self.model.grid[node]

    @property
    def urban_wage(self) -> float:
        """Weekly city wage: rises with ability (the able leave, paper §3.1)."""
        cfg = self.model.config.youth
        return cfg.urban_wage_week * (1 + cfg.skill_wage_premium * (self.ability - 0.5))

    @property
    def ability(self) -> float:
        """General ability in [0, 1]: raises the city wage (and, partly, streaming aptitude)."""
        return self._ability

    @ability.setter
    def ability(self, value: float) -> None:
        self._ability = float(value)
        self.model.youth_roster.invalidate()  # the weekly hazards depend on wages

    def dormant_wage(self) -> float:
        """w_d: a week's earnings at home without streaming (casual work; ECONOMICS.md §A)."""
        cfg = self.model.config.youth
        return cfg.dormant_wage_share * cfg.local_wage_week

    def outside_option(self) -> float:
        """The outside option o = max(w_u·(1 − h·att), w_d) a week (ECONOMICS.md §A).

        A migrant's urban wage less the home premium an attached person gives up to live at home,
        or casual work at home, whichever is more.
        """
        h = self.model.config.youth.home_premium
        return max(self.urban_wage * (1 - h * self.attachment), self.dormant_wage())

    def return_hazard(self) -> float:
        """Weekly chance that a migrant comes home (MODEL.md §3)."""
        return float(self.model.youth_roster.hazards(self.model)[self.youth_index])

    def review_weeks(self) -> int | None:
        """R of the start decision now (ECONOMICS.md §B); None where nobody decides.

        1 in the week a course ends (the trainee decides then), ``trained_review_weeks`` within
        ``start_window_weeks`` after it, ``home_review_weeks`` at home otherwise; nobody decides
        away, in a course or while streaming.
        """
        cfg = self.model.config.youth
        if self.status == TRAINED:
            return 1 if self.course_end == self.model.week else cfg.trained_review_weeks
        if self.status in (HOME, EXITED):
            return cfg.home_review_weeks
        return None

    def entry_gain(self) -> float:
        """ΔV_entry of starting to stream now from the home village (yuan; ECONOMICS.md §B)."""
        return self.model.valuation.entry_gain(**self._entry_terms())

    def _entry_terms(self) -> dict:
        model = self.model
        before = self.anchor  # a former anchor role: its results, not the prior (entry_gain)
        return {
            "margin": before.margin_hat if before is not None and before.margin_count else None,
            "skill": self.skill,
            "aptitude": self.aptitude,
            "sessions": model.config.anchors.sessions_per_week,
            "products": entry.local_products(model, self.home_village),
            "outside": self.outside_option(),
            "dormant": self.dormant_wage() + model.governance.levers.local_job_wage,
            "traits": self.traits,
        }

    def decide(self) -> None:
        """Return, apply for training, start streaming or leave, by status."""
        model = self.model
        cfg = model.config.youth
        if self.status == MIGRANT:
            if self._rng.random() < model.youth_roster.hazards(model)[self.youth_index]:
                self._come_home()  # the draw against return_hazard()
            return
        if self.status == HOME and not self.trained:
            if self._rng.random() < cfg.enrol_chance * (
                model.beliefs.recognition + cfg.enrol_recognition_offset
            ):
                model.training.apply(self)
        review = self.review_weeks()
        if review is not None and entry.reviews_now(self._rng, review) and self._try_start():
            return
        if self.status == TRAINED:
            if model.week - self.course_end >= cfg.start_window_weeks:
                self.status = HOME
        elif self.status in (HOME, EXITED) and self._rng.random() < cfg.remigrate_hazard:
            self._leave()

    def _come_home(self) -> None:
        """A migrant returns; one a course was announced to applies for its seat at once."""
        model = self.model
        self.status = HOME
        self.returned_week = model.week
        model.week_stats["youth_returned"] += 1
        self._place()
        roster = model.youth_roster
        if roster.seat_offer[self.youth_index]:
            roster.offer_seats([self.youth_index], False)
            self.came_for_seat = True
            model.week_stats["seat_returnees"] += 1
            model.training.apply(self)

    def _leave(self) -> None:
        self.status = MIGRANT
        self._place()

    def finish_course(self, gain: float) -> None:
        """Apply a course's skill gain: ``skill += gain·aptitude·(1 − skill)`` (MODEL.md §8)."""
        self.skill += gain * self.aptitude * (1 - self.skill)
        self.trained = True
        self.course_end = self.model.week
        self.status = TRAINED

    def _try_start(self) -> bool:
        """Start streaming iff premises are free and ``ΔV_entry > 0`` (:func:`entry.starts`)."""
        if not entry.starts(self.model, village=self.home_village, **self._entry_terms()):
            return False
        self._start_streaming()
        return True

    def _start_streaming(self) -> None:
        """Become a local anchor: the person's traits, money account and outside options go along.

        The first start week is kept for the cohort indicators; a restart clears the exit week.
        """
        model = self.model
        self.anchor = Anchor(
            model,
            "local",
            self.person_id,
            self.home_village,
            self.skill,
            self.aptitude,
            cohort=self.cohort,
            traits=self.traits,
            owner=(Account.YOUTH, self.youth_index),
            outside_option=self.outside_option(),
            dormant_wage=self.dormant_wage(),
        )
        self.anchor.person = self
        self.status = ANCHOR
        if self.stream_start_week is None:
            self.stream_start_week = model.week
        self.stream_exit_week = None

    def stop_streaming(self) -> None:
        """Called when this person's anchor role ends: back home, with the skill it reached.

        An insolvent person loses the guaranteed start-up loan for any later start (ECONOMICS.md §A).
        """
        anchor = self.anchor
        if anchor is not None:
            self.skill = anchor.skill
            if anchor.exit_reason == "insolvent":
                self.traits = dataclasses.replace(self.traits, guaranteed_loan=0.0)
        self.status = EXITED
        self.stream_exit_week = self.model.week
        self._place()
