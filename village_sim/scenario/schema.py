"""The scenario schema: every input of a run, with defaults, units and provenance.

A scenario file (YAML) is validated into :class:`Scenario`. Unknown keys are rejected at every level;
every behavioural default is declared with :func:`~village_sim.scenario.fields.param` so that its unit
and provenance (paper section, literature source, derived, assumed or calibrated) travel with it into
the ODD parameter table. Sources for "literature" defaults are listed in ``docs/ODD.md`` and come from
``PARAMETERS.md`` of the design notes.
"""

from __future__ import annotations

from collections import Counter
from typing import Literal

from pydantic import Field, field_validator, model_validator

from village_sim.scenario.fields import Strict, param, share
from village_sim.scenario.policies import Policy

Terrain = Literal["plain", "hill", "mountain"]
TERRAINS: tuple[Terrain, ...] = ("plain", "hill", "mountain")
PlaceKind = Literal["village", "township", "county_hub", "city"]


# --------------------------------------------------------------------------------------------
# World: places and roads
# --------------------------------------------------------------------------------------------
class TerrainProfile(Strict):
    """Village attributes that follow from terrain (paper §3.2: terrain raises first-mile cost)."""

    uplink_mbps: float = param(
        8.0,
        "Mbps",
        "paper §3.2 (mountain ~32 Mbps, urban ~3x) read as download, × 1/8 upload/download "
        "(Ookla Q3 2021 5G medians: 21.08 / 166.13 ≈ 0.13); per terrain assumed",
        "Upload bandwidth a live stream hosted in the village gets.",
        gt=0,
    )
    power_reliability: float = param(
        0.999,
        "share of hours",
        "literature: NEA rural supply reliability 99.91%",
        "Share of hours with power; an outage stalls a session and stops cold storage.",
        ge=0,
        le=1,
    )
    internet_share: float = share(
        0.62,
        "paper §3.2 (rural internet penetration 61.9%); per terrain assumed",
        "Share of households with a usable connection (needed to stream or contract online).",
    )
    cold_storage_kg: float = param(
        0.0,
        "kg",
        "assumed",
        "Produce that can wait at origin in cold storage.",
        ge=0,
    )
    first_mile_km: float = param(
        12.0,
        "km",
        "assumed",
        "Road distance from the village to its township station.",
        gt=0,
    )
    first_mile_cost_multiplier: float = param(
        1.0,
        "x",
        "paper §3.2 (terrain raises first-mile cost); assumed",
        "Multiplier on the per-kg cost of the village road.",
        ge=1,
    )
    first_mile_extra_days: float = param(
        0.0,
        "days",
        "paper §3.2 (terrain raises first-mile time); assumed",
        "Extra days to get produce from the village to the township.",
        ge=0,
    )


def _default_terrain() -> dict[str, TerrainProfile]:
    return {
        "plain": TerrainProfile(
            uplink_mbps=12.0,
            power_reliability=0.999,
            internet_share=0.72,
            cold_storage_kg=20_000,
            first_mile_km=8,
            first_mile_cost_multiplier=1.0,
            first_mile_extra_days=0.0,
        ),
        "hill": TerrainProfile(
            uplink_mbps=8.0,
            power_reliability=0.995,
            internet_share=0.63,
            cold_storage_kg=5_000,
            first_mile_km=15,
            first_mile_cost_multiplier=1.5,
            first_mile_extra_days=0.5,
        ),
        "mountain": TerrainProfile(
            uplink_mbps=4.0,
            power_reliability=0.98,
            internet_share=0.50,
            cold_storage_kg=0,
            first_mile_km=25,
            first_mile_cost_multiplier=2.5,
            first_mile_extra_days=1.0,
        ),
    }


class CountyGenerator(Strict):
    """Parameters of the ``county`` world generator (villages, townships, hubs, cities)."""

    villages: int = param(12, "villages", "assumed", "Number of villages.", ge=1, le=5000)
    terrain_mix: dict[Terrain, float] = param(
        lambda: {"plain": 0.34, "hill": 0.33, "mountain": 0.33},
        "share",
        "assumed",
        "Share of villages per terrain (normalised).",
    )
    townships: int = param(4, "stations", "assumed", "Township stations.", ge=1, le=1000)
    hubs: int = param(2, "hubs", "assumed", "County logistics hubs.", ge=1, le=1000)
    cities: int = param(3, "cities", "assumed", "Cities where consumers live.", ge=1, le=1000)
    hub_city_km: tuple[float, float] = param(
        (300.0, 1200.0),
        "km",
        "assumed",
        "Range of hub-to-city road distances.",
    )
    township_hub_km: tuple[float, float] = param(
        (20.0, 60.0),
        "km",
        "assumed",
        "Range of township-to-hub road distances.",
    )
    products_by_terrain: dict[Terrain, list[str]] = param(
        lambda: {
            "plain": ["rice", "kiwi"],
            "hill": ["kiwi", "tea"],
            "mountain": ["tea", "shiitake"],
        },
        "product names",
        "assumed (PARAMETERS.md §8 examples)",
        "Signature products of a village by terrain.",
    )
    cold_chain_village_share: float = share(
        0.3,
        "paper §3.2 (cold-chain circulation rate 30%)",
        "Share of village roads with a refrigerated service (trunk roads are all cold).",
    )

    @field_validator("terrain_mix")
    @classmethod
    def _mix_positive(cls, mix: dict[str, float]) -> dict[str, float]:
        if any(v < 0 for v in mix.values()) or sum(mix.values()) <= 0:
            raise ValueError("terrain shares must be >= 0 and not all zero")
        return mix

    @field_validator("hub_city_km", "township_hub_km")
    @classmethod
    def _range_ordered(cls, rng: tuple[float, float]) -> tuple[float, float]:
        if not 0 < rng[0] <= rng[1]:
            raise ValueError("expected (min, max) with 0 < min <= max")
        return rng


class NodeSpec(Strict):
    """A place in an explicit world. Village fields left out take their terrain's profile."""

    id: int = Field(ge=0, description="Integer node id.")
    kind: PlaceKind
    name: str | None = None
    terrain: Terrain | None = None
    products: list[str] | None = None
    uplink_mbps: float | None = Field(None, gt=0)
    power_reliability: float | None = Field(None, ge=0, le=1)
    internet_share: float | None = Field(None, ge=0, le=1)
    cold_storage_kg: float | None = Field(None, ge=0)
    service_center: bool = False
    premises: int | None = Field(None, ge=0, description="Cap on streaming sites (none = no cap).")
    capacity_kg_week: float | None = Field(None, ge=0, description="Hubs: weekly capacity.")
    cold_capacity_kg_week: float | None = Field(None, ge=0, description="Hubs: cold capacity.")
    population_weight: float = Field(1.0, gt=0, description="Cities: share of consumers.")

    @model_validator(mode="after")
    def _village_needs_terrain(self) -> NodeSpec:
        if self.kind == "village" and self.terrain is None:
            raise ValueError("a village needs a terrain (plain, hill or mountain)")
        if self.kind == "village" and not self.products:
            raise ValueError("a village needs at least one product")
        return self


class EdgeSpec(Strict):
    """A road in an explicit world."""

    u: int = Field(ge=0)
    v: int = Field(ge=0)
    km: float = Field(gt=0)
    cost_per_kg: float | None = Field(None, ge=0, description="yuan/kg; default from km.")
    cold_chain: bool = False


