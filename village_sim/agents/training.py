"""Training courses and cohorts (paper §3.1): 3-day crash courses and 48-class-hour standard courses.

Status-quo training runs in every scenario: ``training.seats_per_year`` seats, a share of them in
market crash courses (one week, little skill) and the rest in government standard courses
(``duration_weeks``, more skill). Courses start on a fixed rhythm; returnees who applied fill the
seats in random order. Each course is a cohort whose members are followed across roles for the
retention and conversion indicators and ``cohorts.csv``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from village_sim.market.ledger import to_fen

if TYPE_CHECKING:
    from village_sim.agents.youth import Youth
    from village_sim.model import VillageMarket


@dataclass
class Cohort:
    """One course and its trainees."""

    cohort_id: int
    course: str
    start_week: int
    end_week: int
    members: list = field(default_factory=list)


class TrainingProgram:
    """Schedules courses, admits applicants, pays for seats and keeps the cohorts."""

    def __init__(self, model: VillageMarket) -> None:
        self.model = model
        self.applicants: list[Youth] = []
        self.cohorts: list[Cohort] = []
        self.running: list[Cohort] = []
        self._carry = {"crash": 0.0, "standard": 0.0}
        self.rng = model.streams["training"]

    def apply(self, youth: Youth) -> None:
        """Put a returnee on the waiting list."""
        if youth not in self.applicants:
            self.applicants.append(youth)

    def seats_this_week(self, course: str) -> int:
        """Seats of a course type starting this week (fractional seats carried over)."""
        model = self.model
        cfg = model.config.training
        spec = getattr(cfg, course)
        if model.week % spec.every_weeks:
            return 0
        seats_year = cfg.seats_per_year + model.governance.extra_seats_per_year()
        crash_share = model.governance.crash_share(cfg.crash_share)
        share = crash_share if course == "crash" else 1 - crash_share
        self._carry[course] += seats_year * share * spec.every_weeks / 52
        seats = int(self._carry[course])
        self._carry[course] -= seats
        return seats

    def step(self) -> None:
        """Finish courses that end this week, then start this week's courses."""
        model = self.model
        for cohort in list(self.running):
            if cohort.end_week == model.week:
                spec = getattr(model.config.training, cohort.course)
                gain = spec.skill_gain * model.governance.course_quality(cohort.course)
                for youth in cohort.members:
                    youth.finish_course(gain)
                self.running.remove(cohort)
        self.applicants = [y for y in self.applicants if y.status == "home" and not y.trained]
        for course in ("standard", "crash"):
            seats = self.seats_this_week(course)
            if seats and self.applicants:
                self._start(course, seats)

    def _start(self, course: str, seats: int) -> None:
        model = self.model
        spec = getattr(model.config.training, course)
        order = self.rng.permutation(len(self.applicants))
        chosen = [self.applicants[i] for i in order[:seats]]
        cohort = Cohort(
            len(self.cohorts), course, model.week, model.week + spec.duration_weeks, chosen
        )
        self.cohorts.append(cohort)
        self.running.append(cohort)
        for youth in chosen:
            youth.status = "training"
            youth.cohort = cohort.cohort_id
        self.applicants = [y for y in self.applicants if y not in chosen]
        model.money.transfer(
            "training",
            "government_budget",
            0,
            "training_providers",
            0,
            to_fen(spec.cost_per_seat * len(chosen)),
        )
