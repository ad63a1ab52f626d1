"""Farm households (paper §3.1, §3.2): harvest, price information, channel choice.

Farm households are a large population that follows one rule, so their state lives in NumPy arrays
in :class:`FarmerPopulation` and every weekly step is vectorised. :class:`Farmer` is a thin Mesa
agent placed on its village cell that reads and writes its row of those arrays, so Mesa users (and
the browser view) still see one agent per household.

Channels (paper §3.2): a household sells to middlemen (certain, at a price that falls with poor price
information), under a supply contract with an anchor (when the anchor's offer beats the expected
middleman price plus a risk premium), or through its own stream (a literate, connected household
whose member becomes an anchor). Fresh produce is sold in the week it is harvested; storable produce
waits in the household's store and goes to middlemen a share at a time.

Net income (ECONOMICS.md §C): sales by every channel, less the production cost of the harvest
(booked to the external ``inputs`` account in the week of the harvest), plus the own stream's
result and exogenous off-farm wages (from the external ``employers`` account, half of them forgone
in a week the household's member streams).
"""

from __future__ import annotations

import mesa
import numpy as np
from mesa.discrete_space import FixedAgent

from village_sim.accounts import Account, Flow
from village_sim.agents import entry
from village_sim.agents.anchor import Anchor
from village_sim.agents.valuation import Traits, draw_traits
from village_sim.units import FEN_PER_YUAN, to_fen

NO_ANCHOR = -1
INCOME_WEEKS = 52


