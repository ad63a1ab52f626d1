"""Policy schema: the paper's governance paths (§4) as measures with parameters and unit costs.

A policy names its ``path`` and lists its ``measures`` (each optional). Each measure's parameters are
declared with their unit and provenance; each has a unit cost (yuan), sourced or marked assumed, and
regulatory measures carry an administrative cost so that effects per yuan stay finite. The actions
live in :mod:`village_sim.governance` under the same names (``governance/talent.py`` acts out
``TalentMeasures`` ...).

Timing: a policy is active for ``start_week <= week < end_week`` (weeks from 0). Recurring measures
act only while the policy is active. One-off investments (broadband, power grid, service centers,
cold-chain roads, hub capacity, delivery stations, pre-cooling, tool handouts, village brands,
traceability systems) are bought in the start week — as far as the budget goes — and stay built.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, model_validator

from village_sim.scenario.fields import Strict, param, share

Terrain = Literal["plain", "hill", "mountain"]


class Targets(Strict):
    """Which villages a measure reaches: all, some terrains, or listed village indices."""

    terrains: list[Terrain] | None = Field(
        None, description="Only villages of these terrains (default: all)."
    )
    villages: list[int] | None = Field(
        None, description="Only these village indices (0-based, as in villages.csv)."
    )


# ------------------------------------------------------------------------------------------------
# talent (paper §4.1)
# ------------------------------------------------------------------------------------------------
class TrainingMeasure(Strict):
    """More seats and more standard (48-class-hour) rather than crash courses (paper §4.1)."""

    seats_per_year: float = param(
        0.0, "seats/yr", "paper §4.1", "Training seats the policy adds a year.", ge=0, le=1e6
    )
    standard_share: float | None = Field(
        None,
        ge=0,
        le=1,
        description="Share of the policy's own seats in standard courses (None: the status-quo mix).",
    )
    quality_multiplier: float = param(
        1.0, "x", "paper §4.1 (better courses); assumed", "Multiplier on skill gain.", ge=1
    )
    quality_cost_per_seat: float = param(
        2000.0, "yuan/seat", "assumed", "Extra cost of a better seat.", ge=0
    )


class VillagerTraining(Strict):
    """Digital training for villagers and the elderly (paper §4.1: 引导群众观念革新)."""

    seats_per_year: float = param(
        0.0, "seats/yr", "paper §4.1", "Households trained.", ge=0, le=1e6
    )
    literacy_gain: float = share(0.3, "assumed", "literacy += gain·(1 − literacy).")
    elderly_first: bool = param(True, "bool", "paper §4.1", "Train the elderly first.")
    cost_per_seat: float = param(500.0, "yuan/seat", "assumed", "Cost of a seat.", ge=0)


class ReturneeSubsidy(Strict):
    """Money for young people who come home (paper §4.1: 财政补贴)."""

    yuan_per_month: float = param(0.0, "yuan/month", "paper §4.1; assumed", "Subsidy.", ge=0)
    months: int = param(12, "months", "assumed", "Months paid after return.", ge=1)


class HonourSystem(Strict):
    """Awards for young rural talent (paper §4.1: 乡村青年荣誉体系) that raise recognition."""

    awards_per_year: float = param(4.0, "awards/yr", "assumed", "Awards given.", ge=0)
    yuan_per_award: float = param(10_000.0, "yuan", "assumed", "Prize per award.", ge=0)
    recognition_per_award: float = share(0.02, "assumed", "Recognition gained per award.")


class CareerSupport(Strict):
    """Promotion channels and diversified jobs (paper §4.1); an income floor (extension)."""

    local_job_wage_week: float = param(
        300.0,
        "yuan/week",
        "assumed (paper §4.1: diversified jobs, promotion channels)",
        "Local work career support adds to a local anchor's earnings in a dormant week (w_d).",
        ge=0,
    )
    income_floor_yuan_week: float = param(
        0.0, "yuan/week", "extension; assumed", "Top-up to this income for new anchors.", ge=0
    )
    floor_weeks: int = param(26, "weeks", "assumed", "Weeks a new anchor is eligible.", ge=0)
    admin_yuan_week: float = param(1000.0, "yuan/week", "assumed", "Running cost.", ge=0)


class AnchorAlliance(Strict):
    """An anchor alliance for peer learning (paper §4.1 创新青年人才合作机制)."""

    learning_multiplier: float = param(1.5, "x", "assumed", "Multiplier on learning.", ge=1)
    yuan_per_member_year: float = param(2000.0, "yuan/yr", "assumed", "Cost per member.", ge=0)


class InformationPlatform(Strict):
    """A rural information service with market prices (paper §4.1 乡村信息服务平台)."""

    price_info_gain: float = share(0.3, "assumed", "price_info += gain·(1 − price_info).")
    setup_yuan: float = param(200_000.0, "yuan", "assumed", "Set-up cost.", ge=0)
    yuan_per_household_year: float = param(20.0, "yuan/yr", "assumed", "Running cost.", ge=0)


class TalentMeasures(Strict):
    """Measures of the talent path."""

    training: TrainingMeasure | None = None
    villager_training: VillagerTraining | None = None
    returnee_subsidy: ReturneeSubsidy | None = None
    honour_system: HonourSystem | None = None
    career_support: CareerSupport | None = None
    anchor_alliance: AnchorAlliance | None = None
    information_platform: InformationPlatform | None = None


# ------------------------------------------------------------------------------------------------
# infrastructure (paper §4.2)
# ------------------------------------------------------------------------------------------------
class Broadband(Targets):
    """Broadband upgrade of village networks (paper §4.2 网络设施全面升级)."""

    uplink_mbps: float = param(
        25.0,
        "Mbps (upload)",
        "assumed (200 Mbps download × 1/8, as world.terrain.*.uplink_mbps)",
        "Upload bandwidth after the upgrade.",
        gt=0,
    )
    yuan_per_village: float = param(300_000.0, "yuan", "assumed", "Cost per village.", ge=0)


class PowerGrid(Targets):
    """Power-grid upgrade (paper §4.2 电力供应系统优化)."""

    power_reliability: float = share(0.9997, "literature: NEA urban reliability 99.97%", "After.")
    yuan_per_village: float = param(500_000.0, "yuan", "assumed", "Cost per village.", ge=0)


class ServiceCenter(Targets):
    """E-commerce service centers: shared equipment, support that lowers tool complexity (§4.2)."""

    setup_yuan: float = param(200_000.0, "yuan", "assumed", "Set-up cost per center.", ge=0)
    upkeep_yuan_week: float = param(1000.0, "yuan/week", "assumed", "Upkeep per center.", ge=0)


class ToolHandout(Strict):
    """Tools handed to local anchors — the classic subsidy (extension as a separate lever)."""

    tools: list[str] = Field(default_factory=lambda: ["ai_selection", "digital_human"])
    new_anchors: bool = param(True, "bool", "assumed", "Also equip anchors who start later.")


class HubCapacity(Strict):
    """More hub capacity and multi-level delivery stations (paper §4.2 多级配送中心)."""

    extra_kg_week: float = param(0.0, "kg/week", "paper §4.2", "Capacity added per hub.", ge=0)
    yuan_per_kg_week: float = param(50.0, "yuan per kg/week", "assumed", "Capacity cost.", ge=0)
    delivery_stations: bool = param(False, "bool", "paper §4.2", "Stations in every village.")
    station_first_mile_factor: float = share(0.5, "assumed", "First-mile cost and days kept.")
    yuan_per_station: float = param(100_000.0, "yuan", "assumed", "Cost per station.", ge=0)


class ColdChain(Targets):
    """Cold chain on village roads and hubs, field pre-cooling (paper §4.2 冷链物流)."""

    roads: bool = param(True, "bool", "paper §4.2", "Refrigerated service on village roads.")
    yuan_per_road: float = param(
        200_000.0, "yuan", "assumed", "Cost of cold service on a village road.", ge=0
    )
    extra_hub_cold_kg_week: float = param(
        0.0, "kg/week", "paper §4.2", "Cold capacity added per hub.", ge=0
    )
    yuan_per_cold_kg_week: float = param(100.0, "yuan per kg/week", "assumed", "Cost.", ge=0)
    precooling_kg: float = param(
        0.0, "kg", "paper §3.2 (field pre-cooling <12%)", "Cold storage added per village.", ge=0
    )
    yuan_per_precooling_kg: float = param(20.0, "yuan/kg", "assumed", "Cost.", ge=0)


class SharedDelivery(Strict):
    """Shared (joint) delivery cutting the rural last-mile cost (paper §4.2 共同配送)."""

    last_mile_factor: float = share(0.6, "assumed", "Share of the village-road cost kept.")
    admin_yuan_week: float = param(2000.0, "yuan/week", "assumed", "Running cost.", ge=0)


class InfrastructureMeasures(Strict):
    """Measures of the infrastructure path."""

    broadband: Broadband | None = None
    power_grid: PowerGrid | None = None
    service_center: ServiceCenter | None = None
    tool_handout: ToolHandout | None = None
    hub_capacity: HubCapacity | None = None
    cold_chain: ColdChain | None = None
    shared_delivery: SharedDelivery | None = None


# ------------------------------------------------------------------------------------------------
# supply side (paper §4.3)
# ------------------------------------------------------------------------------------------------
class Standardisation(Targets):
    """Unified standards and standardised growing (paper §4.3 统一产品标准体系)."""

    quality_sd_factor: float = share(0.5, "assumed", "Quality spread kept after standardising.")
    yuan_per_household: float = param(300.0, "yuan", "assumed", "Cost per household.", ge=0)


class Traceability(Targets):
    """Village traceability systems: consumer trust and detection (paper §4.3 溯源)."""

    trust_boost: float = share(0.1, "assumed", "Credibility added to the village's offers.")
    yuan_per_village: float = param(100_000.0, "yuan", "assumed", "Cost per village.", ge=0)


class VillageBrand(Targets):
    """One-village-one-product brands and brand protection (paper §4.3 一村一品)."""

    premium_boost: float = param(
        0.5, "x", "assumed", "Added share of the brand premium for the village's brands.", ge=0
    )
    protection_detection: float = share(0.2, "assumed", "Added detection of false origin.")
    yuan_per_village: float = param(500_000.0, "yuan", "assumed", "Cost per village.", ge=0)


class Certification(Strict):
    """Certification of anchors (paper §4.3 规范化): trust for the certified, revocable on fraud."""

    trust_boost: float = share(0.1, "assumed", "Credibility of a certified anchor.")
    honesty_multiplier: float = param(1.5, "x", "assumed", "Certified anchors' honesty cost.", ge=1)
    yuan_per_anchor: float = param(3000.0, "yuan", "assumed", "Cost per certificate.", ge=0)


class SupplySideMeasures(Strict):
    """Measures of the supply-side path."""

    standardisation: Standardisation | None = None
    traceability: Traceability | None = None
    village_brand: VillageBrand | None = None
    certification: Certification | None = None


# ------------------------------------------------------------------------------------------------
# co-governance (paper §4.3; caps and fairness are extensions)
# ------------------------------------------------------------------------------------------------
class RegulatorCapacity(Strict):
    """More inspections and AI monitoring (paper §4.3 大数据、人工智能 监管)."""

    extra_inspections_per_week: int = param(0, "inspections/week", "paper §4.3", "Added.", ge=0)
    yuan_per_inspection: float = param(2000.0, "yuan", "assumed", "Cost of one.", ge=0)
    monitoring_detection: float = share(0.0, "assumed", "Detection added by AI monitoring.")
    monitoring_yuan_week: float = param(5000.0, "yuan/week", "assumed", "Running cost.", ge=0)


class Penalties(Strict):
    """Heavier penalties (paper §4.3 加大执法力度)."""

    fine_multiplier: float = param(2.0, "x", "assumed", "Multiplier on fines.", ge=1)
    admin_yuan_week: float = param(500.0, "yuan/week", "assumed", "Administrative cost.", ge=0)


class CommissionCap(Strict):
    """A cap on external anchors' commission (extension)."""

    max_commission: float = share(0.1, "assumed", "Largest commission rate.")
    admin_yuan_week: float = param(1000.0, "yuan/week", "assumed", "Administrative cost.", ge=0)


