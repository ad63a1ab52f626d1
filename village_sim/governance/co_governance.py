"""The co-governance path (paper §4.3 regulation and self-regulation; caps are extensions).

- ``regulator_capacity``: more inspections a week (paid per inspection) and AI monitoring (added
  detection, paid weekly).
- ``penalties``: heavier fines.
- ``commission_cap``: a cap on external anchors' commission, which raises what their suppliers get.
- ``platform_fairness``: no anchor gets more than a capped share of organic traffic; local sellers
  are boosted.
- ``min_farmer_share``: supply contracts pay farmers at least a share of the selling price.
- ``code_of_conduct``: members of an industry association weigh cheating more and exaggerate less.
Each carries an administrative cost, so per-yuan comparisons stay finite.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from village_sim.agents.anchor import Anchor
    from village_sim.governance.policies import Governance, Levers
    from village_sim.scenario.policies import CoGovernancePolicy


def invest(gov: Governance, policy: CoGovernancePolicy) -> None:
    """No one-off investment; members join the code of conduct as the policy starts."""
    if policy.measures.code_of_conduct is not None:
        for anchor in gov.model.anchor_list:
            if anchor.is_local and not anchor.exited:
                _join_code(gov, policy, anchor)


def act(gov: Governance, policy: CoGovernancePolicy, levers: Levers, week: int) -> None:
    """Recurring co-governance measures for this week (each only if its cost is paid)."""
    m = policy.measures
    if m.regulator_capacity is not None:
        spec = m.regulator_capacity
        n = gov.afford(policy, spec.yuan_per_inspection, spec.extra_inspections_per_week)
        if n and gov.pay(policy, n * spec.yuan_per_inspection, "inspections"):
            levers.extra_inspections += n
        if spec.monitoring_detection > 0 and gov.pay(
            policy, spec.monitoring_yuan_week, "ai_monitoring"
        ):
            levers.monitoring = max(levers.monitoring, spec.monitoring_detection)
    if m.penalties is not None and gov.pay(policy, m.penalties.admin_yuan_week, "penalties"):
        levers.penalty_multiplier = max(levers.penalty_multiplier, m.penalties.fine_multiplier)
    if m.commission_cap is not None and gov.pay(
        policy, m.commission_cap.admin_yuan_week, "commission_cap"
    ):
        levers.commission_cap = min(levers.commission_cap, m.commission_cap.max_commission)
    if m.platform_fairness is not None and gov.pay(
        policy, m.platform_fairness.admin_yuan_week, "platform_fairness"
    ):
        levers.top_share_cap = min(levers.top_share_cap, m.platform_fairness.top_share_cap)
        levers.local_boost = max(levers.local_boost, m.platform_fairness.local_boost)
    if m.min_farmer_share is not None and gov.pay(
        policy, m.min_farmer_share.admin_yuan_week, "min_farmer_share"
    ):
        levers.min_farmer_share = max(levers.min_farmer_share, m.min_farmer_share.share_of_price)
    if m.code_of_conduct is not None:
        members = sum(
            1 for a in gov.model.anchor_list if a.index in gov.members_code and not a.exited
        )
        gov.pay(policy, m.code_of_conduct.yuan_per_member_year / 52 * members, "code_of_conduct")


def on_new_anchor(gov: Governance, policy: CoGovernancePolicy, anchor: Anchor) -> None:
    """New local anchors join the code of conduct while it runs."""
    if policy.measures.code_of_conduct is not None and anchor.is_local:
        _join_code(gov, policy, anchor)


def _join_code(gov: Governance, policy: CoGovernancePolicy, anchor: Anchor) -> None:
    spec = policy.measures.code_of_conduct
    if anchor.index in gov.members_code:
        return
    gov.members_code.add(anchor.index)
    anchor.honesty_cost *= spec.honesty_multiplier
    anchor.exaggeration *= spec.exaggeration_factor
    anchor.exaggeration_kept *= spec.exaggeration_factor  # also at its later price reviews