class WorldConfig(Strict):
    """The trade graph: generated (``county``) or explicit nodes and edges (paper §3.2)."""

    generator: Literal["county", "explicit"] = "county"
    county: CountyGenerator = Field(default_factory=CountyGenerator)
    nodes: list[NodeSpec] = Field(default_factory=list)
    edges: list[EdgeSpec] = Field(default_factory=list)
    terrain: dict[Terrain, TerrainProfile] = Field(default_factory=_default_terrain)
    service_center_share: float = share(
        0.0,
        "assumed",
        "Share of villages with an e-commerce service center at the start.",
    )
    weather_yield_sd: float = param(
        0.15,
        "log-sd",
        "assumed (extension)",
        "Weekly village weather shock to yield.",
        ge=0,
        le=3,
    )
    weather_quality_sd: float = param(
        0.05,
        "quality units",
        "assumed (extension)",
        "Weekly village weather shock to quality.",
        ge=0,
        le=1,
    )

    @model_validator(mode="after")
    def _explicit_has_graph(self) -> WorldConfig:
        if self.generator == "explicit" and not self.nodes:
            raise ValueError("generator 'explicit' needs a list of nodes and edges")
        missing = [t for t in TERRAINS if t not in self.terrain]
        if missing:
            raise ValueError(f"terrain profiles missing for: {', '.join(missing)}")
        return self


# --------------------------------------------------------------------------------------------
# Products
# --------------------------------------------------------------------------------------------
class ProductSpec(Strict):
    """A village product with its season, prices and perishability (paper §3.2, §3.3)."""

    fresh: bool = param(True, "bool", "assumed", "Fresh produce (counts in spoilage rates).")
    perishability_per_day: float = param(
        0.0556,
        "1/day",
        "literature: kiwi keeps 4-5 months (135 days) at 0 °C (USDA Agriculture Handbook 66, "
        "via Lamikanra & Imam 2005, Table 20.1) and produce deteriorates 7.5x faster at 20 °C "
        "than at 0 °C (Saltveit, HB66, Q10 3.0 then 2.5); 7.5 / 135 days, read as the mean "
        "time to spoil of a parcel at an assumed 20 °C. Not fitted: the paper's 20-30 % loss "
        "without cold chain is held back (calibration/targets.yaml). Kiwi's value, used by any "
        "product that sets none",
        "Decay constant of spoilage at ambient temperature.",
        ge=0,
    )
    farm_gate_price: float = param(
        6.0,
        "yuan/kg",
        "literature: PARAMETERS.md §8 (kiwi wholesale 6.0-6.5)",
        "Middleman's reference price to a well-informed farmer.",
        gt=0,
    )
    city_price: float = param(
        17.0,
        "yuan/kg",
        "literature: PARAMETERS.md §8 (premium retail 8.5/jin)",
        "City retail reference price.",
        gt=0,
    )
    harvest_weeks: list[int] = param(
        lambda: list(range(36, 48)),
        "week of year",
        "literature: PARAMETERS.md §8 (Sep-Nov)",
        "Weeks of the year (0-51) in which the product is harvested.",
    )
    yield_kg_per_household_year: float = param(
        3600.0,
        "kg/yr",
        "derived: PARAMETERS.md §8 (3 mu x 1,200 kg/mu)",
        "Mean yearly output of a household growing the product.",
        gt=0,
    )
    yield_heterogeneity: float = param(
        0.4,
        "log-sd",
        "assumed",
        "Spread of household output.",
        ge=0,
    )
    pack_kg: float = param(
        2.5,
        "kg/order",
        "literature: PARAMETERS.md §3 (30-80 yuan orders)",
        "Weight of one consumer order.",
        gt=0,
    )
    quality_mean: float = share(0.6, "assumed", "Mean quality of a harvest (0-1 scale).")
    quality_sd: float = param(
        0.15,
        "quality units",
        "paper §3.3 (品质参差不齐); assumed",
        "Spread of quality across households (lowered by standardisation).",
        ge=0,
        le=1,
    )
    import_price_share: float = param(
        0.6,
        "x farm-gate",
        "assumed",
        "Price of out-of-region substitutes relative to farm-gate.",
        gt=0,
    )
    import_quality: float = share(0.4, "assumed", "Quality of out-of-region substitutes.")
    production_cost_share: float = param(
        0.3,
        "x farm-gate",
        "derived: PARAMETERS.md §8 (kiwi: 1,200 kg/mu x 6 yuan/kg = 7,200 yuan/mu against a net "
        "income of 4,000-6,000 yuan/mu leaves ~0.3 for inputs); kiwi's value, used by any "
        "product that sets none; tea, rice and shiitake 0.4 (assumed)",
        "Production cost per kg harvested, as a share of the farm-gate price; households pay it "
        "to the input suppliers in the week of the harvest (ECONOMICS.md §C).",
        ge=0,
        le=1,
    )

    @field_validator("harvest_weeks")
    @classmethod
    def _weeks_in_year(cls, weeks: list[int]) -> list[int]:
        if not weeks or any(not 0 <= w <= 51 for w in weeks):
            raise ValueError("expected a non-empty list of weeks of the year in 0..51")
        return sorted(set(weeks))


def _default_products() -> dict[str, ProductSpec]:
    return {
        "kiwi": ProductSpec(),
        "tea": ProductSpec(
            fresh=False,
            perishability_per_day=0.002,
            farm_gate_price=200.0,
            city_price=400.0,
            harvest_weeks=list(range(10, 21)),
            yield_kg_per_household_year=120.0,
            pack_kg=0.25,
            quality_mean=0.65,
            quality_sd=0.15,
            production_cost_share=0.4,
        ),
        "rice": ProductSpec(
            fresh=False,
            perishability_per_day=0.0005,
            farm_gate_price=5.0,
            city_price=12.0,
            harvest_weeks=list(range(38, 44)),
            yield_kg_per_household_year=2400.0,
            pack_kg=5.0,
            quality_mean=0.6,
            quality_sd=0.12,
            production_cost_share=0.4,
        ),
        "shiitake": ProductSpec(
            fresh=True,
            perishability_per_day=0.08,
            farm_gate_price=12.0,
            city_price=30.0,
            harvest_weeks=list(range(0, 18)) + list(range(40, 52)),
            yield_kg_per_household_year=1500.0,
            pack_kg=1.0,
            quality_mean=0.6,
            quality_sd=0.15,
            production_cost_share=0.4,
        ),
    }


# --------------------------------------------------------------------------------------------
# Populations and behaviour
# --------------------------------------------------------------------------------------------
class Populations(Strict):
    """How many of each kind of agent a run starts with."""

    farmer_households: int = param(
        3000, "households", "assumed", "Farm households.", ge=0, le=1_000_000
    )
    youth: int = param(
        400, "persons", "assumed", "Young people of the county (20-35).", ge=0, le=1_000_000
    )
    youth_at_home_share: float = share(
        0.1,
        "assumed",
        "Share of the youth living at home (not migrants) at the start.",
    )
    external_anchors: int = param(
        4, "anchors", "assumed", "City influencers selling county goods.", ge=0, le=10_000
    )
    consumer_units: int = param(
        20000,
        "units",
        "assumed",
        "Consumer units (super-individuals) in the cities.",
        ge=1,
        le=5_000_000,
    )
    consumer_unit_scale: int = param(
        50,
        "persons/unit",
        "assumed (MODEL.md §3)",
        "People a consumer unit stands for.",
        ge=1,
        le=10000,
    )
    regulators: int = param(1, "regulators", "assumed", "Market regulators.", ge=0, le=1000)


