"""The talent path (paper §4.1): training, villagers' skills, return, recognition, careers.

- ``training``: more seats (paid per seat when a course starts), a larger share of standard courses,
  better courses (a multiplier on the skill gain, paid per seat of the course).
- ``villager_training``: digital training for villagers, the elderly first; raises literacy, which
  lets more households stream themselves (and narrows the digital divide).
- ``returnee_subsidy``: promised to migrants (it enters the return hazard) and paid to returnees for
  a number of months.
- ``honour_system``: awards to the best-earning local anchors; each raises recognition.
- ``career_support``: local jobs that pay in dormant weeks; an income floor for new anchors (extension).
- ``anchor_alliance``: peer learning raises members' learning rate.
- ``information_platform``: market prices for farmers; price information rises while it runs.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from village_sim.accounts import Account, Flow
from village_sim.agents.youth import MIGRANT
from village_sim.units import to_fen

if TYPE_CHECKING:
    from village_sim.governance.policies import Governance, Levers
    from village_sim.scenario.policies import TalentPolicy

WEEKS_PER_MONTH = 52 / 12


def invest(gov: Governance, policy: TalentPolicy) -> None:
    """One-off costs in the start week (the information platform's set-up)."""
    info = policy.measures.information_platform
    if info is not None:
        gov.pay(policy, info.setup_yuan, "information_platform")


def act(gov: Governance, policy: TalentPolicy, levers: Levers, week: int) -> None:
    """Recurring talent measures for this week."""
    m = policy.measures
    if m.training is not None:
        levers.extra_seats_per_year += m.training.seats_per_year
        if m.training.standard_share is not None:
            levers.standard_share = m.training.standard_share
        levers.course_quality = max(levers.course_quality, m.training.quality_multiplier)
    if m.villager_training is not None:
        _train_villagers(gov, policy, week)
    if m.returnee_subsidy is not None:
        _pay_returnees(gov, policy, levers, week)
    if m.honour_system is not None:
        _award(gov, policy)
    if m.career_support is not None and gov.pay(
        policy, m.career_support.admin_yuan_week, "career_support"
    ):
        levers.local_job_wage = max(levers.local_job_wage, m.career_support.local_job_wage_week)
        levers.income_floor_week = max(
            levers.income_floor_week, m.career_support.income_floor_yuan_week
        )
        levers.income_floor_weeks = max(levers.income_floor_weeks, m.career_support.floor_weeks)
    if m.anchor_alliance is not None:
        _run_alliance(gov, policy, levers)
    if m.information_platform is not None:
        _inform_farmers(gov, policy)


def seat_cost(course_cost: float, policy: TalentPolicy) -> float:
    """Cost of one policy seat of a course (base cost plus the quality upgrade)."""
    training = policy.measures.training
    extra = training.quality_cost_per_seat if training and training.quality_multiplier > 1 else 0
    return course_cost + extra


def fund_course(
    gov: Governance, cost_per_seat: float, status_quo: int, wanted_extra: int
) -> tuple[int, float] | None:
    """Pay for a course that starts now: extra seats, a better course, the status-quo seats.

    Extra seats are bought from the talent budgets (as many as they pay for); a talent policy
    pays the quality upgrade of the status-quo seats; the status-quo seats themselves are paid
    from the government budget (the county's training routine, not policy spending).

    Returns:
        ``(extra seats, quality multiplier)``, or None when the course has no seat at all.
    """
    extra = buy_seats(gov, wanted_extra, cost_per_seat) if wanted_extra else 0
    if status_quo + extra == 0:
        return None
    quality = course_quality(gov, status_quo) if gov.levers.course_quality > 1 else 1.0
    gov.model.money.transfer(
        Flow.TRAINING,
        Account.GOVERNMENT_BUDGET,
        0,
        Account.TRAINING_PROVIDERS,
        0,
        to_fen(cost_per_seat * status_quo),
    )
    return extra, quality


def buy_seats(gov: Governance, wanted: int, cost_per_seat: float) -> int:
    """Policy seats of a course starting now, as many as the talent budgets pay for."""
    bought = 0
    for policy in gov.active("talent"):
        if policy.measures.training is None or bought >= wanted:
            continue
        unit = seat_cost(cost_per_seat, policy)
        n = gov.afford(policy, unit, wanted - bought)
        if n and gov.pay(policy, unit * n, "training_seats", "training_providers"):
            bought += n
    return bought


def course_quality(gov: Governance, status_quo_seats: int) -> float:
    """Upgrade a starting course: a talent policy pays the quality cost of its status-quo seats.

    Returns the course's quality multiplier (1 when no budget pays for the upgrade).
    """
    for policy in gov.active("talent"):
        training = policy.measures.training
        if training is None or training.quality_multiplier <= 1:
            continue
        if gov.pay(
            policy,
            training.quality_cost_per_seat * status_quo_seats,
            "course_quality",
            "training_providers",
        ):
            return training.quality_multiplier
    return 1.0


def _train_villagers(gov: Governance, policy: TalentPolicy, week: int) -> None:
    spec = policy.measures.villager_training
    model = gov.model
    farmers = model.farmers
    due = gov.take_carry(f"{policy.name}:villagers", spec.seats_per_year / 52)
    if due <= 0:
        return
    pending = np.flatnonzero(~farmers.trained)
    if pending.size == 0:
        return
    rng = model.streams["governance"]
    elderly_first = spec.elderly_first & farmers.elderly[pending]
    key = rng.random(pending.size) - elderly_first
    chosen = pending[np.argsort(key)][: gov.afford(policy, spec.cost_per_seat, due)]
    if chosen.size and gov.pay(policy, spec.cost_per_seat * chosen.size, "villager_training"):
        farmers.literacy[chosen] += spec.literacy_gain * (1 - farmers.literacy[chosen])
        farmers.trained[chosen] = True


def _pay_returnees(gov: Governance, policy: TalentPolicy, levers: Levers, week: int) -> None:
    spec = policy.measures.returnee_subsidy
    weekly = spec.yuan_per_month / WEEKS_PER_MONTH
    window = spec.months * WEEKS_PER_MONTH
    paid_any = True
    for youth in gov.model.youth:
        if youth.status == MIGRANT or youth.returned_week is None:
            continue
        if youth.returned_week < policy.start_week or week - youth.returned_week >= window:
            continue
        paid_any = gov.pay(policy, weekly, "returnee_subsidy", "youth", youth.youth_index)
        if not paid_any:
            break
    if paid_any and gov.budget_left[policy.name] >= weekly:
        levers.returnee_subsidy_week = max(levers.returnee_subsidy_week, weekly)


def _award(gov: Governance, policy: TalentPolicy) -> None:
    spec = policy.measures.honour_system
    model = gov.model
    due = gov.take_carry(f"{policy.name}:awards", spec.awards_per_year / 52)
    for _ in range(due):
        candidates = [
            a
            for a in model.anchor_list
            if a.is_local and not a.exited and a.index not in gov.awarded and a.income_history
        ]
        if not candidates:
            return
        best = max(candidates, key=lambda a: (a.margin_hat, -a.index))
        if not gov.pay(policy, spec.yuan_per_award, "honour_award", "anchors", best.index):
            return
        gov.awarded.add(best.index)
        model.beliefs.recognition += spec.recognition_per_award * (1 - model.beliefs.recognition)


def _run_alliance(gov: Governance, policy: TalentPolicy, levers: Levers) -> None:
    spec = policy.measures.anchor_alliance
    members = [a for a in gov.model.anchor_list if a.is_local and not a.exited]
    cost = spec.yuan_per_member_year / 52 * len(members)
    if members and gov.pay(policy, cost, "anchor_alliance"):
        gov.members.update(a.index for a in members)
        levers.learning_multiplier = max(levers.learning_multiplier, spec.learning_multiplier)
    else:
        gov.members.difference_update(a.index for a in members)


def _inform_farmers(gov: Governance, policy: TalentPolicy) -> None:
    spec = policy.measures.information_platform
    farmers = gov.model.farmers
    if gov.pay(policy, spec.yuan_per_household_year / 52 * farmers.n, "information_platform"):
        farmers.price_info += spec.price_info_gain / 13 * (1 - farmers.price_info)
