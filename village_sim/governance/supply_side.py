"""The supply-side path (paper §4.3): standards, traceability, village brands, certification.

- ``standardisation``: narrows the quality spread of the target villages' harvests (and so the gap
  between advertised and received quality, and makes brands pay).
- ``traceability``: village systems that make offers more credible to consumers and fake origin
  easier for regulators to detect.
- ``village_brand``: "one village one product" — a public brand that raises the premium anchors'
  brands earn from the village's goods, and protection that raises the detection of false origin.
- ``certification``: certified anchors are more credible and weigh cheating more; a certificate is
  withdrawn when its holder is caught.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from village_sim.governance.infrastructure import target_villages

if TYPE_CHECKING:
    from village_sim.agents.anchor import Anchor
    from village_sim.governance.policies import Governance, Levers
    from village_sim.scenario.policies import SupplySidePolicy


def invest(gov: Governance, policy: SupplySidePolicy) -> None:
    """One-off investments in the start week: standards, traceability systems, village brands."""
    m = policy.measures
    model = gov.model
    households = np.bincount(model.farmers.village, minlength=model.world.n_villages)
    if m.standardisation is not None:
        spec = m.standardisation
        for v in target_villages(gov, spec, -gov.standard_factor):
            cost = spec.yuan_per_household * households[v]
            if gov.standard_factor[v] > spec.quality_sd_factor and gov.pay(
                policy, cost, "standardisation"
            ):
                gov.standard_factor[v] = spec.quality_sd_factor
    if m.traceability is not None:
        order = np.array([v in gov.traceable_villages for v in range(model.world.n_villages)])
        for v in target_villages(gov, m.traceability, order.astype(float)):
            if v not in gov.traceable_villages and gov.pay(
                policy, m.traceability.yuan_per_village, "traceability"
            ):
                gov.traceable_villages.add(v)
    if m.village_brand is not None:
        spec = m.village_brand
        for v in target_villages(gov, spec, np.zeros(model.world.n_villages)):
            if v not in gov.branded_villages and gov.pay(
                policy, spec.yuan_per_village, "village_brand"
            ):
                gov.branded_villages[v] = (spec.premium_boost, spec.protection_detection)
    if m.certification is not None:
        for anchor in model.anchor_list:
            if anchor.is_local and not anchor.exited:
                _certify(gov, policy, anchor)


def act(gov: Governance, policy: SupplySidePolicy, levers: Levers, week: int) -> None:
    """Recurring supply-side effects: certificates are credible while the scheme runs."""
    if policy.measures.certification is not None:
        levers.certification_trust = max(
            levers.certification_trust, policy.measures.certification.trust_boost
        )


def on_new_anchor(gov: Governance, policy: SupplySidePolicy, anchor: Anchor) -> None:
    """Certify new local anchors while the scheme runs."""
    if policy.measures.certification is not None and anchor.is_local:
        _certify(gov, policy, anchor)


def _certify(gov: Governance, policy: SupplySidePolicy, anchor: Anchor) -> None:
    spec = policy.measures.certification
    if anchor.index in gov.certified:
        return
    if gov.pay(policy, spec.yuan_per_anchor, "certification"):
        gov.certified.add(anchor.index)
        anchor.honesty_cost *= spec.honesty_multiplier