class FarmerPopulation:
    """State and vectorised behaviour of all farm households.

    Args:
        model: The model (scenario, world, random streams, ledgers).
        first_person_id: The ``person_id`` of household 0.
    """

    def __init__(self, model: mesa.Model, first_person_id: int) -> None:
        self.model = model
        sc = model.config
        cfg = sc.farmers
        world = model.world
        rng = model.streams["farmers"]
        n = sc.population.farmer_households
        self.n = n
        self.person_id = np.arange(first_person_id, first_person_id + n, dtype=np.int64)
        self.village = (
            np.sort(rng.integers(0, world.n_villages, size=n)) if n else np.zeros(0, dtype=np.int64)
        )
        self.product = np.array(
            [
                world.village_products[v][rng.integers(len(world.village_products[v]))]
                for v in self.village
            ],
            dtype=np.int64,
        )
        self.elderly = rng.random(n) < cfg.elderly_share
        low = rng.random(n) < cfg.elderly_low_literacy_share
        self.literacy = np.where(
            self.elderly,
            np.where(low, rng.uniform(0.0, 0.3, n), rng.uniform(0.3, 0.8, n)),
            rng.uniform(0.2, 0.95, n),
        )
        connect_p = world.internet_share[self.village] * np.where(
            self.elderly, cfg.elderly_internet_factor, 1.0
        )
        # Non-elderly connect a little more so that the village's share holds on average.
        non_elderly_boost = (1 - cfg.elderly_share * cfg.elderly_internet_factor) / max(
            1 - cfg.elderly_share, 1e-9
        )
        connect_p = np.where(self.elderly, connect_p, connect_p * non_elderly_boost)
        self.connected = rng.random(n) < np.clip(connect_p, 0, 1)
        info_mean = np.where(self.elderly, cfg.price_info_elderly, cfg.price_info_other)
        self.price_info = np.clip(rng.normal(info_mean, 0.15), 0, 1)
        products = model.products
        het = np.array([p.yield_heterogeneity for p in products])[self.product]
        base_yield = np.array([p.yield_kg_per_household_year for p in products])[self.product]
        self.yield_kg_year = base_yield * rng.lognormal(-0.5 * het**2, het)
        self.quality_z = rng.standard_normal(n)
        self.trained = np.zeros(n, dtype=bool)
        # A streaming member's traits (drawn once, when first needed) and last anchor role.
        self._member_traits: dict[int, Traits] = {}
        self._member_anchor: dict[int, int] = {}
        self._reservation_week = -1
        self._reservation = np.zeros(n)
        self.contract_anchor = np.full(n, NO_ANCHOR, dtype=np.int64)
        self.stream_anchor = np.full(n, NO_ANCHOR, dtype=np.int64)
        self.stock_quality = np.zeros(n)
        self.harvest_g = np.zeros(n, dtype=np.int64)
        self.off_farm_wage_fen = to_fen(
            np.where(self.elderly, cfg.off_farm_wage_elderly_week, cfg.off_farm_wage_week)
        ).astype(np.int64)
        self.live_sale_ring = np.zeros((INCOME_WEEKS, n), dtype=bool)
        self._live_weeks = np.zeros(n, dtype=np.int64)
        # This week's net income (fen) and its sums since week 0 and since the burn-in (exact
        # integers); households that sold live or streamed in the same spans.
        self.net_week = np.zeros(n, dtype=np.int64)
        self._net_total = {"all": np.zeros(n, dtype=np.int64), "after": np.zeros(n, np.int64)}
        self._weeks = {"all": 0, "after": 0}
        self._took_part = {"all": np.zeros(n, dtype=bool), "after": np.zeros(n, dtype=bool)}
        self.weeks_recorded = 0
        self._spill_week = -1
        self._live_share = np.zeros(world.n_villages)
        self.by_village_product = self._index_by_village_product(world.n_villages, len(products))
        self._season = self._season_weights(products)

    @staticmethod
    def _season_weights(products: list) -> np.ndarray:
        """Share of a year's harvest in each week of the year, per product (52, P)."""
        weights = np.zeros((52, len(products)))
        for p, spec in enumerate(products):
            weights[spec.harvest_weeks, p] = 1.0 / len(spec.harvest_weeks)
        return weights

    def _index_by_village_product(self, n_villages: int, n_products: int) -> dict:
        out = {}
        for v in range(n_villages):
            for p in range(n_products):
                idx = np.flatnonzero((self.village == v) & (self.product == p))
                if idx.size:
                    out[(v, p)] = idx
        return out

    # -- prices -------------------------------------------------------------------------------
    def middleman_price(self, idx: np.ndarray | slice = slice(None)) -> np.ndarray:
        """Price a middleman pays each household (yuan/kg): lower with poor information.

        With a spillover ψ > 0 (ECONOMICS.md §C, extension) middlemen pay ``× (1 + ψ·s_v)``,
        s_v the village's live-stream share of farm sales over the last 4 weeks.
        """
        cfg = self.model.config.farmers
        gate = self.model.products.array("farm_gate_price")[self.product[idx]]
        info = self.price_info[idx]
        price = gate * (cfg.uninformed_price_floor + (1 - cfg.uninformed_price_floor) * info)
        if cfg.middleman_spillover > 0:
            price = price * (1 + cfg.middleman_spillover * self.live_share()[self.village[idx]])
        return price

    def live_share(self) -> np.ndarray:
        """Each village's live-stream share of farm sales (yuan) over the last 4 weeks.

        Sales to anchors (contracts and own streams) / all farm sales, from the books' village-week
        rows; 0 where nothing was sold. Computed once a week.
        """
        week = self.model.week
        if self._spill_week != week:
            live = np.zeros(self.model.world.n_villages)
            every = np.zeros(self.model.world.n_villages)
            for row in self.model.books.village_history[-4:]:
                live += row["contract_yuan"] + row["own_stream_yuan"]
                every += row["contract_yuan"] + row["own_stream_yuan"] + row["middlemen_yuan"]
            self._live_share = np.divide(live, every, out=np.zeros_like(live), where=every > 0)
            self._spill_week = week
        return self._live_share

    def reservation_price(self, idx: np.ndarray | slice = slice(None)) -> np.ndarray:
        """Lowest contract price a household accepts: middleman price plus a risk premium.

        Computed once a week for every household (price information changes at most weekly).
        """
        week = self.model.week
        if self._reservation_week != week:
            premium = 1 + self.model.config.farmers.risk_premium
            self._reservation = self.middleman_price() * premium
            self._reservation_week = week
        return self._reservation[idx]

    # -- weekly steps ---------------------------------------------------------------------------
    def stock_from_last_season(self) -> None:
        """Open the run with what households still hold of storable produce from last season.

        A household's store of a storable product at week 0 is last season's harvest less the share
        sold a week since the harvest ended (the same rule as :meth:`sell_to_middlemen`).
        """
        model = self.model
        share = model.config.farmers.storable_sell_share
        grams = np.zeros(self.n, dtype=np.int64)
        for p, spec in enumerate(model.products):
            if spec.fresh:
                continue
            weeks_since = (52 - max(spec.harvest_weeks) - 1) % 52
            mine = self.product == p
            kg = self.yield_kg_year[mine] * (1 - share) ** weeks_since
            grams[mine] = np.rint(kg * 1000).astype(np.int64)
        idx = np.flatnonzero(grams > 0)
        if idx.size == 0:
            return
        mean = model.products.array("quality_mean")[self.product[idx]]
        sd = model.products.array("quality_sd")[self.product[idx]]
        self.stock_quality[idx] = np.clip(mean + self.quality_z[idx] * sd, 0, 1)
        model.goods.transfer(
            Flow.OPENING_STOCK,
            Account.NATURE,
            self.village[idx],
            Account.FARM_STORE,
            idx,
            grams[idx],
        )

    def harvest(self, week: int) -> None:
        """Add this week's harvest to each household's store (nature → farm store, in grams).

        Output follows the product's calendar and a village weather shock to yield and quality
        (extension); quality spread is scaled by the village's standardisation factor.
        """
        model = self.model
        weather = model.weather
        season = self._season[week % 52, self.product]
        kg = self.yield_kg_year * season * weather.yield_factor[self.village]
        grams = np.rint(kg * 1000).astype(np.int64)
        grams[kg <= 0] = 0
        self.harvest_g = grams
        harvesting = grams > 0
        if not harvesting.any():
            return
        sd = (
            model.products.array("quality_sd")[self.product]
            * model.governance.standard_factor[self.village]
        )
        mean = model.products.array("quality_mean")[self.product]
        quality = np.clip(mean + self.quality_z * sd + weather.quality_shift[self.village], 0, 1)
        stock = model.goods.balances["farm_store"]
        old = stock.astype(float)
        new_total = old + grams
        blended = np.where(
            new_total > 0,
            (self.stock_quality * old + quality * grams) / np.maximum(new_total, 1),
            quality,
        )
        self.stock_quality = np.where(harvesting, blended, self.stock_quality)
        idx = np.flatnonzero(harvesting)
        model.goods.transfer(
            Flow.HARVEST, Account.NATURE, self.village[idx], Account.FARM_STORE, idx, grams[idx]
        )
        model.books.village_goods.add("harvest", self.village[idx], grams[idx])
        cost = model.products.array("production_cost_share") * model.products.array(
            "farm_gate_price"
        )
        model.money.transfer(
            Flow.PRODUCTION_COST,
            Account.FARMERS,
            idx,
            Account.INPUTS,
            0,
            to_fen(cost[self.product[idx]] * grams[idx] / 1000.0),
        )

    def start_streaming(self) -> None:
        """Literate, connected households may start their own stream (paper §3.1; ECONOMICS.md §B).

        Each week a household that could stream (connected, literate enough, not streaming)
        reviews the choice with probability ``1/start_review_weeks`` (Calvo, R = 52). A reviewing
        household's member starts iff premises are free and ``ΔV_entry > 0``
        (:func:`village_sim.agents.entry.starts`), with the outside option and dormant earnings
        both the member's displaced off-farm wage, ``stream_forgone_wage_share`` × the household's
        off-farm wage (ECONOMICS.md §A, §C), and the member's traits drawn once, when first
        reviewed (``farmers`` stream). The member becomes an anchor of kind ``farmer`` selling
        the household's product; a household that stopped may start again, valuing the restart
        from its own last M̂ rather than the beginner's prior (``Valuation.entry_gain``).
        """
        model = self.model
        if not model.config.livestream.enabled:
            return
        cfg = model.config.farmers
        rng = model.streams["farmers"]
        eligible = (
            self.connected
            & (self.literacy >= cfg.literacy_to_stream)
            & (self.stream_anchor == NO_ANCHOR)
        )
        reviewing = np.flatnonzero(eligible & entry.reviews(rng, self.n, cfg.start_review_weeks))
        sessions = model.config.anchors.farmer_sessions_per_week
        for i in reviewing:
            traits = self.member_traits(int(i))
            displaced = cfg.stream_forgone_wage_share * self.off_farm_wage_fen[i] / FEN_PER_YUAN
            literacy = float(self.literacy[i])
            skill, aptitude = literacy * cfg.member_skill_per_literacy, literacy
            before = self._member_anchor.get(int(i))
            last = model.anchor_list[before] if before is not None else None
            margin = last.margin_hat if last is not None and last.margin_count else None
            if not entry.starts(
                model,
                village=int(self.village[i]),
                margin=margin,
                skill=skill,
                aptitude=aptitude,
                sessions=sessions,
                products=[int(self.product[i])],
                outside=displaced,
                dormant=displaced + model.governance.levers.local_job_wage,
                traits=traits,
            ):
                continue
            anchor = Anchor(
                model,
                "farmer",
                int(self.person_id[i]),
                int(self.village[i]),
                skill,
                aptitude,
                traits=traits,
                owner=(Account.FARMERS, int(i)),
                outside_option=displaced,
                dormant_wage=displaced,
            )
            anchor.own_product = anchor.product = int(self.product[i])
            anchor.farmer_index = int(i)
            self._member_anchor[int(i)] = anchor.index
            self.stream_anchor[i] = anchor.index
            self.contract_anchor[i] = NO_ANCHOR

    def member_traits(self, index: int) -> Traits:
        """The streaming member's economic traits, drawn once when first needed (ECONOMICS.md §A)."""
        traits = self._member_traits.get(index)
        if traits is None:
            config = self.model.config
            traits = draw_traits(
                self.model.streams["farmers"], config, None, config.farmers.taste_scale
            )
            self._member_traits[index] = traits
        return traits

    def release_anchor(self, anchor_index: int) -> None:
        """An anchor quit: its contracts end and its household stops streaming."""
        self.contract_anchor[self.contract_anchor == anchor_index] = NO_ANCHOR
        self.stream_anchor[self.stream_anchor == anchor_index] = NO_ANCHOR

    def sell_to_middlemen(self, week: int) -> None:
        """Sell what anchors did not take: all fresh produce, a share of storable produce."""
        model = self.model
        stock = model.goods.balances["farm_store"]
        fresh = model.products.array("fresh")[self.product].astype(bool)
        share = np.where(fresh, 1.0, model.config.farmers.storable_sell_share)
        grams = np.where(fresh, stock, np.floor(stock * share).astype(np.int64))
        grams = np.minimum(grams, stock)
        idx = np.flatnonzero(grams > 0)
        if idx.size == 0:
            return
        g = grams[idx]
        model.goods.transfer(
            Flow.TO_MIDDLEMEN, Account.FARM_STORE, idx, Account.MIDDLEMEN, self.village[idx], g
        )
        model.books.village_goods.add("to_middlemen", self.village[idx], g)
        pay = to_fen(self.middleman_price(idx) * g / 1000.0)
        model.money.transfer(Flow.MIDDLEMAN_SALE, Account.MIDDLEMEN, 0, Account.FARMERS, idx, pay)
        week = model.books.village_week
        np.add.at(week["middlemen_kg"], self.village[idx], g / 1000)
        np.add.at(week["middlemen_yuan"], self.village[idx], pay / 100)

    def spoil_in_store(self) -> None:
        """Storable produce loses a little in the household store each week."""
        model = self.model
        stock = model.goods.balances["farm_store"]
        held = np.flatnonzero(stock > 0)
        if held.size == 0:
            return
        perish = model.products.array("perishability_per_day")[self.product[held]]
        lost = np.floor(stock[held] * (1 - np.exp(-perish * 7))).astype(np.int64)
        keep = lost > 0
        if keep.any():
            idx = held[keep]
            model.goods.transfer(
                Flow.SPOILED_ORIGIN,
                Account.FARM_STORE,
                idx,
                Account.SPOILED_ORIGIN,
                self.village[idx],
                lost[keep],
            )
            model.books.village_goods.add("spoiled_origin", self.village[idx], lost[keep])

    def pay_off_farm_wages(self, own: list[tuple[int, Anchor]] | None = None) -> None:
        """This week's off-farm wages: one transfer from the employers' external account.

        A household whose member streamed this week (its farmer anchor was active) forgoes
        ``stream_forgone_wage_share`` of them (ECONOMICS.md §C).

        Args:
            own: :meth:`_own_anchors` when the caller has it already.
        """
        model = self.model
        if self.n == 0:
            return
        wage = self.off_farm_wage_fen.copy()
        own = self._own_anchors() if own is None else own
        streaming = [i for i, anchor in own if _active_this_week(anchor)]
        if streaming:
            keep = 1 - model.config.farmers.stream_forgone_wage_share
            wage[streaming] = np.rint(wage[streaming] * keep).astype(np.int64)
        model.money.transfer(
            Flow.OFF_FARM_WAGE, Account.EMPLOYERS, 0, Account.FARMERS, np.arange(self.n), wage
        )

    def _own_anchors(self) -> list[tuple[int, Anchor]]:
        """(household, anchor) of households whose member streams (farmer anchors not exited)."""
        anchors = self.model.anchor_list
        streams = np.flatnonzero(self.stream_anchor != NO_ANCHOR)
        return [
            (i, anchors[a])
            for i, a in zip(streams.tolist(), self.stream_anchor[streams].tolist(), strict=True)
        ]

    def close_week(self, week: int) -> None:
        """Pay the week's off-farm wages and record each household's net income (ECONOMICS.md §C).

        Net income = every ledger receipt of the household (sales by every channel, wages) − its
        payments (production costs and anything flowing back from a sale) + the week's result of
        its own stream (the same person's anchor role). Also records whether the household sold
        through a live stream (to an anchor, its own included).
        """
        own = self._own_anchors()  # nothing starts or stops streaming between the two reads
        self.pay_off_farm_wages(own)
        ledger = self.model.money
        net = ledger.receipts(Account.FARMERS) - ledger.payments(Account.FARMERS)
        streams = np.zeros(self.n, dtype=bool)
        for i, anchor in own:
            streams[i] = True
            if anchor.income_history and not anchor.exited:
                net[i] += to_fen(anchor.income_history[-1])
        self.net_week = net
        live = ledger.receipts(Account.FARMERS, (Flow.CONTRACT_SALE,)) > 0
        slot = week % INCOME_WEEKS
        self._live_weeks += live.astype(np.int64) - self.live_sale_ring[slot]
        self.live_sale_ring[slot] = live
        spans = ("all", "after") if week >= self.model.config.metrics.burn_in_weeks else ("all",)
        for span in spans:
            self._net_total[span] += net
            self._weeks[span] += 1
            self._took_part[span] |= live | streams
        self.weeks_recorded += 1

    def _span(self) -> str:
        """The weeks the yearly figures average over: after the burn-in, or all before it ends."""
        return "after" if self._weeks["after"] > 0 else "all"

    def yearly_income(self, index: int | slice = slice(None)) -> np.ndarray:
        """Net income of households per year, in yuan (yuan/yr; ECONOMICS.md §C).

        The mean weekly net income over the weeks after the burn-in (``metrics.burn_in_weeks``;
        all weeks so far while the burn-in lasts) × 52: an annualised mean, not a trailing sum.
        """
        span = self._span()
        weeks = self._weeks[span]
        if weeks == 0:
            return np.zeros(self.n)[index]
        return self._net_total[span][index] / FEN_PER_YUAN * (INCOME_WEEKS / weeks)

    def participants(self) -> np.ndarray:
        """Households that sold to an anchor or through their own stream over the same weeks."""
        return self._took_part[self._span()].copy()

    def sells_live(self) -> np.ndarray:
        """Households that sold through a live stream (contract or own stream) in the last year."""
        return self._live_weeks > 0


