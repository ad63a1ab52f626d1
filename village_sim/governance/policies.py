"""Governance: policies scheduled, budgeted and acting through the agents they concern (paper §4).

Each week :meth:`Governance.apply` (1) makes the one-off investments of policies that start this
week, (2) lets every active policy act — recurring measures set their levers and pay their running
costs — and (3) publishes the combined :class:`Levers` that mechanisms read. A purchase larger than
a policy's remaining budget is not made; every yuan spent moves from the external government-budget
account to whoever is paid, so ``policy_spend`` enters the money balance. With no policy active every
lever is neutral and the status quo is exactly the baseline's mechanisms.

The measures of each path live in one module per path (``talent``, ``infrastructure``,
``supply_side``, ``co_governance``), named as in :mod:`village_sim.scenario.policies`.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import mesa
import numpy as np

from village_sim.accounts import POLICY_FLOW, Account
from village_sim.governance import co_governance, infrastructure, supply_side, talent
from village_sim.units import to_fen

if TYPE_CHECKING:
    from village_sim.agents.anchor import Anchor
    from village_sim.scenario.policies import PolicyBase


@dataclass
class Levers:
    """This week's combined levers of all active policies (neutral values = status quo)."""

    extra_seats_per_year: float = 0.0
    standard_share: float | None = None
    course_quality: float = 1.0
    returnee_subsidy_week: float = 0.0
    learning_multiplier: float = 1.0
    local_job_wage: float = 0.0
    loan_rate_subsidy: float = 0.0
    income_floor_week: float = 0.0
    income_floor_weeks: int = 0
    service_center_villages: set[int] = field(default_factory=set)
    last_mile_factor: float = 1.0
    extra_inspections: int = 0
    monitoring: float = 0.0
    penalty_multiplier: float = 1.0
    commission_cap: float = 1.0
    top_share_cap: float = 1.0
    local_boost: float = 1.0
    min_farmer_share: float = 0.0
    certification_trust: float = 0.0