class FarmerBehaviour(Strict):
    """Farm households: harvest, price information, channel choice (paper §3.1, §3.2)."""

    elderly_share: float = share(
        0.55, "assumed (MODEL.md §3)", "Share of households headed by someone 60+."
    )
    elderly_low_literacy_share: float = share(
        0.67,
        "paper §3.1 (~67% of left-behind elderly: basic phone skills only)",
        "Share of elderly households with digital literacy below 0.3.",
    )
    elderly_internet_factor: float = param(
        0.75,
        "x",
        "derived: CNNIC 56th report (52.0% of 60+ online vs 69.2% overall)",
        "Elderly households' chance of a connection relative to the village share.",
        ge=0,
        le=1,
    )
    price_info_elderly: float = share(0.3, "assumed", "Mean price information of the elderly.")
    price_info_other: float = share(0.6, "assumed", "Mean price information of the others.")
    uninformed_price_floor: float = share(
        0.8,
        "assumed (paper §3.2: poor information lets middlemen pay less)",
        "Share of the farm-gate price a farmer with no price information gets.",
    )
    risk_premium: float = param(
        0.1,
        "share",
        "assumed",
        "Premium over the middleman price a contract must offer.",
        ge=0,
    )
    bargaining_weight: float = share(
        0.3,
        "assumed",
        "Farmers' share of the contract surplus with a local anchor.",
    )
    literacy_to_stream: float = share(
        0.6,
        "assumed",
        "Digital literacy a farmer needs before streaming.",
    )
    storable_sell_share: float = share(
        0.05,
        "assumed",
        "Share of a household's store of storable produce sold to middlemen a week.",
    )
    off_farm_wage_week: float = param(
        500.0,
        "yuan/week",
        "assumed; checked against the farming share of farm households' income (35.5 %, "
        "PARAMETERS.md §1): a kiwi household's net farm income of ~13,000 yuan/yr is a third "
        "of its income with 26,000 yuan/yr of wages",
        "Off-farm wages a household earns a week (local casual and migrant work; exogenous).",
        ge=0,
    )
    off_farm_wage_elderly_week: float = param(
        150.0,
        "yuan/week",
        "assumed",
        "Off-farm wages of a household headed by someone 60+ a week.",
        ge=0,
    )
    stream_forgone_wage_share: float = share(
        0.5,
        "assumed (ECONOMICS.md §C)",
        "Share of the off-farm wages a household forgoes in a week its member streams.",
    )
    member_skill_per_literacy: float = share(
        0.6,
        "assumed",
        "Starting streaming skill of a farm household's member per unit of the household's "
        "digital literacy (its aptitude is the literacy itself).",
    )
    taste_scale: float = param(
        240.0,
        "yuan/week",
        "assumed: the first v3 fit's spread relative to a streaming member's outside option "
        "(0.958 x the displaced off-farm wage, 250 yuan/week; calibration/REPORT.md); the fit's "
        "patterns are the young's, so the young's scale (anchors.taste_scale) is no evidence here",
        "Scale of a farm household member's taste for streaming (ν, yuan a week; logistic).",
        ge=0,
    )
    middleman_spillover: float = param(
        0.0,
        "x live-stream share",
        "assumed (extension; ECONOMICS.md §C: 0 by default, a sensitivity)",
        "psi: middlemen pay x (1 + psi s_v), s_v the village's live-stream share of farm sales "
        "over the last 4 weeks.",
        ge=0,
    )
    start_review_weeks: int = param(
        52,
        "weeks",
        "assumed (ECONOMICS.md §B: Calvo R of literate, connected farmers)",
        "Mean weeks between a literate, connected household's reviews of starting its own stream.",
        ge=1,
    )


class YouthBehaviour(Strict):
    """Returning youth: return, training, conversion and exit (paper §3.1, §4.1)."""

    urban_wage_week: float = param(
        1300.0,
        "yuan/week",
        "literature: NBS 2024 migrant survey (5,634 yuan/month)",
        "Weekly wage of a migrant of average skill.",
        gt=0,
    )
    skill_wage_premium: float = param(
        0.8,
        "x",
        "assumed (paper §3.1: 能者出走)",
        "Wage gain from lowest to highest skill.",
        ge=0,
    )
    rural_income_week: float = param(
        445.0,
        "yuan/week",
        "literature: NBS 2024 rural disposable income 23,119/yr",
        "Prior belief about rural weekly income before any peer is observed.",
        gt=0,
    )
    beta0: float = param(
        -6.5,
        "logit",
        "assumed (a few % of migrants return per year)",
        "Intercept of the weekly return hazard.",
    )
    beta_income: float = param(
        2.0,
        "logit per relative income",
        "assumed",
        "Weight of (rural - urban income) / urban income.",
    )
    beta_attach: float = param(1.0, "logit", "assumed", "Weight of attachment to home.")
    beta_recog: float = param(1.5, "logit", "assumed", "Weight of recognition of streaming.")
    beta_amenity: float = param(0.5, "logit", "assumed", "Weight of village amenities.")
    amenity_internet_weight: float = share(
        0.5,
        "assumed (paper §4.2: connectivity and service centers make a village liveable)",
        "Weight of internet access in a village's amenity (the rest: a service center).",
    )
    beta_subsidy: float = param(
        2.0,
        "logit per (subsidy/urban wage)",
        "assumed",
        "Weight of a returnee subsidy.",
    )
    peer_learning_rate: float = share(
        0.1,
        "assumed",
        "Weight of this week's observed anchor income in expected rural income.",
    )
    enrol_chance: float = share(
        0.15,
        "assumed",
        "Weekly chance that an untrained returnee asks for a course seat "
        "(times recognition + enrol_recognition_offset).",
    )
    enrol_recognition_offset: float = param(
        0.5,
        "x",
        "assumed",
        "Added to the county's recognition of live streaming in the enrolment multiplier "
        "(recognition + offset): a returnee asks for a seat even when nobody's streaming is "
        "recognised yet.",
        ge=0,
    )
    remigrate_hazard: float = param(
        0.01,
        "1/week",
        "assumed",
        "Weekly chance that a returnee not streaming leaves again.",
        ge=0,
        le=1,
    )
    initial_skill_a: float = param(
        2.0, "Beta a", "assumed", "Streaming skill prior (Beta a).", gt=0
    )
    initial_skill_b: float = param(
        5.0, "Beta b", "assumed", "Streaming skill prior (Beta b).", gt=0
    )
    start_window_weeks: int = param(
        26,
        "weeks",
        "assumed (ECONOMICS.md §B: W_start)",
        "Weeks after a course during which a trainee reviews starting every trained_review_weeks.",
        ge=1,
    )
    aptitude_ability_weight: float = share(
        0.5,
        "assumed (paper §3.1: 能者出走)",
        "Weight of city-wage ability in streaming aptitude (the able are likelier to leave).",
    )
    recognition_initial: float = share(
        0.29,
        "paper §3.1 (29% of farmers see streaming as a profession)",
        "Initial share seeing streaming as a profession.",
    )
    recognition_rate: float = share(
        0.02,
        "assumed",
        "Weekly adjustment of recognition toward visible anchor success.",
    )
    beta_seat: float = param(
        2.0,
        "logit",
        "assumed (ECONOMICS.md §B)",
        "Gain in a migrant's weekly return logit while a training seat announced to them is open.",
    )
    home_premium: float = share(
        0.3,
        "assumed, to be fitted (ECONOMICS.md §A, §F)",
        "Share of the urban wage a fully attached person gives up to live at home (h).",
    )
    local_wage_week: float = param(
        990.0,
        "yuan/week",
        "literature: NBS 2024 migrant survey (local migrants 4,291 yuan/month; PARAMETERS.md §1)",
        "Weekly wage of a migrant working inside the home county.",
        gt=0,
    )
    dormant_wage_share: float = share(
        0.5,
        "assumed (ECONOMICS.md §A: casual work at home)",
        "A dormant week's earnings at home (w_d) as a share of the local migrant wage.",
    )
    trained_review_weeks: int = param(
        4,
        "weeks",
        "assumed (ECONOMICS.md §B: Calvo R after a course)",
        "Mean weeks between a trainee's reviews of starting to stream within start_window_weeks.",
        ge=1,
    )
    home_review_weeks: int = param(
        13,
        "weeks",
        "assumed (ECONOMICS.md §B: Calvo R at home)",
        "Mean weeks between reviews of starting to stream by a young person at home not in a "
        "course's start window (returnees, former trainees, former anchors).",
        ge=1,
    )


