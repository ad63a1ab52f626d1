"""The infrastructure path (paper §4.2): networks, power, service centers, logistics, cold chain.

One-off investments change the world in the start week, village by village as far as the budget
goes (worst-served villages first) and stay built: broadband (bandwidth), power grid (reliability),
cold-chain roads, hub capacity and cold capacity, delivery stations (cheaper, faster first mile),
field pre-cooling (cold storage at origin), tool handouts. Service centers are set up once and
support tool users while their upkeep is paid; shared delivery cuts the last-mile cost while it runs.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from village_sim.scenario.policies import Targets

if TYPE_CHECKING:
    from village_sim.agents.anchor import Anchor
    from village_sim.governance.policies import Governance, Levers
    from village_sim.scenario.policies import InfrastructurePolicy

TERRAIN_CODES = {"plain": 0, "hill": 1, "mountain": 2}


def target_villages(gov: Governance, targets: Targets, worst_first: np.ndarray) -> list[int]:
    """Villages a measure reaches, ordered by ``worst_first`` (ascending: worst served first)."""
    world = gov.model.world
    chosen = np.ones(world.n_villages, dtype=bool)
    if targets.terrains is not None:
        codes = [TERRAIN_CODES[t] for t in targets.terrains]
        chosen &= np.isin(world.terrain, codes)
    if targets.villages is not None:
        listed = np.zeros(world.n_villages, dtype=bool)
        listed[[v for v in targets.villages if 0 <= v < world.n_villages]] = True
        chosen &= listed
    order = np.lexsort((np.arange(world.n_villages), worst_first))
    return [int(v) for v in order if chosen[v]]


def invest(gov: Governance, policy: InfrastructurePolicy) -> None:
    """One-off investments in the start week."""
    m = policy.measures
    world = gov.model.world
    if m.broadband is not None:
        for v in target_villages(gov, m.broadband, world.uplink_mbps):
            if world.uplink_mbps[v] < m.broadband.uplink_mbps and gov.pay(
                policy, m.broadband.yuan_per_village, "broadband"
            ):
                world.uplink_mbps[v] = m.broadband.uplink_mbps
    if m.power_grid is not None:
        for v in target_villages(gov, m.power_grid, world.power_reliability):
            if world.power_reliability[v] < m.power_grid.power_reliability and gov.pay(
                policy, m.power_grid.yuan_per_village, "power_grid"
            ):
                world.power_reliability[v] = m.power_grid.power_reliability
    if m.service_center is not None:
        for v in target_villages(gov, m.service_center, world.service_center.astype(float)):
            if world.service_center[v]:
                continue
            if gov.pay(policy, m.service_center.setup_yuan, "service_center"):
                gov.carry.setdefault(f"{policy.name}:centers", set()).add(v)
    if m.hub_capacity is not None:
        _expand_hubs(gov, policy)
    if m.cold_chain is not None:
        _build_cold_chain(gov, policy)
    if m.tool_handout is not None:
        for anchor in gov.model.anchor_list:
            if anchor.is_local and not anchor.exited:
                _hand_out(gov, policy, anchor)


def act(gov: Governance, policy: InfrastructurePolicy, levers: Levers, week: int) -> None:
    """Recurring infrastructure measures: service-center upkeep, shared delivery."""
    m = policy.measures
    if m.service_center is not None:
        for v in sorted(gov.carry.get(f"{policy.name}:centers", set())):
            if gov.pay(policy, m.service_center.upkeep_yuan_week, "service_center_upkeep"):
                levers.service_center_villages.add(v)
    if m.shared_delivery is not None and gov.pay(
        policy, m.shared_delivery.admin_yuan_week, "shared_delivery"
    ):
        levers.last_mile_factor = min(levers.last_mile_factor, m.shared_delivery.last_mile_factor)


def on_new_anchor(gov: Governance, policy: InfrastructurePolicy, anchor: Anchor) -> None:
    """Equip new local anchors while a handout policy with ``new_anchors`` runs."""
    handout = policy.measures.tool_handout
    if handout is not None and handout.new_anchors and anchor.is_local:
        _hand_out(gov, policy, anchor)


def _hand_out(gov: Governance, policy: InfrastructurePolicy, anchor: Anchor) -> None:
    catalogue = gov.model.config.tools.catalogue
    for name in policy.measures.tool_handout.tools:
        if name in anchor.tools or name not in catalogue:
            continue
        if gov.pay(policy, catalogue[name].price, "tool_handout", "vendors"):
            anchor.acquire_tool(name, handed_out=True)


def _expand_hubs(gov: Governance, policy: InfrastructurePolicy) -> None:
    spec = policy.measures.hub_capacity
    model = gov.model
    for hub in model.hubs:
        if spec.extra_kg_week > 0 and gov.pay(
            policy, spec.extra_kg_week * spec.yuan_per_kg_week, "hub_capacity"
        ):
            hub.capacity_kg += spec.extra_kg_week
    if spec.delivery_stations:
        world = model.world
        for v in target_villages(gov, _all(), -world.route_first_mile_cost.mean(axis=1)):
            if gov.pay(policy, spec.yuan_per_station, "delivery_station"):
                keep = spec.station_first_mile_factor
                world.route_cost[v] -= (1 - keep) * world.route_first_mile_cost[v]
                world.route_first_mile_cost[v] *= keep
                world.route_days[v] -= (1 - keep) * world.route_first_mile_days[v]
                world.route_first_mile_days[v] *= keep


def _build_cold_chain(gov: Governance, policy: InfrastructurePolicy) -> None:
    spec = policy.measures.cold_chain
    model = gov.model
    world = model.world
    if spec.extra_hub_cold_kg_week > 0:
        for hub in model.hubs:
            if gov.pay(
                policy,
                spec.extra_hub_cold_kg_week * spec.yuan_per_cold_kg_week,
                "hub_cold_capacity",
            ):
                hub.cold_capacity_kg += spec.extra_hub_cold_kg_week
    villages = target_villages(gov, spec, world.route_cold.mean(axis=1))
    if spec.roads:
        for v in villages:
            if not world.village_cold(v) and gov.pay(policy, spec.yuan_per_road, "cold_road"):
                world.make_roads_cold(v)
    if spec.precooling_kg > 0:
        for v in villages:
            if gov.pay(policy, spec.precooling_kg * spec.yuan_per_precooling_kg, "precooling"):
                world.cold_storage_kg[v] += spec.precooling_kg


def _all() -> Targets:

    return Targets()