def _active_this_week(anchor: Anchor) -> bool:
    """Whether an anchor streamed this week (its own flag where it keeps one; else sessions)."""
    flag = getattr(anchor, "active_this_week", None)
    if flag is not None:
        return bool(flag)
    return anchor.sessions > 0


class Farmer(FixedAgent):
    """A farm household as a Mesa agent: a view on its row of :class:`FarmerPopulation`."""

    def __init__(self, model: mesa.Model, index: int) -> None:
        super().__init__(model)
        self.index = index
        pop = model.farmers
        self.person_id = int(pop.person_id[index])
        self.cell = model.grid[model.world.village_nodes[pop.village[index]]]

    @property
    def population(self) -> FarmerPopulation:
        """The population arrays this agent is a view on."""
        return self.model.farmers

    @property
    def village(self) -> int:
        """Village index."""
        return int(self.population.village[self.index])

    @property
    def elderly(self) -> bool:
        """Household head aged 60+."""
        return bool(self.population.elderly[self.index])

    @property
    def digital_literacy(self) -> float:
        """Digital literacy in [0, 1]."""
        return float(self.population.literacy[self.index])

    @property
    def yearly_income(self) -> float:
        """Net income per year (yuan/yr; see :meth:`FarmerPopulation.yearly_income`)."""
        return float(self.population.yearly_income(self.index))

    @property
    def channel(self) -> str:
        """``own_stream``, ``contract`` or ``middleman``."""
        if self.population.stream_anchor[self.index] != NO_ANCHOR:
            return "own_stream"
        if self.population.contract_anchor[self.index] != NO_ANCHOR:
            return "contract"
        return "middleman"