class AnchorBehaviour(Strict):
    """Local anchors: sourcing, pricing, strategy, traffic, sessions, learning, exit (paper §3.1)."""

    sessions_per_week: int = param(
        4,
        "sessions/week",
        "literature: PARAMETERS.md §3 (0.5-8)",
        "Sessions a local anchor runs when it has goods.",
        ge=0,
        le=21,
    )
    farmer_sessions_per_week: int = param(
        2, "sessions/week", "assumed", "Sessions a streaming farmer runs.", ge=0, le=21
    )
    learning_rate: float = share(0.02, "assumed", "Skill gain per session toward aptitude (eta).")
    skill_decay: float = share(0.01, "assumed", "Weekly skill loss when idle.")
    stall_viewer_loss: float = share(
        0.5,
        "assumed",
        "Share of a stalled session's viewers who leave.",
    )
    demand_smoothing: float = share(0.3, "assumed", "Weight of the newest week in the forecast.")
    stock_buffer: float = param(
        0.1,
        "share",
        "assumed (ECONOMICS.md §A: b)",
        "Safety stock above forecast demand (b).",
        ge=0,
    )
    storable_stock_weeks: float = param(
        8.0,
        "weeks",
        "assumed",
        "Weeks of forecast demand kept in stock for storable goods.",
        gt=0,
    )
    initial_forecast_orders: float = param(
        20.0,
        "orders/week",
        "assumed",
        "A new anchor's first demand forecast.",
        ge=0,
    )
    brand_cost: float = param(
        5000.0, "yuan", "assumed", "Up-front cost of building a brand (design, packaging).", ge=0
    )
    brand_delay_weeks: int = param(
        13,
        "weeks",
        "assumed (ECONOMICS.md §A)",
        "Weeks over which a kept brand's equity E rises from 0 to 1.",
        ge=0,
    )
    brand_quality_sd_ref: float = param(
        0.2,
        "quality units",
        "assumed (paper §3.3: brand needs standard quality)",
        "Quality spread at which a brand's premium vanishes.",
        gt=0,
    )
    honesty_cost_median: float = param(
        0.5,
        "share of price",
        "assumed",
        "Median moral cost of selling a fake kg.",
        ge=0,
    )
    honesty_cost_spread: float = param(
        1.0, "log-sd", "assumed", "Spread of honesty costs across anchors.", ge=0
    )
    exaggeration_max: float = share(
        0.15,
        "assumed (ECONOMICS.md §A: e in {0, .05, .10, .15})",
        "Largest quality exaggeration an anchor may choose.",
    )
    # -- the anchor as a small firm (ECONOMICS.md §A; extension) ----------------------------------
    savings_weeks_median: float = param(
        8.0,
        "weeks of own urban wage",
        "assumed",
        "Median savings a returned migrant brings (S).",
        ge=0,
    )
    savings_log_sd: float = param(0.7, "log-sd", "assumed", "Spread of savings.", ge=0)
    savings_other: float = param(
        2000.0, "yuan", "assumed", "Savings of anyone who was not a migrant (S).", ge=0
    )
    credit_line_median: float = param(
        10000.0, "yuan", "assumed", "Median informal overdraft line (L).", ge=0
    )
    credit_line_log_sd: float = param(0.5, "log-sd", "assumed", "Spread of credit lines.", ge=0)
    guaranteed_loan_share: float = share(
        0.2,
        "assumed (PARAMETERS.md §9: eligibility known, take-up unknown)",
        "Share of youth with a guaranteed start-up loan.",
    )
    guaranteed_loan_yuan: float = param(
        50000.0,
        "yuan",
        "literature: PARAMETERS.md §9 (cap 200,000); assumed",
        "Size of a guaranteed start-up loan.",
        ge=0,
    )
    interest_informal: float = param(0.10, "1/year", "assumed", "Interest on informal debt.", ge=0)
    interest_guaranteed: float = param(
        0.035,
        "1/year",
        "literature: PARAMETERS.md §9; assumed",
        "Interest on a guaranteed loan.",
        ge=0,
    )
    guarantee_cover: float = share(
        0.8, "assumed", "Share of a defaulted guaranteed loan the government pays the lender."
    )
    drawings_share: float = share(
        0.25, "assumed", "Share of cash above the buffer the owner draws each week."
    )
    reserve_weeks: float = param(
        4.0, "weeks", "assumed", "Reserve kept for committed outflows (R, in weeks).", ge=0
    )
    liquidation_price_share: float = share(
        0.5, "assumed", "Share of the farm-gate price middlemen pay for a leaver's stock."
    )
    depreciation_weeks: int = param(
        104, "weeks", "assumed", "Weeks over which tools, brand and equipment depreciate.", ge=1
    )
    expectation_prior_weight: float = param(
        8.0, "weeks", "assumed", "n0: weight of the prior in the margin estimate M̂.", gt=0
    )
    expectation_gain_floor: float = share(
        0.05, "assumed", "Smallest weight of a new week in M̂ (decreasing gain, floored)."
    )
    public_margin_week: float = param(
        543.0,
        "yuan/week",
        "calibrated (calibration/REPORT.md of stop 15, with the literature stall and spoilage "
        "values: retention 23% and conversion under 30%, paper §3.1; prior 300-4,000 assumed; "
        "posterior 543 [357, 1,740], identified)",
        "What courses and media say a beginner earns a week (M_pub).",
        ge=0,
    )
    public_margin_weight: float = param(
        5.0, "anchors", "assumed", "Weight of M_pub against the peers in the prior.", ge=0
    )
    prior_belief_log_sd: float = param(
        0.3, "log-sd", "assumed", "Spread of beginners' beliefs about the prior (ε).", ge=0
    )
    peer_memory_weeks: int = param(
        26, "weeks", "assumed", "How long an exited anchor stays visible to peers.", ge=1
    )
    stay_review_weeks: float = param(
        4.0, "weeks", "assumed (Calvo 1983)", "Mean weeks between stay/leave reviews (R).", ge=1
    )
    horizon_weeks: int = param(
        52, "weeks", "assumed", "Horizon H of the value of streaming.", ge=1, le=520
    )
    discount_factor_week: float = param(
        0.999, "1/week", "assumed (≈5 %/year)", "δ, the weekly discount factor.", gt=0, le=1
    )
    present_bias_mean: float = share(
        0.7, "literature: Laibson 1997 and later estimates", "Mean present bias β."
    )
    present_bias_sd: float = param(
        0.15, "sd", "literature: Laibson 1997 and later estimates", "Spread of β.", ge=0
    )
    leave_cost_weeks: float = param(
        4.0, "weeks of outside option", "assumed", "C_leave: moving and job search.", ge=0
    )
    recognition_status: float = param(
        0.2,
        "share of outside option",
        "assumed (paper §3.1: 低认同-低投入-低产出)",
        "Status of a fully recognised profession (ς).",
        ge=0,
    )
    taste_scale: float = param(
        2270.0,
        "yuan/week",
        "calibrated (the refit with the taste in yuan, prior 50-2,500 assumed, where it sat near "
        "the upper edge; retention 23% and conversion under 30%, paper §3.1). Not identified in "
        "the stop-15 refit with the prior widened to 50-5,000 (posterior median 1,603 "
        "[1,075, 3,696], calibration/REPORT.md), which kept it",
        "Scale of the taste for the work (ν, yuan a week of active streaming; logistic).",
        ge=0,
    )
    start_cost: float = param(
        3000.0, "yuan", "assumed", "C_start: equipment and first stock.", ge=0
    )
    equipment_share_of_start: float = share(
        0.5, "assumed", "Share of C_start that is equipment (depreciated in F)."
    )
    # -- sourcing (ECONOMICS.md §A "Sourcing"; extension) ----------------------------------------
    reach_villages: int = param(
        3,
        "villages",
        "assumed (ECONOMICS.md §A)",
        "Nearest villages by road km (besides its own) where an anchor may buy goods.",
        ge=0,
    )
    sourcing_cost_per_kg_km: float = param(
        0.01,
        "yuan/(kg·km)",
        "assumed (ECONOMICS.md §A)",
        "An anchor's cost of buying a kg one road km away from its village (c_km).",
        ge=0,
    )
    bid_share_step: float = share(
        0.05,
        "assumed (ECONOMICS.md §A)",
        "Move of the bid share w at a price review (up after supply fell short of need).",
    )
    bid_share_min: float = share(
        0.1, "assumed (ECONOMICS.md §A)", "Lowest bid share w (farmers' share of the surplus)."
    )
    bid_share_max: float = share(
        0.9, "assumed (ECONOMICS.md §A)", "Highest bid share w (farmers' share of the surplus)."
    )
    # -- pricing, quantities, strategy (ECONOMICS.md §A; rules extension) ------------------------
    price_review_mean_weeks: float = param(
        4.0,
        "weeks",
        "assumed (Calvo 1983; ECONOMICS.md §A)",
        "Mean weeks between price reviews (R): reviewed each week with probability 1/R; "
        "exaggeration and tools are reviewed with the price.",
        ge=1,
    )
    strategy_review_mean_weeks: float = param(
        13.0,
        "weeks",
        "assumed (Calvo 1983; ECONOMICS.md §A)",
        "Mean weeks between strategy (brand or imitate) reviews (R).",
        ge=1,
    )
    review_window_weeks: int = param(
        4,
        "weeks",
        "assumed (ECONOMICS.md §A)",
        "Weeks of unfilled orders, unsold stock and peers' prices a price review reads.",
        ge=1,
        le=52,
    )
    refund_memory_weeks: int = param(
        8,
        "weeks",
        "assumed (ECONOMICS.md §A)",
        "Weeks of own refunds and sales behind the expected refund share r̂.",
        ge=1,
        le=52,
    )
    refund_prior_sales: float = param(
        2000.0,
        "yuan",
        "assumed",
        "Sales with which r̂ is shrunk toward the route's spoilage share (the prior's weight).",
        ge=0,
    )
    price_adjust_rate: float = share(
        0.25, "assumed (ECONOMICS.md §A)", "Share of the gap to p* closed by a price review."
    )
    price_signal_weight: float = param(
        0.2,
        "share of price per unit of g",
        "assumed (ECONOMICS.md §A)",
        "Price move per unit of the review signal g (unfilled minus unsold).",
        ge=0,
    )
    unfilled_target: float = share(
        0.05, "assumed (ECONOMICS.md §A)", "Unfilled-order share an anchor accepts."
    )
    price_signal_deadband: float = share(
        0.05, "assumed (ECONOMICS.md §A)", "Review signal |g| below which it is ignored."
    )
    cost_share_cap: float = param(
        0.95,
        "share",
        "assumed (keeps the cost floor finite)",
        "Largest share of sales an anchor expects to lose to fees, commission and refunds (φ).",
        ge=0.0,
        lt=1.0,
    )
    spoilage_share_cap: float = param(
        0.95,
        "share",
        "assumed (keeps the cost floor finite)",
        "Largest share of a bought kg an anchor expects to lose at origin (s).",
        ge=0.0,
        lt=1.0,
    )
    imitator_peer_weight: float = share(
        0.5, "assumed (ECONOMICS.md §A)", "Weight an imitator gives the going price p̄."
    )
    imitator_undercut: float = share(
        0.03,
        "assumed (paper §3.3: price war; ECONOMICS.md §A)",
        "An imitator's cut below p̄ when its own stock is left over (g < 0).",
    )
    price_step_max: float = share(
        0.05, "assumed (ECONOMICS.md §A)", "Largest price change at one review."
    )
    price_ceiling: float = param(
        1.5,
        "x city price",
        "assumed (ECONOMICS.md §A)",
        "Highest price, as a multiple of the city reference price.",
        ge=1,
    )
    brand_upkeep_week: float = param(
        50.0, "yuan/week", "assumed (ECONOMICS.md §A: U_b)", "Weekly upkeep of a brand.", ge=0
    )
    brand_equity_half_life_weeks: float = param(
        13.0,
        "weeks",
        "assumed (ECONOMICS.md §A)",
        "Half-life of a dropped brand's equity.",
        gt=0,
    )
    exaggeration_step: float = param(
        0.05,
        "quality units",
        "assumed (ECONOMICS.md §A)",
        "Spacing of the exaggeration levels an anchor chooses from.",
        gt=0,
    )