class PlatformFairness(Strict):
    """Platform fairness rules: cap a top anchor's traffic, boost local sellers (extension)."""

    top_share_cap: float = share(0.1, "assumed", "Largest organic traffic share of one anchor.")
    local_boost: float = param(1.5, "x", "assumed", "Weight multiplier for local sellers.", ge=1)
    admin_yuan_week: float = param(2000.0, "yuan/week", "assumed", "Administrative cost.", ge=0)


class MinFarmerShare(Strict):
    """A minimum farmer share of the selling price in supply contracts (extension)."""

    share_of_price: float = share(0.5, "assumed", "Least share of the price paid to farmers.")
    admin_yuan_week: float = param(1000.0, "yuan/week", "assumed", "Administrative cost.", ge=0)


class CodeOfConduct(Strict):
    """An industry association's code of conduct (paper §4.3 行业自律)."""

    honesty_multiplier: float = param(1.5, "x", "assumed", "Members' honesty cost.", ge=1)
    exaggeration_factor: float = share(0.5, "assumed", "Members' exaggeration kept.")
    yuan_per_member_year: float = param(500.0, "yuan/yr", "assumed", "Cost per member.", ge=0)


class CoGovernanceMeasures(Strict):
    """Measures of the co-governance path."""

    regulator_capacity: RegulatorCapacity | None = None
    penalties: Penalties | None = None
    commission_cap: CommissionCap | None = None
    platform_fairness: PlatformFairness | None = None
    min_farmer_share: MinFarmerShare | None = None
    code_of_conduct: CodeOfConduct | None = None