class Governance:
    """Scheduled, budgeted policies and the levers they set."""

    def __init__(self, model: mesa.Model) -> None:
        self.model = model
        self.policies = list(model.config.policies)
        self.paths = {
            "talent": talent,
            "infrastructure": infrastructure,
            "supply_side": supply_side,
            "co_governance": co_governance,
        }
        self.budget_left = {p.name: float(p.budget_yuan) for p in self.policies}
        self.spent_yuan = {p.name: 0.0 for p in self.policies}
        self.spent_this_week = 0.0
        self.levers = Levers()
        self.traceable_villages: set[int] = set()
        self.branded_villages: dict[int, tuple[float, float]] = {}
        self.certified: set[int] = set()
        self.members: set[int] = set()
        self.members_code: set[int] = set()
        self.equipped: set[int] = set()
        self.awarded: set[int] = set()
        self.carry: dict[str, float] = {}
        self.log: list[dict] = []
        self.standard_factor = np.ones(model.world.n_villages)

    # -- the week -----------------------------------------------------------------------------------
    def apply(self, week: int) -> None:
        """Invest for policies starting now, let active policies act, publish the levers."""
        self.spent_this_week = 0.0
        levers = Levers()
        for policy in self.policies:
            module = self.paths[policy.path]
            if week == policy.start_week:
                module.invest(self, policy)
            if policy.active(week):
                module.act(self, policy, levers, week)
        self.levers = levers

    def active(self, path: str) -> list[PolicyBase]:
        """Policies of a path active this week."""
        week = self.model.week
        return [p for p in self.policies if p.path == path and p.active(week)]

    # -- money ----------------------------------------------------------------------------------------
    def pay(
        self,
        policy: PolicyBase,
        yuan: float,
        kind: str,
        to: str = "contractors",
        index: int | np.ndarray = 0,
    ) -> bool:
        """Spend from a policy's budget; refused (False) when it exceeds what is left."""
        yuan = float(yuan)
        if yuan <= 0:
            return True
        if yuan > self.budget_left[policy.name] + 1e-6:
            return False
        self.model.money.transfer(
            f"{POLICY_FLOW}{kind}", Account.GOVERNMENT_BUDGET, 0, to, index, to_fen(yuan)
        )
        self.budget_left[policy.name] -= yuan
        self.spent_yuan[policy.name] += yuan
        self.spent_this_week += yuan
        self.log.append(
            {"week": self.model.week, "policy": policy.name, "measure": kind, "yuan": yuan}
        )
        return True

    def afford(self, policy: PolicyBase, unit_cost: float, units: int) -> int:
        """How many of ``units`` the remaining budget buys at ``unit_cost`` each."""
        if unit_cost <= 0:
            return units
        return int(min(units, np.floor((self.budget_left[policy.name] + 1e-6) / unit_cost)))

    def take_carry(self, key: str, per_week: float) -> int:
        """Whole units due this week from a yearly rate (fractions carried over)."""
        self.carry[key] = self.carry.get(key, 0.0) + per_week
        whole = int(self.carry[key])
        self.carry[key] -= whole
        return whole

    def spend_total(self) -> float:
        """Yuan spent by all policies so far."""
        return float(sum(self.spent_yuan.values()))

    def fund_course(
        self, cost_per_seat: float, status_quo: int, wanted_extra: int
    ) -> tuple[int, float] | None:
        """Pay for a course starting now (:func:`~village_sim.governance.talent.fund_course`)."""
        return talent.fund_course(self, cost_per_seat, status_quo, wanted_extra)

    # -- levers read by mechanisms ------------------------------------------------------------------------
    @property
    def amenities(self) -> np.ndarray:
        """Village amenities in [0, 1]: connectivity and an e-commerce service center."""
        world = self.model.world
        centers = world.service_center.copy()
        for v in self.levers.service_center_villages:
            centers[v] = True
        w = self.model.config.youth.amenity_internet_weight
        return w * world.internet_share + (1 - w) * centers

    def brand_quality_factor(self, village: int, product: int) -> float:
        """Share of a brand's premium the village's goods earn (paper §3.3, §4.3).

        Standard quality allows a brand (the spread must be below ``brand_quality_sd_ref``); a
        village public brand ("one village one product") adds to the premium.
        """
        model = self.model
        sd = model.products[product].quality_sd * self.standard_factor[village]
        standard = max(0.0, 1.0 - sd / model.config.anchors.brand_quality_sd_ref)
        return standard * (1 + self.brand_boost(village))

    @property
    def commission_cap(self) -> float:
        """Largest commission rate an external anchor may take."""
        return self.levers.commission_cap

    def returnee_subsidy_week(self) -> float:
        """Weekly subsidy promised to a returnee (yuan)."""
        return self.levers.returnee_subsidy_week

    def learning_multiplier(self, anchor: Anchor) -> float:
        """Multiplier on learning by doing (anchor alliance members)."""
        return self.levers.learning_multiplier if anchor.index in self.members else 1.0

    def local_job_wage(self, anchor: Anchor) -> float:
        """Local jobs' pay in a local anchor's dormant week (yuan/week; career support, §4.1)."""
        return self.levers.local_job_wage if anchor.is_local else 0.0

    def loan_rate_subsidy(self) -> float:
        """Interest the government pays on guaranteed start-up loans (1/year)."""
        return self.levers.loan_rate_subsidy

    def income_floor_ahead(self, anchor: Anchor, horizon: int) -> np.ndarray:
        """The income floor (yuan/week) in each of the next ``horizon`` weeks, 0 where it ends.

        A known policy flow: it enters the anchor's valuation (ECONOMICS.md §A).
        """
        floor = np.zeros(horizon)
        if not anchor.is_local or self.levers.income_floor_week <= 0:
            return floor
        left = self.levers.income_floor_weeks - (self.model.week - anchor.start_week) - 1
        floor[: max(0, min(left, horizon))] = self.levers.income_floor_week
        return floor

    def income_floor(self, anchor: Anchor) -> float:
        """Weekly income floor a new local anchor is topped up to (yuan)."""
        young = self.model.week - anchor.start_week < self.levers.income_floor_weeks
        return self.levers.income_floor_week if anchor.is_local and young else 0.0

    def uplink_multiplier(self, villages: np.ndarray) -> np.ndarray:
        """Bandwidth multiplier per village (upgrades change the world itself)."""
        return np.ones(np.shape(villages))

    def cold_route(self, villages: np.ndarray, cities: np.ndarray) -> np.ndarray:
        """Routes given a cold chain by policy (cold roads change the world itself)."""
        return np.zeros(np.shape(villages), dtype=bool)

    def service_center(self, village: int) -> bool:
        """Whether a policy runs a service center in the village this week."""
        return village in self.levers.service_center_villages

    def traceability(self, village: int) -> bool:
        """Whether a village runs a traceability system."""
        return village in self.traceable_villages

    def extra_inspections(self) -> int:
        """Inspections a week added by policy."""
        return self.levers.extra_inspections

    def monitoring_bonus(self) -> float:
        """Detection added by AI monitoring."""
        return self.levers.monitoring

    def penalty_multiplier(self) -> float:
        """Multiplier on fines."""
        return self.levers.penalty_multiplier

    def local_boost(self) -> float:
        """Platform weight multiplier for local sellers."""
        return self.levers.local_boost

    def top_share_cap(self) -> float:
        """Largest organic traffic share of one anchor."""
        return self.levers.top_share_cap

    def min_farmer_share(self) -> float:
        """Minimum share of the selling price paid to farmers in supply contracts."""
        return self.levers.min_farmer_share

    def brand_boost(self, village: int) -> float:
        """Added share of the brand premium from a village's public brand."""
        return self.branded_villages.get(village, (0.0, 0.0))[0]

    def brand_protection(self, village: int) -> float:
        """Added detection of false origin for goods sold under the village's brand."""
        return self.branded_villages.get(village, (0.0, 0.0))[1]

    def offer_credibility(self, anchor: Anchor) -> float:
        """Credibility consumers add to an anchor's offers (traceable village, certificate)."""
        boost = 0.0
        for policy in self.policies:
            if policy.path == "supply_side":
                trace = policy.measures.traceability
                if trace is not None and anchor.base_village in self.traceable_villages:
                    boost = max(boost, trace.trust_boost)
        if anchor.index in self.certified:
            boost = max(boost, self.levers.certification_trust)
        return boost

    def top_up(self, anchor: Anchor, income: float) -> float:
        """Pay a new anchor up to the income floor; returns the yuan paid."""
        floor = self.income_floor(anchor)
        if floor <= 0 or income >= floor:
            return 0.0
        for policy in self.active("talent"):
            support = policy.measures.career_support
            if support is not None and support.income_floor_yuan_week > 0:
                amount = floor - income
                if self.pay(policy, amount, "income_floor", "anchors", anchor.index):
                    return amount
        return 0.0

    def pay_local_jobs(self, anchors: Iterable[Anchor]) -> None:
        """Career support's local jobs, paid to local anchors who did not stream this week.

        The local job's wage is the w_d that every local anchor's and streaming farm member's ΔV
        counts on while career support runs (ECONOMICS.md §A; paper §4.1: diversified jobs).
        It is paid as a publicly funded local post from the policy's budget to the person's own
        account (the young person's, or the farm household's), so that earnings a decision
        counts on are earnings someone pays, and their cost is the policy's.
        """
        wage = self.levers.local_job_wage
        if wage <= 0:
            return
        dormant = [a for a in anchors if a.is_local and not a.exited and a.sessions == 0]
        for policy in self.active("talent"):
            support = policy.measures.career_support
            if support is None or support.local_job_wage_week <= 0:
                continue
            paid = 0
            for anchor in dormant:
                group, index = anchor.owner
                if not self.pay(policy, support.local_job_wage_week, "local_job", group, index):
                    break
                paid += 1
            dormant = dormant[paid:]

    def on_new_anchor(self, anchor: Anchor) -> None:
        """Policies that reach anchors as they start (handouts, certificates, memberships)."""
        for policy in self.policies:
            if policy.active(self.model.week):
                hook = getattr(self.paths[policy.path], "on_new_anchor", None)
                if hook is not None:
                    hook(self, policy, anchor)

    def on_detection(self, anchor: Anchor) -> None:
        """A caught cheater loses its certificate."""
        self.certified.discard(anchor.index)