class ExternalAnchorBehaviour(Strict):
    """External anchors: city influencers with large followings (paper §3, traffic-grabbing)."""

    follower_share: float = share(
        0.02,
        "assumed",
        "Share of consumers following each external anchor at the start.",
    )
    follower_trust: float = share(
        0.7, "assumed", "Trust a city anchor's followers bring (a built audience trusts it)."
    )
    prior_margin_multiple: float = param(
        1.5,
        "x outside option",
        "ECONOMICS.md §A",
        "A city anchor's expected weekly gross margin before any result, as a multiple of its "
        "outside option (o_ext).",
        ge=0,
    )
    commission_rate: float = param(
        0.25,
        "share of sales",
        "literature: PARAMETERS.md §2 (20-30% for large anchors)",
        "Commission an external anchor keeps from each sale.",
        ge=0,
        le=1,
    )
    slot_fee_week: float = param(
        3000.0,
        "yuan/week",
        "literature: PARAMETERS.md §2 (5,000/show mid-tier); assumed",
        "Weekly slot fee charged to the suppliers of an external anchor.",
        ge=0,
    )
    bargaining_weight: float = share(
        0.1,
        "assumed",
        "Farmers' share of the surplus in a deal with an external anchor.",
    )
    sessions_per_week: int = param(
        3, "sessions/week", "assumed", "Sessions per week on county goods.", ge=0, le=21
    )
    skill: float = share(0.85, "assumed", "Skill of a professional city anchor.")
    markdown: float = share(
        0.3,
        "literature: PARAMETERS.md §2 (40% price discount deal)",
        "Price cut external anchors demand.",
    )
    honesty_cost_median: float = param(
        0.1, "share of price", "assumed", "Median moral cost of a fake kg.", ge=0
    )
    # -- city anchors as firms (ECONOMICS.md §A "City anchors"; extension) -----------------------
    outside_option_week: float = param(
        6000.0,
        "yuan/week",
        "assumed",
        "Median value of a city anchor's airtime on other goods (o_ext).",
        ge=0,
    )
    outside_option_log_sd: float = param(0.5, "log-sd", "assumed", "Spread of o_ext.", ge=0)
    equity: float = param(500000.0, "yuan", "assumed", "A city anchor's equity in cash.", ge=0)
    review_weeks: float = param(
        13.0, "weeks", "assumed (Calvo 1983)", "Mean weeks between a city anchor's reviews.", ge=1
    )
    entry_cost: float = param(
        20000.0, "yuan", "assumed", "C_ext: a city anchor's cost of taking up the county.", ge=0
    )
    entry_pool: float = param(
        1.0,
        "× scenario count",
        "assumed",
        "Potential entrants, as a multiple of the city anchors present at the start.",
        ge=0,
        le=10,
    )
    entry_evidence_weeks: int = param(
        13,
        "weeks",
        "assumed (ECONOMICS.md §A)",
        "Active weeks a city anchor needs before entrants read its M̂.",
        ge=1,
    )


