"""VillageMarket: the Mesa model of a county's village markets under live streaming.

``VillageMarket.step`` is one week and reads as the paper's chain of cause and effect (MODEL.md,
ARCHITECTURE.md). Each stage is one call into the module its name says; what a stage of the market
produces is a small record handed to the next stage (sellers → offers → choices → orders →
deliveries). This module holds construction, the registries (anchors, youth) and ``step`` only.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any

import mesa
from mesa.discrete_space import Network

from village_sim.agents.anchor import Anchor
from village_sim.agents.beliefs import Beliefs
from village_sim.agents.city import CityEntrants
from village_sim.agents.consumers import ConsumerPopulation
from village_sim.agents.farmer import Farmer, FarmerPopulation
from village_sim.agents.hub import LogisticsHub
from village_sim.agents.regulator import InspectionQueue, Regulator
from village_sim.agents.tools import PeerAdoption
from village_sim.agents.training import TrainingProgram
from village_sim.agents.valuation import Valuation
from village_sim.agents.youth import Youth, YouthRoster, decide_all
from village_sim.governance.policies import Governance
from village_sim.malloc import keep_freed_memory
from village_sim.market.books import Books
from village_sim.market.contracts import Contracts
from village_sim.market.finance import Finance
from village_sim.market.logistics import Deliveries, Logistics
from village_sim.market.orders import Orders
from village_sim.market.platform import Platform
from village_sim.market.sessions import Market, Sellers
from village_sim.market.sourcing import Sourcing
from village_sim.metrics.indicators import REPORTERS
from village_sim.metrics.reporters import YOUTH_REPORTERS
from village_sim.randomness import child_stream, resolve_seed
from village_sim.scenario.load import resolve_scenario
from village_sim.scenario.schema import Scenario
from village_sim.world.graph import build_graph, build_world
from village_sim.world.products import Products
from village_sim.world.weather import Weather

STREAMS = (
    "world",
    "farmers",
    "weather",
    "youth",
    "anchors",
    "contracts",
    "platform",
    "sessions",
    "stalls",
    "consumers",
    "logistics",
    "regulators",
    "training",
    "governance",
)
"""One NumPy random stream per mechanism (MODEL.md §1)."""


@dataclass
class WeekRecords:
    """What the market stages of the last week handed on that metrics and the browser read.

    The week's offers and choices — arrays over every consumer unit — are not kept: a province's
    are tens of megabytes, and nothing reads them after the week.
    """

    sellers: Sellers | None = None
    orders: Orders | None = None
    deliveries: Deliveries | None = None


class VillageMarket(mesa.Model):
    """The village market model.

    Built as Mesa models are (so that ``mesa.batch_run`` and ``SolaraViz`` can drive it):
    ``VillageMarket()`` is the baseline county with a fresh seed; ``running`` turns false after
    the scenario's ``steps`` weeks.

    Args:
        scenario: A validated :class:`~village_sim.scenario.schema.Scenario`, the path of a
            scenario file, or ``None`` for the defaults (the baseline county).
        seed: The run seed; every random draw derives from it. ``None`` (with no ``rng``) draws
            one from fresh entropy; it is kept as ``self.seed`` (and in the run manifest).
        rng: Mesa's alternative to ``seed``: an integer, a NumPy ``Generator`` or
            ``SeedSequence`` (the run seed is drawn from it).
        **fields: Scenario fields, ``__`` for a dot: ``training__seats_per_year=200``.

    Raises:
        ScenarioError: An unknown field or an invalid value (naming the field path).
        ValueError: Both ``seed`` and ``rng``, or a seed that is not a non-negative integer.
    """

    def __init__(
        self,
        scenario: Scenario | str | os.PathLike | None = None,
        seed: int | None = None,
        *,
        rng: Any = None,
        **fields: Any,
    ) -> None:
        keep_freed_memory()  # weekly temporaries stay with the process (speed only; see malloc.py)
        config = resolve_scenario(scenario, fields)
        run_seed = resolve_seed(seed, rng)
        super().__init__(rng=run_seed)
        self.config = config
        self.seed = run_seed
        self.running = config.steps > 0
        self.week = 0
        self.streams = {name: child_stream(self.seed, name) for name in STREAMS}
        self.products = Products(config.products)
        graph = build_graph(config, seed=self.streams["world"])
        self.world = build_world(config, graph, self.products.index())
        self.grid = Network(graph, random=self.random, layout=None)
        self.weather = Weather(config.world, self.world.n_villages, self.streams["weather"])
        self.last_week = WeekRecords()

        # Registries: every anchor ever created (by index) and the county's young people.
        self.anchor_list: list[Anchor] = []
        self.youth_roster = YouthRoster()
        self.tool_adoption = PeerAdoption()

        self.books = Books(self, self.world.n_villages, len(self.products))
        self.money, self.goods = self.books.money, self.books.goods
        self.governance = Governance(self)
        self.beliefs = Beliefs(config)
        self.valuation = Valuation(self)
        self.farmers = FarmerPopulation(self, first_person_id=0)
        self.books.open_households(self.farmers.n)
        self.farmers.stock_from_last_season()
        for i in range(self.farmers.n):
            Farmer(self, i)
        self._create_youth(first_person=self.farmers.n)
        self.consumers = ConsumerPopulation(self)
        self.contracts = Contracts(self)
        self.sourcing = Sourcing(self)
        self.platform = Platform(self)
        self.market = Market(self)
        self.logistics = Logistics(self)
        self.training = TrainingProgram(self)
        self.finance = Finance(self)
        self.hubs = [LogisticsHub(self, i) for i in range(len(self.world.hub_nodes))]
        self.money.open_group("hubs", len(self.hubs) + 1)
        self.inspections = InspectionQueue()
        for i in range(config.population.regulators):
            Regulator(self, i)
        if config.livestream.enabled:
            self._create_external_anchors(self.farmers.n + config.population.youth)
        pop = config.population
        self._next_person_id = pop.farmer_households + pop.youth + pop.external_anchors
        self.city_entrants = CityEntrants(self)
        self.initial_agent_counts = self.agent_counts()
        self.books.mark_opening()
        self.datacollector = mesa.DataCollector(model_reporters={**REPORTERS, **YOUTH_REPORTERS})

    # -- the week ----------------------------------------------------------------------------------
    def step(self) -> None:
        """One week, in the order of the paper's causal chain."""
        self.books.open_week()  # tallies at zero, opening stock per village
        self.weather.draw()  # yield and quality shocks
        self.market.open_week()  # last week's best-earning peers (imitators copy them)
        self.logistics.open_week()  # room in cold storage at origin
        self.governance.apply(self.week)  # policies start, stop, spend
        self.farmers.harvest(self.week)  # seasonal harvest into household stores
        self.training.step()  # courses end and start
        decide_all(self.youth, self)  # return, apply, start streaming, leave
        self.farmers.start_streaming()  # literate, connected households may stream
        self.anchors.shuffle_do("plan_week")  # product, strategy, price; post what they need
        self.sourcing.clear()  # purchases, highest offer first; imports; traffic, tools, sessions
        self.farmers.sell_to_middlemen(self.week)  # what anchors did not take
        sellers = self.market.open_sessions()  # who streams; stalls (bandwidth, power)
        offers = self.platform.allocate(sellers)  # attention: organic and paid traffic
        choices = self.consumers.choose(sellers, offers)  # logit: viewers, buyers, follows
        orders = self.market.fill_orders(sellers, offers, choices)  # rationing, payment, fees
        self.consumers.remember(orders)  # who bought which village's goods
        deliveries = self.logistics.ship(orders)  # hubs, cold chain, spoilage in transit
        self.consumers.receive(deliveries)  # complaints, refunds, trust, follows
        self.logistics.store_at_origin()  # unsold stock waits and spoils at origin
        self.farmers.spoil_in_store()  # storable produce waits in households' stores
        self.consumers.unfollow()  # distrust and churn
        self.regulators.shuffle_do("inspect")  # inspections, fines, suspensions
        self.finance.charge_interest()  # interest on overdrafts, to the lender
        self.books.close_week(orders)  # each anchor's week: revenue, gross margin, profit
        self.finance.settle_owners()  # insolvent anchors exit; owners draw from the rest
        self.anchors.shuffle_do("stay_or_leave")  # learning by doing; streaming vs outside option
        self.city_entrants.step()  # city anchors take up the county when it pays
        self.valuation.update_peers(self.anchor_list, self.week)  # what beginners expect
        self.beliefs.update(  # recognition, expected rural income, detection
            self.anchor_list, self.valuation, self.week_stats["fake_detections"]
        )
        self.books.settle(self.week)  # the books must balance
        self.last_week = WeekRecords(sellers, orders, deliveries)
        self.datacollector.collect(self)
        self.week += 1
        self.running = self.week < self.config.steps

    # -- construction ------------------------------------------------------------------------------
    def _create_youth(self, first_person: int) -> None:
        pop = self.config.population
        rng = self.streams["youth"]
        self.money.open_group("youth", pop.youth)
        for i in range(pop.youth):
            Youth(
                self,
                first_person + i,
                int(rng.integers(self.world.n_villages)),
                at_home=bool(rng.random() < pop.youth_at_home_share),
            )

    def _create_external_anchors(self, first_person: int) -> None:
        cfg = self.config.external_anchors
        rng = self.streams["anchors"]
        n_v = self.world.n_villages
        anchors = [
            Anchor(self, "external", first_person + i, int(rng.integers(n_v)), cfg.skill, cfg.skill)
            for i in range(self.config.population.external_anchors)
        ]
        if anchors:
            self.consumers.seed_followers(
                [a.index for a in anchors], cfg.follower_share, cfg.follower_trust
            )

    # -- registries --------------------------------------------------------------------------------
    def register_anchor(self, anchor: Anchor) -> int:
        """Give a new anchor its index and open its accounts."""
        index = len(self.anchor_list)
        self.anchor_list.append(anchor)
        self.books.open_anchor(index)
        self.tool_adoption.joined()
        return index

    def new_person_id(self) -> int:
        """A ``person_id`` nobody holds yet, for a person who joins during the run (MODEL.md §1)."""
        person_id = self._next_person_id
        self._next_person_id += 1
        return person_id

    @property
    def anchor_count(self) -> int:
        """Anchors ever created (their indices run 0..count-1)."""
        return len(self.anchor_list)

    @property
    def anchors(self) -> mesa.agent.AgentSet:
        """Anchors still registered with Mesa (exited ones are removed)."""
        return self.agents_by_type.get(Anchor, mesa.agent.AgentSet([], random=self.random))

    @property
    def youth(self) -> mesa.agent.AgentSet:
        """The county's youth."""
        return self.agents_by_type.get(Youth, mesa.agent.AgentSet([], random=self.random))

    @property
    def regulators(self) -> mesa.agent.AgentSet:
        """Market regulators."""
        return self.agents_by_type.get(Regulator, mesa.agent.AgentSet([], random=self.random))

    @property
    def week_stats(self) -> dict[str, float]:
        """This week's tallies (:attr:`Books.tally`)."""
        return self.books.tally

    def agent_counts(self) -> dict[str, int]:
        """Simulated individuals by class (a consumer unit counts once)."""
        counts = {cls.__name__: len(agents) for cls, agents in self.agents_by_type.items()}
        counts["ConsumerUnit"] = self.consumers.n
        counts["total"] = sum(counts.values())
        return counts
