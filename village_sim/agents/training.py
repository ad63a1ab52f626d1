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

import mesa

if TYPE_CHECKING:
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
        """Finish courses that end this week, then start this week's courses."""
        model = self.model
        for cohort in list(self.running):
            if cohort.end_week == model.week:
                spec = getattr(model.config.training, cohort.course)
                for youth in cohort.members:
                    youth.finish_course(spec.skill_gain * cohort.quality)
                self.running.remove(cohort)
        self.applicants = [y for y in self.applicants if y.status == "home" and not y.trained]
        for course in ("standard", "crash"):
            spec = getattr(model.config.training, course)
            if model.week % spec.every_weeks == 0:
                self._open_course(course, spec)

    def _open_course(self, course: str, spec) -> None:
        """Status-quo seats plus the seats policies pay for, filled from the applicants."""
        model = self.model
        cfg = model.config.training
        levers = model.governance.levers
        crash = cfg.crash_share if course == "crash" else 1 - cfg.crash_share
        status_quo = self._due(course, cfg.seats_per_year * crash, spec.every_weeks)
        policy_share = crash
        if levers.standard_share is not None:
            policy_share = (
                levers.standard_share if course == "standard" else 1 - (levers.standard_share)
            )
        extra_due = self._due(
            f"policy:{course}", levers.extra_seats_per_year * policy_share, spec.every_weeks
        )
        sq = min(status_quo, len(self.applicants))
        wanted = min(extra_due, len(self.applicants) - sq)
        model.week_stats["seats_offered"] += status_quo + extra_due
        funded = model.governance.fund_course(spec.cost_per_seat, sq, wanted)
        if funded is None:
            return
        extra, quality = funded
        model.week_stats["seats_filled"] += sq + extra
        self._start(course, sq, extra, quality)

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