class ConsumerBehaviour(Strict):
    """Consumer units in cities: attention, choice, trust, complaints (extension, MODEL.md §3)."""

    offers_per_week: int = param(
        6, "offers", "assumed", "Offers a unit sees per week (k).", ge=1, le=50
    )
    followed_offer_share: float = share(
        0.5,
        "assumed",
        "Largest share of the k offers filled by followed anchors.",
    )
    viewer_share: float = share(
        0.1,
        "assumed",
        "Share of a unit's people who watch a shown offer.",
    )
    base_utility: float = param(
        -6.3,
        "utils",
        "assumed (viewer-to-order conversion 1-3%, PARAMETERS.md §3)",
        "Utility of an offer at reference price and neutral quality, against the outside option.",
    )
    price_weight: float = param(
        3.0,
        "utils per relative markdown",
        "assumed",
        "Weight of the relative price cut.",
        ge=-20,
        le=20,
    )
    quality_weight: float = param(
        2.0,
        "utils per quality unit",
        "assumed",
        "Weight of advertised quality times trust.",
        ge=-20,
        le=20,
    )
    brand_weight: float = param(
        1.0, "utils", "assumed", "Weight of village brand trust.", ge=-20, le=20
    )
    follow_weight: float = param(
        0.8, "utils", "assumed", "Utility of following the anchor.", ge=-20, le=20
    )
    repeat_weight: float = param(
        2.0,
        "utils",
        "assumed",
        "Pull of a village whose goods the unit's people bought before, scaled by brand trust "
        "(2·trust − 1) and by the share of the unit who bought.",
        ge=-10,
        le=10,
    )
    skill_weight: float = param(
        1.5,
        "utils per skill unit",
        "assumed (paper §3.1: skills sell)",
        "Utility of the anchor's streaming skill (centred at 0.5).",
        ge=-20,
        le=20,
    )
    trust_initial: float = share(0.5, "assumed", "Trust in an anchor or brand never tried.")
    unfollowed_brand_weight: float = share(
        0.5,
        "assumed",
        "Weight of the village brand's trust in a unit's trust of an anchor it does not follow "
        "(the rest: trust_initial).",
    )
    trust_rate: float = share(
        0.2, "assumed (MODEL.md §8 lambda)", "Speed at which trust moves toward experience."
    )
    brand_trust_rate: float = share(0.05, "assumed", "Speed at which brand trust moves.")
    trust_gap_tolerance: float = param(
        0.05,
        "quality units",
        "assumed",
        "Shortfall of quality consumers shrug off.",
        ge=0,
    )
    complaint_gap: float = param(
        0.1,
        "quality units",
        "assumed",
        "Shortfall that counts as a problem.",
        ge=0,
    )
    complain_given_problem: float = share(
        0.136,
        "literature: China Consumers Association 2020 survey",
        "Share of buyers with a problem who complain to a regulator.",
    )
    refund_given_problem: float = share(
        0.3,
        "assumed",
        "Share of buyers with a problem who ask a refund.",
    )
    follow_after_buy: float = share(0.15, "assumed", "Chance a satisfied buyer follows.")
    follow_after_view: float = share(0.003, "assumed", "Chance a viewer follows.")
    unfollow_base: float = share(0.01, "assumed", "Weekly chance a follower drops off.")
    unfollow_distrust: float = share(
        0.5,
        "assumed",
        "Extra weekly unfollow chance per unit of trust below unfollow_trust_threshold.",
    )
    unfollow_trust_threshold: float = share(
        0.4,
        "assumed",
        "Trust in a followed anchor below which its followers start to drop off faster.",
    )
    follow_slots: int = param(
        8, "anchors", "assumed", "Most anchors a unit's people follow (array slots).", ge=1, le=64
    )


class PlatformConfig(Strict):
    """The platform: traffic allocation, fees, paid traffic (extension, MODEL.md §3)."""

    alpha: float = param(
        1.0,
        "exponent",
        "assumed (MODEL.md §3: α = 1 by default)",
        "Rich-get-richer exponent on followers.",
        ge=0,
        le=10,
    )
    gamma: float = param(1.0, "exponent", "assumed", "Exponent on recent conversion.", ge=0, le=10)
    conversion_prior_orders: float = param(
        1.0, "orders", "assumed (MODEL.md §3: a)", "Pseudo-orders so newcomers get traffic.", gt=0
    )
    conversion_prior_views: float = param(
        100.0, "views", "assumed (MODEL.md §3: b)", "Pseudo-views so newcomers get traffic.", gt=0
    )
    fee_fresh: float = param(
        0.006,
        "share of GMV",
        "literature: PARAMETERS.md §2 (Douyin fresh produce 0.6%)",
        "Platform fee on fresh produce.",
        ge=0,
        le=1,
    )
    fee_other: float = param(
        0.03,
        "share of GMV",
        "literature: PARAMETERS.md §2 (1-5%)",
        "Platform fee on other goods.",
        ge=0,
        le=1,
    )
    cpm_yuan: float = param(
        60.0,
        "yuan/1,000 views",
        "literature: PARAMETERS.md §3 (50-100 per 1,000 viewers)",
        "Price of paid traffic.",
        gt=0,
    )
    exploration_share: float = share(
        0.3,
        "assumed (platforms give new rooms a traffic pool; extension)",
        "Share of organic traffic spread evenly over the anchors streaming this week.",
    )
    paid_share_cap: float = share(
        0.3, "assumed", "Largest share of non-follower traffic that can be bought."
    )


class StreamingConfig(Strict):
    """Session stalls from bandwidth and power (paper §3.2; functional form MODEL.md §8)."""

    p_floor: float = share(0.02, "assumed", "Stall chance with unlimited bandwidth.")
    p_ceiling: float = share(0.6, "assumed", "Stall chance with no bandwidth.")
    b_scale_mbps: float = param(
        2.0,
        "Mbps (upload)",
        "literature: PARAMETERS.md §6 (vendor docs: a 1080p live stream is pushed at 0.5-4 "
        "Mbps of upload); the scale is a typical stream bitrate, the middle of that range - an "
        "uplink of one bitrate leaves e^-1 of the bandwidth stall risk. Not fitted: the paper's "
        "mountain stall rate is a held-back pattern (calibration/targets.yaml)",
        "Upload bandwidth scale over which stalls fade.",
        gt=0,
    )


