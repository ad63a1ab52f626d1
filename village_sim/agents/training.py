"""Training courses and cohorts (paper §3.1): 3-day crash courses and 48-class-hour standard courses.

Status-quo training runs in every scenario: ``training.seats_per_year`` seats, a share of them in
market crash courses (one week, little skill) and the rest in government standard courses
(``duration_weeks``, more skill). Courses start on a fixed rhythm. Seats are filled (ECONOMICS.md §B)
from

- returnees at home who applied (in random order);
- migrants whom a seat brings home: each course is announced ``announce_weeks`` ahead to
  ``announce_factor`` × its open seats (the seats the applicants at home leave open) of the county's
  untrained migrants, chosen at random; until it starts their weekly return logit gains
  ``youth.beta_seat`` (:class:`~village_sim.agents.youth.YouthRoster`), and one who comes home
  applies at once;
- where the scenario says so (``training.farm_members``), younger members of farm households: a
  seat still empty when the course starts goes to a new young person of a household that is not
  elderly-headed and has sent no one before (one per household, chosen at random), who lives in
  the household's village.

Seats left empty are counted (``seats_offered`` against ``seats_filled``). Each course is a cohort
whose members are followed across roles for the retention and conversion indicators and
``cohorts.csv``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import mesa
import numpy as np

from village_sim.agents.youth import Youth


@dataclass
class Cohort:
    """One course and its trainees."""

    cohort_id: int
    course: str
    start_week: int
    end_week: int
    members: list = field(default_factory=list)
    quality: float = 1.0


@dataclass
class Announcement:
    """A course that will start: its seats (status-quo and policy) and the migrants told of it."""

    course: str
    start_week: int
    status_quo: int
    extra: int
    invited: list = field(default_factory=list)

    @property
    def seats(self) -> int:
        """Seats the course offers."""
        return self.status_quo + self.extra


class TrainingProgram:
    """Schedules courses, admits applicants and keeps the cohorts.

    Seats are paid for by governance (:meth:`~village_sim.governance.policies.Governance.fund_course`):
    the status-quo seats from the government budget, extra seats and better courses from policies.
    """

    def __init__(self, model: mesa.Model) -> None:
        self.model = model
        self.applicants: list[Youth] = []
        self.cohorts: list[Cohort] = []
        self.running: list[Cohort] = []
        self.announced: list[Announcement] = []
        self._announced_through = -1
        self._member_sent = np.zeros(0, dtype=bool)
        self._carry: dict[str, float] = {}
        self.rng = model.streams["training"]

    def apply(self, youth: Youth) -> None:
        """Put a returnee on the waiting list."""
        if youth not in self.applicants:
            self.applicants.append(youth)
            self.model.week_stats["trainee_applicants"] += 1

    def _due(self, key: str, seats_per_year: float, every_weeks: int) -> int:
        """Whole seats due now at a yearly rate (fractional seats carried over)."""
        self._carry[key] = self._carry.get(key, 0.0) + seats_per_year * every_weeks / 52
        seats = int(self._carry[key])
        self._carry[key] -= seats
        return seats

    def step(self) -> None:
        """Finish courses that end this week, announce coming courses, start this week's."""
        model = self.model
        for cohort in list(self.running):
            if cohort.end_week == model.week:
                spec = getattr(model.config.training, cohort.course)
                for youth in cohort.members:
                    youth.finish_course(spec.skill_gain * cohort.quality)
                self.running.remove(cohort)
        self.applicants = [y for y in self.applicants if y.status == "home" and not y.trained]
        self._announce(model.week)
        for notice in [n for n in self.announced if n.start_week == model.week]:
            self.announced.remove(notice)
            self._open_course(notice)

    def _announce(self, week: int) -> None:
        """Announce every course starting within ``announce_weeks`` that is not announced yet."""
        cfg = self.model.config.training
        last = week + cfg.announce_weeks
        for start in range(self._announced_through + 1, last + 1):
            for course in ("standard", "crash"):
                spec = getattr(cfg, course)
                if start % spec.every_weeks == 0:
                    self._announce_course(course, spec, start)
        self._announced_through = max(self._announced_through, last)

    def _announce_course(self, course: str, spec, start: int) -> None:
        """Fix a coming course's seats and tell migrants of the seats applicants leave open."""
        model = self.model
        cfg = model.config.training
        levers = model.governance.levers
        crash = cfg.crash_share if course == "crash" else 1 - cfg.crash_share
        status_quo = self._due(course, cfg.seats_per_year * crash, spec.every_weeks)
        policy_share = crash
        if levers.standard_share is not None:
            policy_share = (
                levers.standard_share if course == "standard" else 1 - levers.standard_share
            )
        extra = self._due(
            f"policy:{course}", levers.extra_seats_per_year * policy_share, spec.every_weeks
        )
        notice = Announcement(course, start, status_quo, extra)
        claimed = sum(n.seats for n in self.announced)  # earlier courses take applicants first
        waiting = max(0, len(self.applicants) - claimed)
        open_seats = max(0, notice.seats - waiting)
        notice.invited = self._invite(round(cfg.announce_factor * open_seats))
        self.announced.append(notice)

    def _invite(self, n: int) -> list[int]:
        """Tell ``n`` untrained migrants not yet told of a course (at random); their indices."""
        if n <= 0:
            return []
        roster = self.model.youth_roster
        pool = [
            y.youth_index
            for y in self.model.youth
            if y.status == "migrant" and not y.trained and not roster.seat_offer[y.youth_index]
        ]
        if not pool:
            return []
        pool.sort()
        chosen = self.rng.choice(np.array(pool), size=min(n, len(pool)), replace=False)
        roster.offer_seats(chosen, True)
        return [int(i) for i in chosen]

    def _open_course(self, notice: Announcement) -> None:
        """Status-quo seats plus the seats policies pay for, filled from the applicants."""
        model = self.model
        course = notice.course
        spec = getattr(model.config.training, course)
        roster = model.youth_roster
        if notice.invited:
            roster.offer_seats(notice.invited, False)  # the course starts: the offer ends
        if model.config.training.farm_members:
            self._add_farm_members(notice.seats - len(self.applicants))
        sq = min(notice.status_quo, len(self.applicants))
        wanted = min(notice.extra, len(self.applicants) - sq)
        model.week_stats["seats_offered"] += notice.seats
        funded = model.governance.fund_course(spec.cost_per_seat, sq, wanted)
        if funded is None:
            return
        extra, quality = funded
        model.week_stats["seats_filled"] += sq + extra
        self._start(course, sq, extra, quality)

    def _add_farm_members(self, n: int) -> None:
        """Younger members of farm households apply for ``n`` seats applicants leave empty.

        Each comes from a household not headed by someone 60+ that has sent no one before, chosen
        at random; the member becomes a young person of the county living at home in the
        household's village, with traits drawn like any young person's (ECONOMICS.md §B).
        """
        if n <= 0:
            return
        model = self.model
        farmers = model.farmers
        if self._member_sent.size != farmers.n:
            self._member_sent = np.zeros(farmers.n, dtype=bool)
        pool = np.flatnonzero(~farmers.elderly & ~self._member_sent)
        if pool.size == 0:
            return
        for i in self.rng.choice(pool, size=min(n, pool.size), replace=False):
            self._member_sent[i] = True
            member = Youth(
                model,
                model.new_person_id(),
                int(farmers.village[i]),
                at_home=True,
                rng=self.rng,
                household=int(i),
            )
            model.money.ensure_size("youth", model.youth_roster.count)
            self.apply(member)

    def _start(self, course: str, status_quo: int, extra: int, quality: float) -> None:
        model = self.model
        spec = getattr(model.config.training, course)
        order = self.rng.permutation(len(self.applicants))
        chosen = [self.applicants[i] for i in order[: status_quo + extra]]
        cohort = Cohort(
            len(self.cohorts),
            course,
            model.week,
            model.week + spec.duration_weeks,
            chosen,
            quality=quality,
        )
        self.cohorts.append(cohort)
        self.running.append(cohort)
        for youth in chosen:
            youth.status = "training"
            youth.cohort = cohort.cohort_id
        self.applicants = [y for y in self.applicants if y not in chosen]
