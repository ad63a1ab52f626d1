"""VillageMarket: the Mesa model of a county's village markets under live streaming.

``VillageMarket.step`` is one week and reads as the paper's chain of cause and effect (MODEL.md,
ARCHITECTURE.md): policies act; farms harvest; training runs; youth return, train and start
streaming; anchors plan (product, strategy, price, sourcing, paid traffic, tools); middlemen take the
rest; the platform allocates attention and sessions run (stalls, choice, orders); hubs ship
(capacity, cold chain, spoilage, delivery, complaints); stock waits at origin; regulators inspect;
anchors learn or quit; beliefs update; the books close and must balance.
"""

from __future__ import annotations

import os
from collections import defaultdict
from typing import Any

import mesa
import numpy as np
import pandas as pd
from mesa.discrete_space import Network

from village_sim.agents.anchor import Anchor
from village_sim.agents.consumers import ConsumerPopulation
from village_sim.agents.farmer import NO_ANCHOR, Farmer, FarmerPopulation
from village_sim.agents.hub import LogisticsHub
from village_sim.agents.regulator import Regulator
from village_sim.agents.training import TrainingProgram
from village_sim.agents.youth import Youth
from village_sim.governance.policies import Governance
from village_sim.malloc import keep_freed_memory
from village_sim.market.ledger import FEN_PER_YUAN, Ledger, VillageGoodsBook
from village_sim.market.logistics import Logistics
from village_sim.market.sessions import Market
from village_sim.metrics.indicators import COUNTERS, REPORTERS
from village_sim.randomness import child_stream, resolve_seed
from village_sim.scenario.load import resolve_scenario
from village_sim.scenario.schema import Scenario
from village_sim.world.graph import build_graph, build_world

MONEY_GROUPS = (
    "contractors",
    "consumers",
    "middlemen",
    "suppliers",
    "vendors",
    "platform",
    "government",
    "government_budget",
    "training_providers",
)
GOODS_GROUPS = ("consumers", "imports", "spoiled_transit", "written_off")