class LogisticsConfig(Strict):
    """Hubs and roads: capacity, cold chain, spoilage, costs (paper §3.2, §4.2)."""

    hub_capacity_kg_week: float = param(
        60_000.0, "kg/week", "assumed", "Parcels a county hub handles per week.", ge=0
    )
    hub_cold_capacity_kg_week: float = param(
        200_000.0,
        "kg/week",
        "assumed (ample, so road service sets the cold share)",
        "Refrigerated capacity of a hub.",
        ge=0,
    )
    handling_yuan_per_kg: float = param(
        1.5,
        "yuan/kg",
        "literature: PARAMETERS.md §4 (parcel 5-15 yuan per 5 kg box)",
        "Hub handling and packing cost per kg.",
        ge=0,
    )
    cost_per_kg_km: float = param(0.002, "yuan/(kg km)", "assumed", "Trunk transport cost.", ge=0)
    rural_last_mile_multiplier: float = param(
        5.0,
        "x",
        "paper §3.2 (rural logistics density 1/5 of urban)",
        "Cost multiplier on village roads.",
        ge=1,
    )
    cold_cost_multiplier: float = param(
        1.5,
        "x",
        "literature: PARAMETERS.md §4 (1.3-1.6x, estimate)",
        "Cold-chain cost factor.",
        ge=1,
    )
    km_per_day: float = param(
        500.0,
        "km/day",
        "literature: PARAMETERS.md §4 (3 days by road)",
        "Road speed of parcels.",
        gt=0,
    )
    handling_days: float = param(
        1.0,
        "days",
        "literature: PARAMETERS.md §4 (+1 day first mile)",
        "Days at stations and hubs.",
        ge=0,
    )
    cold_temp_factor: float = param(
        0.133,
        "x",
        "literature: produce deteriorates 7.5x slower at 0 °C than at 20 °C (Saltveit, USDA "
        "Agriculture Handbook 66; Q10 3.0 over 0-10 °C, 2.5 over 10-20 °C): 1 / 7.5 for a chain "
        "held at 0 °C against an assumed 20 °C ambient. Not fitted: the paper's under 5 % loss "
        "on a cold chain is held back (calibration/targets.yaml)",
        "Spoilage speed on an end-to-end cold chain relative to ambient.",
        ge=0,
        le=1,
    )
    origin_cold_temp_factor: float = param(
        0.133,
        "x",
        "literature: as logistics.cold_temp_factor (a village cold store at 0 °C; Saltveit, "
        "USDA Agriculture Handbook 66)",
        "Spoilage speed in village cold storage.",
        ge=0,
        le=1,
    )


class RegulationConfig(Strict):
    """Regulators: inspections, detection, fines, suspensions (paper §4.3)."""

    inspections_per_week: int = param(
        3, "inspections/week", "assumed", "Inspection capacity of one regulator.", ge=0
    )
    p_detect_base: float = share(
        0.3, "assumed (MODEL.md §8)", "Chance an inspection uncovers an offence, by hand."
    )
    p_monitoring: float = share(0.0, "assumed", "Added detection from AI monitoring.")
    p_traceability: float = share(0.5, "assumed", "Added detection where goods are traceable.")
    fine_multiplier: float = param(
        3.0,
        "x gain",
        "assumed (fines scale with the gain; PARAMETERS.md §5)",
        "Fine as a multiple of the offence's gain.",
        ge=0,
    )
    min_fine: float = param(2000.0, "yuan", "assumed", "Smallest fine.", ge=0)
    exaggeration_limit: float = param(
        0.1,
        "quality units",
        "assumed",
        "Advertised-minus-true quality that counts as false advertising.",
        ge=0,
    )
    offences_to_suspend: int = param(
        2, "offences", "assumed", "Offences after which an anchor is suspended.", ge=1
    )
    suspensions_to_ban: int = param(
        3,
        "suspensions",
        "assumed (ECONOMICS.md §A)",
        "Suspensions after which the platform bans an anchor (exit reason banned).",
        ge=1,
    )
    suspension_weeks: int = param(8, "weeks", "assumed", "Length of a suspension.", ge=1)
    perceived_detection: float = share(
        0.1,
        "assumed",
        "Anchors' prior belief of being caught per week of cheating.",
    )
    belief_rate: float = share(
        0.05, "assumed", "Weekly update of that belief toward the share of cheaters caught."
    )
    caught_honesty_multiplier: float = param(
        1.5, "x", "assumed (extension)", "Honesty cost of a caught cheater afterwards.", ge=1
    )
    offence_gain_weeks: int = param(
        4,
        "weeks",
        "assumed",
        "Weeks of revenue an exaggeration's gain is counted over: the fine the regulator sets and "
        "the fine an anchor expects when it chooses how much to exaggerate.",
        ge=1,
    )
    caught_exaggeration_share: float = share(
        0.5,
        "assumed (extension)",
        "A caught anchor's exaggeration afterwards is at most this share of exaggeration_limit.",
    )


class ToolSpec(Strict):
    """A digital tool (paper §3.1, §3.2: 技术悬浮)."""

    complexity: float = share(0.5, "assumed", "Skill needed to use the tool.")
    price: float = param(2000.0, "yuan", "assumed", "Purchase price.", ge=0)
    upkeep_week: float = param(30.0, "yuan/week", "assumed", "Weekly upkeep, used or not.", ge=0)
    effort_week: float = param(
        50.0, "yuan/week", "assumed", "Weekly value of the effort using it takes.", ge=0
    )
    effect: Literal["conversion", "trust", "forecast", "sessions"] = "conversion"
    effect_size: float = param(0.2, "share", "assumed", "Effect at perfect fit.", ge=0)
    fit_fresh: float = share(0.5, "assumed", "Fit to fresh farm produce.")
    fit_other: float = share(0.6, "assumed", "Fit to other (processed, storable) goods.")


def _default_tools() -> dict[str, ToolSpec]:
    return {
        "ai_selection": ToolSpec(
            complexity=0.65,
            price=3000,
            upkeep_week=40,
            effort_week=60,
            effect="conversion",
            effect_size=0.25,
            fit_fresh=0.35,
            fit_other=0.5,
        ),
        "traceability": ToolSpec(
            complexity=0.45,
            price=2000,
            upkeep_week=30,
            effort_week=40,
            effect="trust",
            effect_size=0.1,
            fit_fresh=0.7,
            fit_other=0.8,
        ),
        "data_dashboard": ToolSpec(
            complexity=0.55,
            price=1500,
            upkeep_week=20,
            effort_week=40,
            effect="forecast",
            effect_size=0.5,
            fit_fresh=0.6,
            fit_other=0.6,
        ),
        "digital_human": ToolSpec(
            complexity=0.75,
            price=8000,
            upkeep_week=100,
            effort_week=80,
            effect="sessions",
            effect_size=0.5,
            fit_fresh=0.25,
            fit_other=0.35,
        ),
    }