# ------------------------------------------------------------------------------------------------
# policies
# ------------------------------------------------------------------------------------------------
class PolicyBase(Strict):
    """Name, schedule and budget shared by every policy."""

    name: str = Field(min_length=1, description="Unique name (used by --set policies.NAME...).")
    start_week: int = Field(0, ge=0, description="First active week (weeks from 0).")
    end_week: int | None = Field(None, ge=1, description="First week no longer active.")
    budget_yuan: float = Field(0.0, ge=0, le=1e12, description="Money the policy may spend.")

    @model_validator(mode="after")
    def _ordered(self) -> PolicyBase:
        if self.end_week is not None and self.end_week <= self.start_week:
            raise ValueError("end_week must be after start_week")
        return self

    def active(self, week: int) -> bool:
        """Whether the policy acts in ``week``."""
        return self.start_week <= week and (self.end_week is None or week < self.end_week)


class TalentPolicy(PolicyBase):
    """The talent path (paper §4.1)."""

    path: Literal["talent"]
    measures: TalentMeasures = Field(default_factory=TalentMeasures)


class InfrastructurePolicy(PolicyBase):
    """The infrastructure path (paper §4.2)."""

    path: Literal["infrastructure"]
    measures: InfrastructureMeasures = Field(default_factory=InfrastructureMeasures)


class SupplySidePolicy(PolicyBase):
    """The supply-side path (paper §4.3)."""

    path: Literal["supply_side"]
    measures: SupplySideMeasures = Field(default_factory=SupplySideMeasures)


class CoGovernancePolicy(PolicyBase):
    """The co-governance path (paper §4.3)."""

    path: Literal["co_governance"]
    measures: CoGovernanceMeasures = Field(default_factory=CoGovernanceMeasures)


Policy = Annotated[
    TalentPolicy | InfrastructurePolicy | SupplySidePolicy | CoGovernancePolicy,
    Field(discriminator="path"),
]