class Weather:
    """Weekly village weather: a shock to yield (log-normal) and to quality (extension)."""

    def __init__(self, model: VillageMarket) -> None:
        self.model = model
        self.rng = model.streams["weather"]
        n = model.world.n_villages
        self.yield_factor = np.ones(n)
        self.quality_shift = np.zeros(n)

    def draw(self) -> None:
        """Draw this week's shocks."""
        cfg = self.model.config.world
        n = self.model.world.n_villages
        sd = cfg.weather_yield_sd
        self.yield_factor = self.rng.lognormal(-0.5 * sd**2, sd, n)
        self.quality_shift = self.rng.normal(0.0, cfg.weather_quality_sd, n)


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
        self.streams = {
            name: child_stream(self.seed, name)
            for name in (
                "world",
                "farmers",
                "weather",
                "youth",
                "anchors",
                "contracts",
                "platform",
                "sessions",
                "consumers",
                "logistics",
                "regulators",
                "training",
                "governance",
            )
        }
        self.products = list(config.products.values())
        self.product_names = list(config.products)
        self._product_arrays: dict[str, np.ndarray] = {}
        graph = build_graph(config, seed=self.streams["world"])
        self.world = build_world(config, graph, {n: i for i, n in enumerate(self.product_names)})
        self.grid = Network(graph, random=self.random, layout=None)
        self.village_product_mask = np.zeros((self.world.n_villages, len(self.products)), bool)
        for v, products in enumerate(self.world.village_products):
            self.village_product_mask[v, products] = True
        self.livestream_enabled = config.livestream.enabled
        self.standard_factor = np.ones(self.world.n_villages)
        self.weather = Weather(self)
        self.week_stats: defaultdict[str, float] = defaultdict(float)
        self.stats_history: list[dict[str, float]] = []
        self.village_stats = {
            k: np.zeros(self.world.n_villages)
            for k in (
                "sessions",
                "stalled",
                "fresh_shipped_kg",
                "fresh_spoiled_kg",
                "gmv_yuan",
                "farmer_live_yuan",
            )
        }
        self.anchor_list: list[Anchor] = []
        self.anchor_changes = 0  # counts exits and tool acquisitions (for cached peer shares)
        self._open_books()
        self.governance = Governance(self)
        self.refresh_costs()
        self._update_amenities()
        self.recognition = config.youth.recognition_initial
        self.expected_rural_income = config.youth.rural_income_week
        self.detection_belief = config.regulation.perceived_detection

        self.farmers = FarmerPopulation(self, first_person_id=0)
        self._open_farmer_accounts()
        self.farmers.stock_from_last_season()
        for i in range(self.farmers.n):
            Farmer(self, i)
        next_person = self.farmers.n
        youth_rng = self.streams["youth"]
        pop = config.population
        self.youth_count = 0
        self.money.open_group("youth", pop.youth)
        for i in range(pop.youth):
            Youth(
                self,
                next_person + i,
                int(youth_rng.integers(self.world.n_villages)),
                at_home=bool(youth_rng.random() < pop.youth_at_home_share),
            )
        next_person += pop.youth
        self.consumers = ConsumerPopulation(self)
        self.market = Market(self)
        self.logistics = Logistics(self)
        self.training = TrainingProgram(self)
        self.hubs = [LogisticsHub(self, i) for i in range(len(self.world.hub_nodes))]
        self.money.open_group("hubs", len(self.hubs) + 1)
        for i in range(pop.regulators):
            Regulator(self, i)
        if self.livestream_enabled:
            self._create_external_anchors(next_person)
        self.initial_agent_counts = self.agent_counts()
        self.money.opening_total = self.money.total()
        self.goods.opening_total = self.goods.total()
        self.datacollector = mesa.DataCollector(model_reporters=dict(REPORTERS))

    # -- construction ------------------------------------------------------------------------------
    def _open_books(self) -> None:
        n_v = self.world.n_villages
        self.money = Ledger("fen", tracked=("farmers", "anchors"))
        for group in MONEY_GROUPS:
            self.money.open_group(group, 1)
        self.money.open_group("anchors", 16)
        self.goods = Ledger("g")
        for group in GOODS_GROUPS:
            self.goods.open_group(group, 1)
        for group in ("nature", "middlemen", "spoiled_origin"):
            self.goods.open_group(group, n_v)
        n_p = len(self.products)
        self.goods.open_group("anchor_stock", 16 * n_p)
        self.goods.open_group("anchor_import", 16 * n_p)
        self.goods.open_group("in_transit", 0)
        self.village_goods = VillageGoodsBook(n_v)

    def _open_farmer_accounts(self) -> None:
        self.money.open_group("farmers", self.farmers.n)
        self.goods.open_group("farm_store", self.farmers.n)

    def _create_external_anchors(self, first_person: int) -> None:
        cfg = self.config.external_anchors
        rng = self.streams["anchors"]
        n_v = self.world.n_villages
        anchors = [
            Anchor(self, "external", first_person + i, int(rng.integers(n_v)), cfg.skill, cfg.skill)
            for i in range(self.config.population.external_anchors)
        ]
        if anchors:
            self.consumers.seed_followers([a.index for a in anchors], cfg.follower_share, 0.7)

    def agent_counts(self) -> dict[str, int]:
        """Simulated individuals by class (a consumer unit counts once)."""
        counts = {cls.__name__: len(agents) for cls, agents in self.agents_by_type.items()}
        counts["ConsumerUnit"] = self.consumers.n
        counts["total"] = sum(counts.values())
        return counts

    def register_anchor(self, anchor: Anchor) -> int:
        """Give a new anchor its index and open its accounts."""
        index = len(self.anchor_list)
        self.anchor_list.append(anchor)
        n_p = len(self.products)
        self.money.ensure_size("anchors", index + 1)
        self.goods.ensure_size("anchor_stock", (index + 1) * n_p)
        self.goods.ensure_size("anchor_import", (index + 1) * n_p)
        return index

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

    # -- shared quantities -----------------------------------------------------------------------------
    def product_array(self, field: str) -> np.ndarray:
        """A product attribute as an array indexed by product."""
        if field not in self._product_arrays:
            self._product_arrays[field] = np.array(
                [getattr(p, field) for p in self.products], dtype=float
            )
        return self._product_arrays[field]

    def route_cost(self) -> np.ndarray:
        """Ambient shipping cost per kg village → city; shared delivery lowers the last mile."""
        keep = self.governance.levers.last_mile_factor
        if keep >= 1.0:
            return self.world.route_cost
        return self.world.route_cost - (1 - keep) * self.world.route_first_mile_cost

    def refresh_costs(self) -> None:
        """Recompute the expected shipping cost per kg from each village (city-weighted mean).

        Called at construction and whenever a policy changes route costs.
        """
        w = self.world.city_weight / self.world.city_weight.sum()
        self.ship_cost_village = self.route_cost() @ w

    def power_reliability(self) -> np.ndarray:
        """Share of hours with power per village."""
        return self.world.power_reliability

    def amenity(self, village: int) -> float:
        """Village amenities in [0, 1]: connectivity and an e-commerce service center."""
        return float(self._amenity[village])

    @property
    def amenities(self) -> np.ndarray:
        """Amenities of every village (see :meth:`amenity`)."""
        return self._amenity

    def _update_amenities(self) -> None:
        world = self.world
        centers = world.service_center.copy()
        for v in self.governance.levers.service_center_villages:
            centers[v] = True
        self._amenity = 0.5 * world.internet_share + 0.5 * centers

    def tool_support(self, village: int) -> float:
        """Complexity removed by the village's service center (paper §4.2)."""
        center = self.world.service_center[village] or self.governance.service_center(village)
        return self.config.tools.service_center_support if center else 0.0

    def traceability(self, anchor: Anchor) -> bool:
        """Whether the anchor's village runs a traceability system."""
        return self.governance.traceability(anchor.base_village)

    def brand_quality_factor(self, village: int, product: int) -> float:
        """Share of a brand's premium the village's goods earn (paper §3.3, §4.3).

        Standard quality allows a brand (the spread must be below ``brand_quality_sd_ref``); a
        village public brand ("one village one product") adds to the premium.
        """
        sd = self.products[product].quality_sd * self.standard_factor[village]
        standard = max(0.0, 1.0 - sd / self.config.anchors.brand_quality_sd_ref)
        return standard * (1 + self.governance.brand_boost(village))

    def perceived_detection(self, anchor: Anchor) -> float:
        """An anchor's belief of being caught cheating, higher when its goods are traceable."""
        cfg = self.config.regulation
        traceable = "traceability" in anchor.tools and anchor.tools["traceability"].in_use
        if traceable or self.traceability(anchor):
            return 1 - (1 - self.detection_belief) * (1 - cfg.p_traceability)
        return self.detection_belief

    def has_premises(self, village: int) -> bool:
        """Whether the village still has a site fit for a streaming base."""
        cap = self.world.premises[village]
        if cap < 0:
            return True
        local = sum(
            1 for a in self.anchor_list if a.is_local and not a.exited and a.base_village == village
        )
        return local < cap

    def cold_storage_share(self, village: int) -> float:
        """Share of stock at origin that fits in the village's cold storage (while powered)."""
        return self._cold_share[village]

    def _update_cold_share(self) -> None:
        n_v = self.world.n_villages
        n_p = len(self.products)
        fresh = self.product_array("fresh").astype(bool)
        held = np.zeros(n_v)
        active = [a for a in self.anchor_list if not a.exited]
        if active:
            goods = self.goods.balances
            n = self.anchor_count
            stock = (goods["anchor_stock"][: n * n_p] + goods["anchor_import"][: n * n_p]).reshape(
                n, n_p
            )
            index = np.array([a.index for a in active], dtype=np.int64)
            village = np.array([a.base_village for a in active], dtype=np.int64)
            # Integer grams per anchor, then kg added village by village in anchor order.
            np.add.at(held, village, stock[index][:, fresh].sum(axis=1) / 1000)
        cap = self.world.cold_storage_kg
        share = np.where(held > 0, np.minimum(1.0, cap / np.maximum(held, 1e-9)), 1.0)
        self._cold_share = share * self.power_reliability()

    # -- the week ----------------------------------------------------------------------------------------
    def step(self) -> None:
        """One week, in the order of the paper's causal chain."""
        self.start_week()  # books open; weather drawn
        self.governance.apply(self.week)  # policies start, stop, spend
        self._update_amenities()
        self.farmers.harvest(self.week)  # seasonal harvest into household stores
        self.training.step()  # courses end and start
        self.youth.shuffle_do("decide")  # return, apply, start streaming, leave
        self.farmers_start_streaming()  # literate, connected farmers may stream
        self.anchors.shuffle_do("plan_week")  # product, strategy, price, sourcing, traffic, tools
        self.farmers.sell_to_middlemen(self.week)  # what anchors did not take
        self.market.run_sessions()  # traffic, stalls, choice, orders, payment
        self.logistics.ship()  # hubs, cold chain, spoilage, delivery, complaints
        self.logistics.store_at_origin()  # unsold stock waits and spoils at origin
        self.farmers.spoil_in_store()
        self.consumers.unfollow()  # distrust and churn
        self.regulators.shuffle_do("inspect")  # inspections, fines, suspensions
        self.close_accounts()  # each anchor's week: revenue, income
        self.anchors.shuffle_do("learn_or_exit")  # learning by doing; exit on low income
        self.update_beliefs()  # recognition, expected income, detection
        self.settle()  # the books must balance
        self.datacollector.collect(self)
        self.week += 1
        self.running = self.week < self.config.steps

    def start_week(self) -> None:
        """Open the week: clear tallies, record opening stocks, draw the weather."""
        self.week_stats = defaultdict(float, dict.fromkeys(COUNTERS, 0.0))
        self.money.start_week()
        self.goods.start_week()
        self.village_goods.start_week(self.stock_by_village())
        self.weather.draw()
        self.market.start_week()
        self._update_cold_share()
        for a in self.anchor_list:
            a.cogs_week = 0.0
            a.shipping_week = 0.0
            a.complaints_week = 0

    def farmers_start_streaming(self) -> None:
        """Literate, connected households may start their own stream (paper §3.1)."""
        if not self.livestream_enabled:
            return
        pop = self.farmers
        cfg = self.config.farmers
        eligible = (
            pop.connected
            & (pop.literacy >= cfg.literacy_to_stream)
            & (pop.stream_anchor == NO_ANCHOR)
        )
        draws = self.streams["farmers"].random(pop.n)
        p = cfg.stream_start_hazard * self.recognition
        starters = np.flatnonzero(eligible & (draws < p))
        for i in starters:
            if not self.has_premises(int(pop.village[i])):
                continue
            skill = float(pop.literacy[i]) * 0.6
            anchor = Anchor(
                self,
                "farmer",
                int(pop.person_id[i]),
                int(pop.village[i]),
                skill,
                float(pop.literacy[i]),
            )
            anchor.own_product = anchor.product = int(pop.product[i])
            anchor.farmer_index = int(i)
            pop.stream_anchor[i] = anchor.index
            pop.contract_anchor[i] = NO_ANCHOR

    def retire_anchor(self, anchor: Anchor) -> None:
        """An anchor quits: stock goes to middlemen, followers and contracts are released."""
        anchor.exit_week = self.week
        self.anchor_changes += 1
        n_p = len(self.products)
        for p in range(n_p):
            slot = anchor.index * n_p + p
            for group in ("anchor_stock", "anchor_import"):
                grams = int(self.goods.balances[group][slot])
                if grams <= 0:
                    continue
                self.goods.transfer(
                    "liquidation", group, slot, "middlemen", anchor.base_village, grams
                )
                if group == "anchor_stock":
                    self.village_goods.add("to_middlemen", anchor.base_village, grams)
                price = self.products[p].farm_gate_price * 0.5
                self.money.transfer(
                    "liquidation",
                    "middlemen",
                    0,
                    "anchors",
                    anchor.index,
                    int(price * grams / 1000 * FEN_PER_YUAN),
                )
        pop = self.farmers
        pop.contract_anchor[pop.contract_anchor == anchor.index] = NO_ANCHOR
        pop.stream_anchor[pop.stream_anchor == anchor.index] = NO_ANCHOR
        self.consumers.drop_anchor(anchor.index)
        for youth in self.youth:
            if youth.anchor is anchor:
                youth.stop_streaming()
        self.week_stats["anchor_exits"] += 1
        anchor.remove()

    def close_accounts(self) -> None:
        """Each anchor's week from the ledger: revenue, gross margin, income (accrual)."""
        ledger = self.money
        n = self.anchor_count
        sales = ledger.receipts("anchors", ("sale",))[:n] / FEN_PER_YUAN
        refunds = ledger.payments("anchors", ("refund",))[:n] / FEN_PER_YUAN
        fees = ledger.payments("anchors", ("platform_fee",))[:n] / FEN_PER_YUAN
        overheads = (
            ledger.payments(
                "anchors",
                ("paid_traffic", "tool_upkeep", "tool_purchase", "fine", "brand_building"),
            )[:n]
            / FEN_PER_YUAN
        )
        liquidation = (
            ledger.receipts("anchors", ("liquidation", "policy_honour_award"))[:n] / FEN_PER_YUAN
        )
        views = self.market.week_views if self.market.sellers is not None else {}
        for a in self.anchor_list:
            if a.exited:
                continue
            i = a.index
            revenue = float(sales[i] - refunds[i])
            margin = revenue - fees[i] - a.cogs_week - a.shipping_week
            income = margin - overheads[i] + liquidation[i]
            income += self.governance.top_up(a, income)
            a.record_week(
                revenue,
                margin,
                income,
                views.get(i, 0.0),
                self.market.filled_orders(i),
                self.market.wanted_orders(i),
                a.complaints_week,
            )
        self.farmers.close_week(self.week)
        self._weekly_metrics_stats()

    def _weekly_metrics_stats(self) -> None:
        stats = self.week_stats
        ledger = self.money
        sales = ledger.flows["sale"] / FEN_PER_YUAN
        refunds = ledger.flows["refund"] / FEN_PER_YUAN
        stats["gross_gmv_yuan"] = sales
        stats["consumer_net_spend_yuan"] = sales - refunds
        stats["orders_unmet"] = stats["orders_wanted"] - stats["orders_filled"]
        stats["ambient_shipped_kg"] = stats["fresh_shipped_kg"] - stats["cold_shipped_kg"]
        stats["ambient_spoiled_kg"] = stats["fresh_spoiled_kg"] - stats["cold_spoiled_kg"]
        stats["policy_spend_yuan"] = self.governance.spent_this_week
        n = self.anchor_count
        sale_by_anchor = ledger.receipts("anchors", ("sale",))[:n] / FEN_PER_YUAN
        local = np.array([a.is_local for a in self.anchor_list], dtype=bool)
        stats["local_gmv_yuan"] = float(sale_by_anchor[local].sum()) if n else 0.0
        village = np.array([a.base_village for a in self.anchor_list], dtype=np.int64)
        if n:
            np.add.at(self.village_stats["gmv_yuan"], village, sale_by_anchor)
        held = idle = 0
        for a in self.anchor_list:
            if a.exited:
                continue
            for h in a.tools.values():
                held += 1
                idle += not h.in_use
                stats[f"tool_held_{h.name}"] += 1
                stats[f"tool_idle_{h.name}"] += not h.in_use
        stats["tool_weeks_held"] = held
        stats["tool_weeks_idle"] = idle

    def update_beliefs(self) -> None:
        """Recognition follows visible success; expected rural income and detection are learned."""
        cfg = self.config.youth
        bar = self.config.anchors.reservation_wage_week
        local = [a for a in self.anchor_list if a.is_local and not a.exited]
        recent_exits = [
            a
            for a in self.anchor_list
            if a.is_local and a.exited and self.week - (a.exit_week or 0) < 26
        ]
        if local or recent_exits:
            succeeded = sum(1 for a in local if (a.rolling_income() or 0.0) >= bar)
            signal = succeeded / (len(local) + len(recent_exits))
            self.recognition += cfg.recognition_rate * (signal - self.recognition)
        returnees = [y for y in self.youth if y.status != "migrant"]
        if returnees:
            observed = float(
                np.mean(
                    [
                        y.anchor.income_history[-1]
                        if y.status == "anchor" and y.anchor.income_history
                        else cfg.rural_income_week
                        for y in returnees
                    ]
                )
            )
            self.expected_rural_income += cfg.peer_learning_rate * (
                observed - self.expected_rural_income
            )
        cheaters = sum(1 for a in self.anchor_list if not a.exited and a.fake_kg_week > 0)
        if cheaters:
            caught = self.week_stats["fake_detections"]
            rate = self.config.regulation.belief_rate
            self.detection_belief += rate * (min(1.0, caught / cheaters) - self.detection_belief)

    def stock_by_village(self) -> np.ndarray:
        """Grams of village goods waiting in each village (households' stores + anchors' stock)."""
        n_v = self.world.n_villages
        stock = (
            np.bincount(
                self.farmers.village, weights=self.goods.balances["farm_store"], minlength=n_v
            )
            if self.farmers.n
            else np.zeros(n_v)
        )
        stock = stock.astype(np.int64)
        n = self.anchor_count
        if n:
            n_p = len(self.products)
            per_anchor = self.goods.balances["anchor_stock"][: n * n_p].reshape(n, n_p).sum(axis=1)
            village = np.array([a.base_village for a in self.anchor_list], dtype=np.int64)
            np.add.at(stock, village, per_anchor)
        return stock

    def settle(self) -> None:
        """Close the books: money and goods must balance (MODEL.md §6)."""
        money_error = self.money.balance_error() / FEN_PER_YUAN
        village_residual = self.village_goods.residual(self.stock_by_village())
        transit = self.goods.balances["in_transit"][: self.logistics.next_id]
        expected = np.zeros(transit.size, dtype=np.int64)
        q = self.logistics.queue
        if q and q["id"].size:
            expected[q["id"]] = q["grams"]
        shipment_residual = np.abs(transit - expected).max() if transit.size else 0
        goods_error = (
            max(
                self.goods.balance_error(),
                int(np.abs(village_residual).max()) if village_residual.size else 0,
                int(shipment_residual),
            )
            / 1000
        )
        self.week_stats["money_error_yuan"] = float(money_error)
        self.week_stats["goods_error_kg"] = float(goods_error)
        self.week_stats["week"] = self.week
        self.stats_history.append(dict(self.week_stats))

    def stats_frame(self) -> pd.DataFrame:
        """Weekly tallies as a DataFrame (one row per week)."""
        return pd.DataFrame(self.stats_history).fillna(0.0)