class ToolMarket(Strict):
    """How tools are bought (paper §3.2: on perceived benefit within the available funds)."""

    catalogue: dict[str, ToolSpec] = Field(default_factory=_default_tools)
    perceived_fit: float = share(
        0.8,
        "assumed (tools are marketed as fitting everything)",
        "Fit buyers expect.",
    )
    overconfidence: float = param(
        1.3, "x", "assumed", "Buyers' overestimate of their benefit.", ge=0
    )
    peer_weight: float = param(
        1.0, "x", "assumed", "Extra perceived benefit when all peers hold the tool.", ge=0
    )
    service_center_support: float = share(
        0.2,
        "assumed (paper §4.2)",
        "Complexity removed by a village service center.",
    )
    effect_cap: float = share(
        0.9,
        "assumed",
        "Largest combined effect of an anchor's tools in use that share one effect kind.",
    )


class CourseSpec(Strict):
    """A training course type (paper §3.1)."""

    duration_weeks: int = param(
        1,
        "weeks",
        "paper §3.1 (3-day crash course); standard 6 weeks assumed",
        "Course length.",
        ge=1,
    )
    skill_gain: float = share(
        0.1, "assumed", "Skill gain factor: skill += gain*aptitude*(1-skill)."
    )
    cost_per_seat: float = param(
        1680.0,
        "yuan/seat",
        "literature: PARAMETERS.md §7 (private courses from 1,680 yuan; standard 6,000 derived "
        "from 18.5M yuan per 3,000 trainees in demonstration counties)",
        "Cost of a seat.",
        ge=0,
    )
    every_weeks: int = param(4, "weeks", "assumed", "How often a course starts.", ge=1)


class TrainingConfig(Strict):
    """Status-quo training that runs in every scenario (paper §3.1)."""

    seats_per_year: int = param(
        60, "seats/yr", "assumed", "Training seats offered a year.", ge=0, le=1_000_000
    )
    crash_share: float = share(
        0.7,
        "assumed (paper §3.1: market crash courses dominate)",
        "Share of seats in 3-day crash courses.",
    )
    crash: CourseSpec = Field(
        default_factory=lambda: CourseSpec(
            duration_weeks=1, skill_gain=0.1, cost_per_seat=1680, every_weeks=4
        )
    )
    standard: CourseSpec = Field(
        default_factory=lambda: CourseSpec(
            duration_weeks=6, skill_gain=0.45, cost_per_seat=6000, every_weeks=13
        )
    )
    announce_weeks: int = param(
        4,
        "weeks",
        "assumed (ECONOMICS.md §B)",
        "How long before it starts a course is announced to migrants.",
        ge=0,
        le=52,
    )
    announce_factor: float = param(
        3.0,
        "migrants/seat",
        "assumed (ECONOMICS.md §B)",
        "Migrants a course is announced to, per seat that applicants at home leave open.",
        ge=0,
    )
    farm_members: bool = param(
        False,
        "bool",
        "assumed (ECONOMICS.md §B; paper §4.1: training for villagers too)",
        "Whether younger members of farm households take seats left empty (one per household).",
    )


class MetricsConfig(Strict):
    """Indicator options."""

    burn_in_weeks: int = param(
        13, "weeks", "assumed (MODEL.md §1)", "Weeks left out of whole-run indicator values.", ge=0
    )
    conversion_window_weeks: int = param(
        12, "weeks", "INTERFACE.md", "Window for training conversion.", ge=1
    )
    retention_weeks: int = param(
        52,
        "weeks",
        "INTERFACE.md (Longnan 2021: a year later)",
        "Horizon of anchor retention.",
        ge=1,
    )
    micro_seller_threshold_yuan: float = param(
        500_000.0,
        "yuan/yr",
        "paper §3.1 (individual businesses under 500,000 yuan)",
        "Revenue line of a micro seller.",
        ge=0,
    )


class LivestreamConfig(Strict):
    """Switch for the counterfactual world without live streaming (paper §2.3)."""

    enabled: bool = param(
        True, "bool", "paper §2.3", "Whether live streaming exists; off = middlemen only."
    )


class Scenario(Strict):
    """Everything a run needs. Built from a YAML file by :func:`village_sim.load_scenario`."""

    name: str = "scenario"
    description: str = ""
    steps: int = param(156, "weeks", "MODEL.md §1 (3 years)", "Length of a run.", ge=1, le=5200)
    world: WorldConfig = Field(default_factory=WorldConfig)
    products: dict[str, ProductSpec] = Field(default_factory=_default_products)
    population: Populations = Field(default_factory=Populations)
    farmers: FarmerBehaviour = Field(default_factory=FarmerBehaviour)
    youth: YouthBehaviour = Field(default_factory=YouthBehaviour)
    anchors: AnchorBehaviour = Field(default_factory=AnchorBehaviour)
    external_anchors: ExternalAnchorBehaviour = Field(default_factory=ExternalAnchorBehaviour)
    consumers: ConsumerBehaviour = Field(default_factory=ConsumerBehaviour)
    platform: PlatformConfig = Field(default_factory=PlatformConfig)
    streaming: StreamingConfig = Field(default_factory=StreamingConfig)
    logistics: LogisticsConfig = Field(default_factory=LogisticsConfig)
    regulation: RegulationConfig = Field(default_factory=RegulationConfig)
    tools: ToolMarket = Field(default_factory=ToolMarket)
    training: TrainingConfig = Field(default_factory=TrainingConfig)
    metrics: MetricsConfig = Field(default_factory=MetricsConfig)
    livestream: LivestreamConfig = Field(default_factory=LivestreamConfig)
    policies: list[Policy] = Field(default_factory=list)

    def __iter__(self):  # type: ignore[override]  # noqa: ANN204
        """A scenario is one value, not a sequence of its fields.

        Mesa's ``batch_run`` takes any iterable parameter as a list of values to sweep; a
        scenario must reach the model whole. Its fields: :meth:`model_dump`.

        Raises:
            TypeError: Always.
        """
        raise TypeError("a Scenario is one value, not iterable; its fields: scenario.model_dump()")

    def idle_policies(self) -> list[str]:
        """Notes on policies that never act in the run: they start at or after its last week.

        Not an error (``--steps`` makes short test runs of policy scenarios), but worth saying:
        such a policy spends nothing and changes nothing.
        """
        return [
            f"policy '{p.name}' starts at week {p.start_week}, but the run has {self.steps} "
            f"weeks (0 to {self.steps - 1}): it never acts"
            for p in self.policies
            if p.start_week >= self.steps
        ]

    @model_validator(mode="after")
    def _cross_checks(self) -> Scenario:
        if not self.products:
            raise ValueError("at least one product is needed")
        for terrain, names in self.world.county.products_by_terrain.items():
            unknown = [n for n in names if n not in self.products]
            if unknown:
                raise ValueError(
                    f"world.county.products_by_terrain.{terrain}: unknown product(s) "
                    f"{', '.join(unknown)}; known: {', '.join(self.products)}"
                )
        for node in self.world.nodes:
            unknown = [n for n in (node.products or []) if n not in self.products]
            if unknown:
                raise ValueError(
                    f"world.nodes: node {node.id} has unknown product(s) {', '.join(unknown)}"
                )
        names = [p.name for p in self.policies]
        dupes = sorted(n for n, k in Counter(names).items() if k > 1)
        if dupes:
            raise ValueError(f"policies: names must be unique; repeated: {', '.join(dupes)}")
        for policy in self.policies:
            handout = getattr(policy.measures, "tool_handout", None)
            unknown = [
                t for t in (handout.tools if handout else []) if t not in self.tools.catalogue
            ]
            if unknown:
                raise ValueError(
                    f"policies.{policy.name}.measures.tool_handout.tools: unknown tool(s) "
                    f"{', '.join(unknown)}; known: {', '.join(self.tools.catalogue)}"
                )
        return self
