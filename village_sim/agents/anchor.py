"""Live-stream anchors (paper §2.3, §3.1, §3.3): each decides in its own way, so each is a Mesa agent.

Kinds: ``local`` (a returned youth), ``farmer`` (a streaming farm household), ``external`` (a city
influencer with a large following who takes a commission and a slot fee; traffic-grabbing, paper §3).

Each week an anchor (``plan_week``) picks the product it sells, forecasts demand, sets its strategy
and price — at Calvo reviews (probability ``1/R`` a week) it moves toward ``p* = c_var + p_ref/ω_p``,
pushed up by unfilled orders and down by unsold stock; an ``imitate`` anchor also follows the going
price ``p̄``, a ``brand`` builder (an up-front cost paid now against a delayed, present-biased gain)
does not (paper §3.1, §3.3; rules in :mod:`village_sim.agents.pricing`) — sources goods within its
funds, fills a shortfall with out-of-region goods sold as local when the gain beats its honesty
cost plus the expected fine (extension), may buy paid traffic for stock the forecast will not
clear, reviews tools and runs sessions. After the market clears it learns by doing and decides
whether to stay against its outside option (``stay_or_leave``).
"""

from __future__ import annotations

import math
import sys
from typing import Literal

import mesa
import numpy as np
from mesa.discrete_space import CellAgent

from village_sim.accounts import Account, Flow
from village_sim.agents import pricing
from village_sim.agents import tools as toolrules
from village_sim.agents.valuation import Traits, draw_traits
from village_sim.numerics import mean_of_few
from village_sim.randomness import uniform
from village_sim.units import FEN_PER_YUAN, GRAMS_PER_KG, to_fen, to_grams

AnchorKind = Literal["local", "farmer", "external"]
"""A returned youth, a streaming farm household, or a city influencer (paper §3)."""

Strategy = Literal["imitate", "brand"]
"""Low-price imitation or brand building (paper §3.1, §3.3)."""

LOCAL_KINDS: tuple[AnchorKind, ...] = ("local", "farmer")


class WeekTerms:
    """What every anchor's plan reads in a week and no anchor changes, taken once a week.

    The week's policy levers (``governance.apply`` publishes a new set each week) and, on first
    use, the cost floor's parts that do not depend on the seller's own sales: the same calls as
    :meth:`Anchor._cost_parts` makes, shared by every seller of a product in a village with the
    same buffer and commission (:meth:`cost_parts`; a test compares them with the formula).

    Args:
        model: The model, after this week's ``governance.apply``.
    """

    def __init__(self, model: mesa.Model) -> None:
        self.model = model
        self.week = model.week
        governance = model.governance
        self.levers = governance.levers
        self.min_farmer_share = governance.min_farmer_share()
        self.pack_g = [to_grams(spec.pack_kg) for spec in model.products]
        self.pack_kg = [spec.pack_kg for spec in model.products]
        n_villages = model.world.n_villages
        self.county = (list(range(n_villages)), [0.0] * n_villages)  # a city anchor's reach
        self._parts: dict[tuple, tuple] = {}

    def current(self, model: mesa.Model) -> bool:
        """Whether these terms are this week's (the week and the levers they were taken for)."""
        return self.week == model.week and self.levers is model.governance.levers

    def cost_parts(
        self, kind: AnchorKind, commission: float, p: int, village: int, buffer: float
    ) -> tuple:
        """``(reservation, shipping, spoil share, fee + commission, route spoilage)`` (shared).

        :meth:`Anchor._cost_parts` without the refund share: the growers' typical reservation,
        the shipping cost, the share lost at origin while the stock waits, the fee plus the
        commission and the route's spoilage (the prior of the refund share).
        """
        key = (kind, commission, p, village, buffer)
        parts = self._parts.get(key)
        if parts is None:
            parts = self._parts[key] = self._cost_parts_plain(commission, p, village, buffer)
        return parts

    def _cost_parts_plain(self, commission: float, p: int, village: int, buffer: float) -> tuple:
        model = self.model
        cfg = model.config.anchors
        spec = model.products[p]
        pc = model.config.platform
        fee = pc.fee_fresh if spec.fresh else pc.fee_other  # Anchor.fee_rate
        logistics = model.logistics
        weeks = buffer / (1 + buffer) if spec.fresh else cfg.storable_stock_weeks / 2
        weekly = logistics.origin_spoilage(spec.perishability_per_day, village)
        return (
            model.contracts.typical_reservation(village, p),
            float(logistics.ship_cost_village[village]),
            pricing.origin_spoilage_share(weekly, weeks),
            fee + commission,
            logistics.route_spoilage(p, village),
        )


def week_terms(model: mesa.Model) -> WeekTerms:
    """This week's :class:`WeekTerms` (one object for every anchor of the model)."""
    return model.valuation.weekly(
        ("anchor_week_terms", id(model.governance.levers)), lambda: WeekTerms(model)
    )


class Anchor(CellAgent):
    """A live-stream seller.

    ``FUSED_PLAN``: plan a rural seller's common week in one pass (:meth:`_plan_kept_product`);
    False runs the plan's steps one by one (the same numbers; a test compares).

    Args:
        model: The model.
        kind: ``local``, ``farmer`` or ``external``.
        person_id: The person behind the role (shared with the youth or farm household).
        base_village: Village whose goods it sells and where its stock waits.
        skill: Streaming skill in [0, 1].
        aptitude: The skill it can reach by practice.
        cohort: Training cohort id, if it came out of a course.
        followers_seed: Followers it brings (city anchors).
        traits: The person's economic traits (:func:`~village_sim.agents.valuation.draw_traits`);
            drawn here from the anchors' stream when not given.
        owner: The person's money account (group, index): drawings go there and a voluntary
            leaver's debt moves there. Defaults to ``savings`` (outside the county's books).
        outside_option: o, what the person earns a week doing something else (yuan); defaults
            by kind (ECONOMICS.md §A).
        dormant_wage: w_d, a dormant week's earnings (yuan); defaults by kind.
    """

    FUSED_PLAN = True

    def __init__(
        self,
        model: mesa.Model,
        kind: AnchorKind,
        person_id: int,
        base_village: int,
        skill: float,
        aptitude: float,
        cohort: int | None = None,
        followers_seed: int = 0,
        *,
        traits: Traits | None = None,
        owner: tuple[Account, int] | None = None,
        outside_option: float | None = None,
        dormant_wage: float | None = None,
    ) -> None:
        super().__init__(model)
        sc = model.config
        rng = model.streams["anchors"]
        self.kind = kind
        self.person_id = person_id
        self.person = None  # the Youth behind a local anchor (set by the youth who starts)
        self.base_village = base_village
        self.skill = float(skill)
        self.aptitude = float(max(aptitude, skill))
        self.cohort = cohort
        self.index = model.register_anchor(self)
        self._n_products = len(model.products)  # fixed for the run (stock slots)
        self.start_week = model.week
        self.exit_week: int | None = None
        self.exit_reason: str | None = None
        self.suspended_until = -1
        self.offences = 0
        self.suspensions = 0
        cfg = sc.anchors
        if kind == "external":
            self.cell = model.grid[model.world.city_nodes[self.index % model.world.n_cities]]
            honesty_median = sc.external_anchors.honesty_cost_median
        else:
            self.cell = model.grid[model.world.village_nodes[base_village]]
            honesty_median = cfg.honesty_cost_median
        self.honesty_cost = float(honesty_median * rng.lognormal(0, cfg.honesty_cost_spread))
        self.exaggeration = float(cfg.exaggeration_max * math.exp(-self.honesty_cost))
        self.strategy: Strategy = "imitate"
        self.brand_since: int | None = None
        self._init_pricing()
        n_products = len(model.products)
        self.product = self._first_product()
        self.price = np.array(
            [p.city_price * (1 - self._initial_markdown()) for p in model.products]
        )
        self.stock_quality = np.zeros(n_products)
        self.unit_cost = np.zeros(n_products)
        self.forecast_orders = cfg.initial_forecast_orders
        self.tools: dict[str, toolrules.Holding] = {}
        self.sessions_planned = 0
        self.sessions = 0
        self.stalled = 0
        self.paid_views = 0.0
        self.offer_price = 0.0
        self.cogs_week = 0.0
        self.income_history: list[float] = []
        self.revenue_history: list[float] = []
        self.margin_history: list[float] = []
        self.active_weeks = 0
        self.fake_gain_open = 0.0
        self.fake_kg_week = 0.0
        self.views_hist = [0.0] * 4
        self.orders_hist = [0.0] * 4
        self.complaints_hist = [0] * 4
        self.followers = followers_seed
        self.own_product: int | None = None
        self.farmer_index: int | None = None
        self.shipping_week = 0.0
        self.complaints_week = 0
        self._init_sourcing()
        self._open_firm(traits, owner, outside_option, dormant_wage)
        model.governance.on_new_anchor(self)

    # -- the firm (ECONOMICS.md §A) -----------------------------------------------------------------
    def _open_firm(
        self,
        traits: Traits | None,
        owner: tuple[Account, int] | None,
        outside_option: float | None,
        dormant_wage: float | None,
    ) -> None:
        """Cash account, credit line, outside option, the prior margin; savings paid in (extension)."""
        model = self.model
        cfg = model.config.anchors
        ext = model.config.external_anchors
        rng = model.streams["anchors"]
        if traits is None:
            traits = draw_traits(rng, model.config, None)
        if self.kind == "external":
            if outside_option is None:
                outside_option = float(
                    ext.outside_option_week * rng.lognormal(0.0, ext.outside_option_log_sd)
                )
            traits = Traits(1.0, 0.0, 1.0, ext.equity, 0.0, 0.0)
            dormant_wage = outside_option
        elif self.kind == "farmer":
            traits = Traits(
                traits.present_bias,
                traits.taste,
                traits.belief,
                cfg.savings_other,
                traits.credit_line,
                0.0,
            )
        self.traits = traits
        self.credit_limit = traits.credit_limit
        self.guaranteed_debt_limit = traits.guaranteed_loan
        self.owner = owner if owner is not None else (Account.SAVINGS, 0)
        default_o, default_wd = self._default_outside_options()
        self.outside_option = float(default_o if outside_option is None else outside_option)
        self.dormant_wage = float(default_wd if dormant_wage is None else dormant_wage)
        self.margin_count = 0
        self.margin_hat = self._prior_margin()
        self.last_delta_v = 0.0
        self.weeks_dormant = 0
        self.dormant = False
        self.insolvent = False
        self.profit_week = 0.0
        self.depreciation_booked = 0.0
        self.profit_total = 0.0
        self.written_off = 0.0
        self.capex: list[tuple[int, float]] = []
        self._depreciation_memo: tuple[int, int, int, float] | None = None
        self._reserve_memo: tuple[tuple, int, float, tuple] | None = None
        self.purchases_hist: list[float] = []
        self._pay_in(Flow.SAVINGS_IN, traits.savings)
        if self.kind != "external":
            self.buy_equipment(cfg.start_cost * cfg.equipment_share_of_start)

    def _default_outside_options(self) -> tuple[float, float]:
        """O and w_d when the creator gives none (a youth of average wage and attachment; a farmer).

        The same formulas as ``Youth.outside_option`` and ``Youth.dormant_wage``.
        """
        sc = self.model.config
        if self.kind == "farmer":
            displaced = sc.farmers.stream_forgone_wage_share * sc.farmers.off_farm_wage_week
            return displaced, displaced
        youth = sc.youth
        dormant = youth.dormant_wage_share * youth.local_wage_week
        return max(youth.urban_wage_week * (1 - youth.home_premium * 0.5), dormant), dormant

    def _prior_margin(self) -> float:
        """M̂ before any result: city anchors prior_margin_multiple·o_ext; others the county's prior (§A)."""
        if self.kind == "external":
            return self.model.config.external_anchors.prior_margin_multiple * self.outside_option
        return self.model.valuation.prior_margin(
            self.skill, self.sessions_capacity(), self.traits.belief
        )

    def _pay_in(self, kind: Flow, yuan: float) -> None:
        """Money from outside the county's books into the firm (savings, equity)."""
        if yuan > 0:
            self.model.money.transfer(
                kind, Account.SAVINGS, 0, Account.ANCHORS, self.index, to_fen(yuan)
            )

    def buy_equipment(self, yuan: float) -> None:
        """Capital spending (equipment, tools, brand): paid now, depreciated in F."""
        if yuan <= 0:
            return
        self.model.money.transfer(
            Flow.EQUIPMENT, Account.ANCHORS, self.index, Account.VENDORS, 0, to_fen(yuan)
        )
        self.capex.append((self.model.week, float(yuan)))

    def pay_entry_cost(self, yuan: float) -> None:
        """A city anchor's cost of taking up the county (C_ext), capital depreciated in F."""
        self.buy_equipment(yuan)

    def depreciation_week(self) -> float:
        """This week's depreciation of capital spent in the last ``depreciation_weeks`` weeks.

        Remembered while no capital is added (``capex`` only grows) and no item counted ages
        out: from the week it was taken until the first week one of its items is
        ``depreciation_weeks`` old, the same items are summed in the same order.
        :meth:`depreciation_week_plain` is the formula.
        """
        week = self.model.week
        memo = self._depreciation_memo
        if memo is not None and memo[0] == len(self.capex) and memo[1] <= week < memo[2]:
            return memo[3]
        value = self.depreciation_week_plain()
        life = self.model.config.anchors.depreciation_weeks
        until = min(
            (start + life for start, _ in self.capex if week - start < life), default=sys.maxsize
        )
        self._depreciation_memo = (len(self.capex), week, until, value)
        return value

    def depreciation_week_plain(self) -> float:
        """:meth:`depreciation_week` computed afresh."""
        life = self.model.config.anchors.depreciation_weeks
        week = self.model.week
        return sum(amount for start, amount in self.capex if week - start < life) / life

    def debt(self) -> float:
        """What the firm owes (yuan): minus its cash when negative."""
        return max(0.0, -self.cash())

    def interest_week(self, debt: float | None = None) -> float:
        """Interest due this week (yuan): guaranteed rate on the guaranteed part, informal beyond.

        Args:
            debt: The debt to charge (yuan); the current one when None.
        """
        cfg = self.model.config.anchors
        debt = self.debt() if debt is None else debt
        if debt <= 0:
            return 0.0
        cheap = min(debt, self.guaranteed_debt_limit)
        subsidy = self.model.governance.loan_rate_subsidy() if cheap > 0 else 0.0
        rate_cheap = max(cfg.interest_guaranteed - subsidy, 0.0)
        return (cheap * rate_cheap + (debt - cheap) * cfg.interest_informal) / 52

    def _fixed_cost_terms(self, debt: float) -> tuple[float, float, float, float]:
        """F's terms: (tool upkeep, depreciation, interest on ``debt``, brand upkeep) a week."""
        upkeep = sum(
            self.model.config.tools.catalogue[h.name].upkeep_week for h in self.tools.values()
        )
        brand = getattr(self, "brand_upkeep_week", 0.0)
        return upkeep, self.depreciation_week(), self.interest_week(debt), brand

    def fixed_cost_week(self) -> float:
        """F: tool upkeep, depreciation, interest and brand upkeep a week (yuan; known, §A)."""
        upkeep, depreciation, interest, brand = self._fixed_cost_terms(self.debt())
        return upkeep + depreciation + interest + brand

    def reserve(self, fen: int | None = None) -> float:
        """R: ``reserve_weeks`` of committed outflows (upkeep, interest, brand upkeep).

        Interest is counted on the whole credit line, the debt that spending down to the line
        would leave: a purchase never leaves too little to pay the interest it causes (without
        this, beginners spent to exactly −L and the week's interest made them insolvent).

        Remembered until one of its inputs changes (the depreciation, the debt, tools held,
        strategy, credit terms, the loan subsidy): a week's plan reads it several times, and
        cash moves it only while the firm owes (any cash ``≥ 0`` is a debt of exactly 0); the
        same inputs give the same value in a later week. The terms that do not depend on the
        debt are kept while a purchase moves the debt. :meth:`reserve_plain` is the formula
        itself.

        Args:
            fen: The account's balance (fen) when the caller has just read it.
        """
        model = self.model
        if fen is None:
            fen = int(model.money.balances[Account.ANCHORS][self.index])
        owed = min(fen, 0)
        key = (
            self.depreciation_week(),
            tuple(self.tools),
            self.strategy,
            self.credit_limit,
            self.guaranteed_debt_limit,
            model.governance.loan_rate_subsidy(),
        )
        memo = self._reserve_memo
        if memo is not None and memo[0] == key:
            if memo[1] == owed:
                return memo[2]
            parts = memo[3]
        else:
            upkeep, depreciation, _, brand = self._fixed_cost_terms(0.0)
            parts = (upkeep, depreciation, brand, self.interest_week(self.credit_limit))
        value = self._reserve_from(parts, max(0.0, -(fen / FEN_PER_YUAN)))
        self._reserve_memo = (key, owed, value, parts)
        return value

    def _reserve_from(self, parts: tuple[float, float, float, float], debt: float) -> float:
        """:meth:`reserve_plain` from the terms that do not depend on the debt (the same operations).

        Args:
            parts: Tool upkeep, depreciation, brand upkeep, and the interest on the credit line.
            debt: The current debt (yuan).
        """
        upkeep, depreciation, brand, interest_line = parts
        interest_now = self.interest_week(debt)
        fixed = upkeep + depreciation + interest_now + brand
        committed = fixed - depreciation - interest_now
        # I(max(debt, L)): the line's interest unless the debt is beyond the line.
        interest = self.interest_week(debt) if debt > self.credit_limit else interest_line
        return self.model.config.anchors.reserve_weeks * (committed + interest)

    def reserve_plain(self, debt: float | None = None) -> float:
        """:meth:`reserve` computed afresh: ``reserve_weeks · (F − depreciation − interest + I(L))``.

        ``I(L)`` is the interest on ``max(debt, L)``; F's terms are computed once (the same
        floating-point operations as ``fixed_cost_week() − depreciation_week() −
        interest_week()``).

        Args:
            debt: The current debt (yuan); read from the ledger when None.
        """
        debt = self.debt() if debt is None else debt
        upkeep, depreciation, interest_now, brand = self._fixed_cost_terms(debt)
        fixed = upkeep + depreciation + interest_now + brand
        committed = fixed - depreciation - interest_now
        interest = self.interest_week(max(debt, self.credit_limit))
        return self.model.config.anchors.reserve_weeks * (committed + interest)

    # -- status -----------------------------------------------------------------------------------
    @property
    def is_local(self) -> bool:
        """Local anchors and streaming farmers (the rural sellers of the paper)."""
        return self.kind in LOCAL_KINDS

    @property
    def exited(self) -> bool:
        """Whether the anchor has quit."""
        return self.exit_week is not None

    def suspended(self, week: int) -> bool:
        """Whether a regulator has suspended the anchor this week."""
        return week < self.suspended_until

    def can_trade(self, week: int) -> bool:
        """Not exited and not suspended."""
        return not self.exited and not self.suspended(week)

    def _initial_markdown(self) -> float:
        sc = self.model.config
        return (
            sc.external_anchors.markdown
            if self.kind == "external"
            else 0.0  # a local newcomer's first price comes from the pricing rule
        )

    def _first_product(self) -> int:
        products = self.model.world.village_products[self.base_village]
        return int(products[0])

    # -- helpers ----------------------------------------------------------------------------------
    def stock_slot(self, p: int) -> int:
        """This anchor's slot of product ``p`` in the goods ledger's anchor stock accounts."""
        return self.index * self._n_products + p

    def stock_g(self, product: int | None = None) -> tuple[int, int]:
        """(local grams, imported grams) of a product in stock."""
        p = self.product if product is None else product
        slot = self.stock_slot(p)
        goods = self.model.goods.balances
        return int(goods["anchor_stock"][slot]), int(goods["anchor_import"][slot])

    def recent_revenue(self, weeks: int) -> float:
        """Sales net of refunds over the last ``weeks`` weeks (yuan)."""
        return float(sum(self.revenue_history[-weeks:]))

    def cash(self) -> float:
        """The anchor's cash (yuan): its ledger account's balance, negative when it owes."""
        return int(self.model.money.balances[Account.ANCHORS][self.index]) / FEN_PER_YUAN

    def available_funds(self) -> float:
        """What it may still spend this week (yuan): ``cash + L − R`` (ECONOMICS.md §A).

        Every purchase (stock, imports, paid traffic, tools, brand) is limited by this number and
        lowers it when paid.
        """
        fen = int(self.model.money.balances[Account.ANCHORS][self.index])
        return max(0.0, fen / FEN_PER_YUAN + self.credit_limit - self.reserve(fen))

    def sessions_capacity(self) -> float:
        """Sessions a week it runs when it has goods (k)."""
        sc = self.model.config
        if self.kind == "local":
            return sc.anchors.sessions_per_week
        if self.kind == "farmer":
            return sc.anchors.farmer_sessions_per_week
        return sc.external_anchors.sessions_per_week

    def conversion_estimate(self) -> float:
        """Recent orders per view with the platform's prior (MODEL.md §3)."""
        pc = self.model.config.platform
        return (sum(self.orders_hist) + pc.conversion_prior_orders) / (
            sum(self.views_hist) + pc.conversion_prior_views
        )

    def fee_rate(self, product: int | None = None) -> float:
        """Platform fee rate on this product (an external anchor's commission is separate)."""
        p = self.product if product is None else product
        pc = self.model.config.platform
        fee = pc.fee_fresh if self.model.products[p].fresh else pc.fee_other
        return fee

    def commission(self) -> float:
        """Commission an external anchor keeps (capped by policy where one applies)."""
        if self.kind != "external":
            return 0.0
        return min(
            self.model.config.external_anchors.commission_rate, self.model.governance.commission_cap
        )

    def net_value_per_kg(self, product: int | None = None, origin: int | None = None) -> float:
        """What a kg is worth to its supplier after fees, commission, slot fee and shipping.

        Args:
            product: The product (default: the one it sells).
            origin: The village the kg would be bought in and shipped from (default: its own).
        """
        p = self.product if product is None else product
        v = self.base_village if origin is None else origin
        # One cell of :meth:`net_values` (the formula; a test compares), in the same operations.
        model = self.model
        value = self.price[p] * (1 - model.contracts.fee_by_product[p] - self.commission())
        if self.kind == "external":
            kg = max(self.forecast_orders * model.products.array("pack_kg")[p], 1.0)
            value = value - model.config.external_anchors.slot_fee_week / kg
        return float(value - model.logistics.ship_cost_village[v])

    def net_values(self, villages: np.ndarray) -> np.ndarray:
        """:meth:`net_value_per_kg` of every product bought in each of ``villages``: (R, P)."""
        model = self.model
        value = self.price * (1 - model.contracts.fee_by_product - self.commission())
        if self.kind == "external":
            kg = np.maximum(self.forecast_orders * model.products.array("pack_kg"), 1.0)
            value = value - model.config.external_anchors.slot_fee_week / kg
        return value[None, :] - model.logistics.ship_cost_village[villages][:, None]

    def weekly_margin(self) -> float:
        """Recent gross margin a week (revenue less cost of goods), the base of tool values."""
        if not self.margin_history:
            return 0.0
        return max(mean_of_few(self.margin_history[-4:]), 0.0)

    def perceived_detection(self) -> float:
        """The anchor's belief of being caught cheating, higher when its goods are traceable."""
        model = self.model
        cfg = model.config.regulation
        belief = model.beliefs.detection_belief
        traceable = "traceability" in self.tools and self.tools["traceability"].in_use
        if traceable or model.governance.traceability(self.base_village):
            return 1 - (1 - belief) * (1 - cfg.p_traceability)
        return belief

    def _tool_support(self) -> float:
        """Complexity removed by the village's service center (paper §4.2)."""
        model = self.model
        v = self.base_village
        center = model.world.service_center[v] or model.governance.service_center(v)
        return model.config.tools.service_center_support if center else 0.0

    # -- plan_week --------------------------------------------------------------------------------
    def plan_week(self) -> None:
        """Choose product, strategy and price; post what it needs to buy.

        Prices (with exaggeration, the bid share and tools) and the strategy are reviewed at
        random, with probability ``1/R`` a week each (Calvo 1983; ECONOMICS.md §A), from the
        anchors' stream. The sourcing stage (:mod:`village_sim.market.sourcing`) then clears every
        anchor's purchase and calls :meth:`finish_sourcing` (imports), then :meth:`finish_plan`
        (paid traffic, tools, sessions).
        """
        model = self.model
        cfg = model.config.anchors
        rng = model.streams["anchors"]
        self._plan_serial += 1
        self.sessions_planned = 0
        self.paid_views = 0.0
        self.fake_kg_week = 0.0
        self.reviewing_prices = pricing.calvo_review(rng, cfg.price_review_mean_weeks)
        self.brand_wanted = False
        reviewing_strategy = pricing.calvo_review(rng, cfg.strategy_review_mean_weeks)
        self._pay_brand_upkeep()
        if not self.can_trade(model.week):
            self._idle_week()
            return
        if (
            self.FUSED_PLAN
            and not reviewing_strategy
            and self.kind != "external"
            and self._plan_kept_product()
        ):
            return
        self._choose_product()
        if reviewing_strategy:
            self._review_strategy()
        self._set_price()
        self._source_goods()

    def _plan_kept_product(self) -> bool:
        """:meth:`plan_week`'s choice, price and purchase for a rural seller keeping its product.

        The common week: a streaming household's own product, or the product still in stock,
        priced before, no strategy review. The steps of :meth:`_choose_product`,
        :meth:`_set_price` and :meth:`_source_goods` in one pass, with the same floating-point
        operations, each shared value taken once (stock, funds, buffer, grams short, cost
        terms; the offer of the chosen village when neither price nor bid share has moved since
        it was computed). ``FUSED_PLAN = False`` runs the steps one by one (a test compares).

        Returns:
            False, having changed nothing, when another product may be chosen or the product is
            priced for the first time (the steps one by one apply).
        """
        model = self.model
        terms = self._week_terms()
        p = self.product
        slot = self.stock_slot(p)
        goods = model.goods.balances
        local_g = int(goods["anchor_stock"][slot])
        held = local_g + int(goods["anchor_import"][slot])
        if self.own_product is None:
            if held < terms.pack_g[p]:
                return False
        elif self.own_product != p:
            return False
        if p not in self._priced:
            return False
        buffer = self._buffer()
        parts = self._cost_parts_shared(p, buffer)
        self._plan_parts = ((self._plan_serial, model.week, p, self.base_village, buffer), parts)
        funds = self.available_funds()
        purchase = float(self.unit_cost[p])  # _purchase_cost_estimate: the reservation is parts[0]
        need = self._shortfall_g(p, funds, buffer, held, purchase if purchase > 0 else parts[0])
        price_p = float(self.price[p])
        # Without a need no cell scores (_best_cell): its cells are not looked for.
        found = self._source_cells(p, price_p) if need > 0 else None
        cell, offer = self._best_cell(found, need, slot, local_g) if found else (None, None)
        self.source_village = cell
        c_var, phi = self._cost_floor(p, parts)
        self.cost_floor_now = c_var
        reference = model.products[p].city_price
        if self.reviewing_prices:
            self._review_price(p, reference, c_var, (c_var, phi))
            self._review_bid_share()
            offer = None
        else:  # the price kept within [c_var, ceiling·p_ref] (as _set_price, in Python floats)
            price = self._kept_price(price_p, c_var, reference)
            if price != price_p:
                self.price[p] = price
                offer = None
        if offer is None:
            offer = model.contracts.offer_price(self, cell)
        self.offer_price = offer
        model.sourcing.post(self, need, funds)
        return True

    def finish_plan(self) -> None:
        """After the week's purchases: paid traffic, tools and sessions, if it has a pack to sell."""
        local, imported = self.stock_g()
        held = local + imported
        if held < self._week_terms().pack_g[self.product]:
            self._idle_week()
            return
        self._buy_paid_traffic(held)
        if self.reviewing_prices:
            self._review_tools(buy=True)
        self._build_brand()
        self._update_tool_use(active=True)
        self.sessions_planned = self._session_count()

    def _idle_week(self) -> None:
        """A week without trade: tools are reviewed (drops only) and sit idle."""
        if self.reviewing_prices:
            self._review_tools(buy=False)
        self._update_tool_use(active=False)

    def _choose_product(self) -> None:
        """Sell the product of the best (village, product) cell in reach (:meth:`_choose_source`).

        A streaming household sells its own product. An anchor still holding a pack of its
        product keeps selling it; with nothing worth buying anywhere in reach it keeps its
        product. A city anchor moves its base to the village it buys in (it is not tied to one).
        """
        cell = self._choose_source()
        self.source_village = None if cell is None else cell[0]
        if cell is None:
            return
        v, p = cell
        if self.kind == "external" and sum(self.stock_g(p)) == 0:
            self.base_village = v
        self.product = p

    def _products_to_consider(self) -> list[int]:
        """The products it may sell this week.

        A streaming household's own product; else the one still in stock (a pack or more: one
        lot at a time); else every product.
        """
        if self.own_product is not None:
            return [self.own_product]
        if sum(self.stock_g()) >= self._week_terms().pack_g[self.product]:
            return [self.product]
        return list(range(self._n_products))

    def _choose_source(self) -> tuple[int, int] | None:
        """:meth:`_choose_source_arrays`, in plain Python over a rural seller's few cells.

        A village and its 3 neighbours hold a handful of (village, product) cells, for which
        array operations cost more than the numbers; a city anchor's reach (the county) is
        taken with arrays. The same floating-point operations cell by cell (a test compares).
        """
        if self.kind == "external":
            return self._choose_source_county()
        model = self.model
        rows, km = self.reach_rows()
        products = self._products_to_consider()
        if len(products) == 1:
            return self._choose_source_one(products[0], rows, km)
        margin = self.surplus_cells(rows, km, products)
        contracts = model.contracts
        available, mask = contracts.available_rows(), contracts.grown_rows()
        cells = [
            [mask[v][p] and m > 0 for p, m in zip(products, row, strict=True)]
            for v, row in zip(rows, margin, strict=True)
        ]
        stock = [[available[v][p] for p in products] for v in rows]
        scoring = [
            j
            for j in range(len(products))
            if any(ok[j] and held[j] > 0 for ok, held in zip(cells, stock, strict=True))
        ]
        if not scoring:
            return None
        funds, buffer = self.available_funds(), self._buffer()
        need = [float(self._plan_shortfall_g(products[j], funds, buffer)) for j in scoring]
        n_p = len(model.products)
        goods = model.goods.balances["anchor_stock"]
        lot = []  # one lot per product: where the one in stock comes from
        for j in scoring:
            slot = self.index * n_p + products[j]
            lot.append(model.books.lot_village(slot) if goods[slot] > 0 else -1)
        cell = best_source_cell(cells, margin, stock, scoring, need, lot, rows)
        return None if cell is None else (rows[cell[0]], products[cell[1]])

    def _choose_source_one(
        self, p: int, rows: list[int], km: list[float]
    ) -> tuple[int, int] | None:
        """:meth:`_choose_source` when one product may be sold (its own, or the one in stock).

        The cells of :meth:`surplus_cells` and :func:`best_source_cell` in one pass over the
        reach: the same floating-point operations and the same first-best cell in row order.
        """
        found = self._source_cells(p, float(self.price[p]), rows, km)
        if not found:
            return None
        need = self._plan_shortfall_g(p, self._plan_funds(), self._buffer())
        slot = self.stock_slot(p)
        cell = self._best_cell(found, need, slot, self.model.goods.balances["anchor_stock"][slot])
        return None if cell[0] is None else (cell[0], p)

    def _source_cells(
        self,
        p: int,
        price_p: float,
        rows: list[int] | None = None,
        km: list[float] | None = None,
    ) -> list[tuple[int, float, float, float]]:
        """The cells of product ``p`` in reach where buying pays (:meth:`surplus_cells`' numbers).

        Args:
            p: The product.
            price_p: Its selling price.
            rows: Villages in reach (default: :meth:`reach_rows`).
            km: Their road km.

        Returns:
            ``(village, margin per kg, grams growers hold, offer per kg)`` in row order.
        """
        if rows is None:
            rows, km = self.reach_rows()
        model = self.model
        terms = self._week_terms()
        fee, res, available, grown = model.contracts.plan_tables()
        value = price_p * (1 - fee[p] - self.commission())
        if self.kind == "external":  # the slot fee per kg (net_values)
            kg = max(self.forecast_orders * terms.pack_kg[p], 1.0)
            value = value - model.config.external_anchors.slot_fee_week / kg
        floor = terms.min_farmer_share * price_p
        w = self.bid_share
        c_km = model.config.anchors.sourcing_cost_per_kg_km
        ship = model.logistics.ship_cost_rows()
        found = []
        for v, d in zip(rows, km, strict=True):
            if not grown[v][p]:
                continue
            net = value - ship[v]
            r = res[v][p]
            offer = r + w * (net - r) if net > r else net
            if offer < floor:
                offer = floor
            if offer < 0.0:
                offer = 0.0
            m = net - offer - c_km * d
            if m > 0:
                held = available[v][p]
                if held > 0:
                    found.append((v, m, held, offer))
        return found

    def _choose_source_county(self) -> tuple[int, int] | None:
        """:meth:`_choose_source_arrays` of a city anchor in plain Python (the county's cells).

        Every village at 0 km, the products :meth:`_choose_source_arrays` considers, the cells of
        :meth:`_source_cells` and the first best cell in row-major order (village, then product)
        as :func:`best_source_cell` finds it: the same floating-point operations (a test
        compares), without a dozen NumPy calls on a few dozen cells.
        """
        model = self.model
        terms = self._week_terms()
        products = self._products_to_consider()
        rows, km = terms.county
        cells = {}
        for p in products:
            found = self._source_cells(p, float(self.price[p]), rows, km)
            if found:
                cells[p] = {v: (m, held) for v, m, held, _ in found}
        if not cells:
            return None
        scoring = list(cells)  # ascending, as products
        funds, buffer = self.available_funds(), self._buffer()
        need = [float(self._plan_shortfall_g(p, funds, buffer)) for p in scoring]
        goods = model.goods.balances["anchor_stock"]
        lot = []  # one lot per product: where the one in stock comes from
        for p in scoring:
            slot = self.stock_slot(p)
            lot.append(model.books.lot_village(slot) if goods[slot] > 0 else -1)
        best, cell = 0.0, None
        for v in rows:
            for j, p in enumerate(scoring):
                found = cells[p].get(v)
                if found is not None and need[j] > 0 and (lot[j] < 0 or lot[j] == v):
                    score = found[0] * min(found[1], need[j])
                    if score > best:
                        best, cell = score, (v, p)
        return cell

    def _best_cell(
        self, found: list[tuple[int, float, float, float]], need_g: int, slot: int, local_g: int
    ) -> tuple[int | None, float | None]:
        """The first cell of ``found`` with the highest ``margin·min(held, need)`` (above 0).

        Only the village of the lot in stock may score while the lot holds goods.

        Returns:
            ``(village, offer)``, or ``(None, None)`` when no cell scores.
        """
        need = float(need_g)
        if need <= 0:
            return None, None
        lot = self.model.books.lot_village(slot) if local_g > 0 else -1
        best, cell, offer = 0.0, None, None
        for v, m, held, bid in found:
            if lot < 0 or lot == v:
                score = m * min(held, need)
                if score > best:
                    best, cell, offer = score, v, bid
        return cell, offer

    def net_value_column(self, rows: list[int], p: int) -> list[float]:
        """``surplus_cells(rows, …, [p], net_value=True)`` as one list: the same operations."""
        model = self.model
        value = float(self.price[p]) * (1 - model.contracts.fee_rows()[p] - self.commission())
        ship = model.logistics.ship_cost_rows()
        return [value - ship[v] for v in rows]

    def surplus_cells(
        self,
        villages: list[int],
        km: list[float],
        products: list[int],
        net_value: bool = False,
    ) -> list[list[float]]:
        """:meth:`surplus_per_kg` of ``products`` (columns) in ``villages`` (rows), plain Python.

        The same floating-point operations as the array formulas (:meth:`net_values`,
        :meth:`Contracts.offers`), cell by cell; a rural seller's (no slot fee).

        Args:
            villages: Rows.
            km: Road km to each of ``villages``.
            products: Columns.
            net_value: Return :meth:`net_values` instead (no offer, no km).
        """
        model = self.model
        commission = self.commission()
        w = self.bid_share
        floor_share = model.governance.min_farmer_share()
        c_km = model.config.anchors.sourcing_cost_per_kg_km
        fee = model.contracts.fee_rows()
        ship = model.logistics.ship_cost_rows()
        res = model.contracts.reservation_rows()
        price = self.price.tolist()
        columns = []
        for p in products:
            price_p = price[p]
            columns.append((p, price_p * (1 - fee[p] - commission), floor_share * price_p))
        out = []
        for v, d in zip(villages, km, strict=True):
            ship_v, row = ship[v], []
            res_v = res[v]
            cost_km = c_km * d
            for p, value, floor in columns:
                net = value - ship_v
                if net_value:
                    row.append(net)
                    continue
                r = res_v[p]
                offer = r + w * (net - r) if net > r else net
                offer = max(max(offer, floor), 0.0)
                row.append(net - offer - cost_km)
            out.append(row)
        return out

    def _choose_source_arrays(self) -> tuple[int, int] | None:
        """The cell in reach where buying pays most this week (ECONOMICS.md §A "Sourcing").

        Over its reach (its village and the nearest by road km; the whole county for a city
        anchor) and the products it may sell, the cell with the highest
        ``(net value − offer − c_km·km)·min(available, need)``: net value per kg after fees,
        commission, slot fee and shipping from that village, the offer it would make there, the
        cost of buying ``km`` road km from its village, connected growers' stores (the week's
        snapshot) and its stock target less stock. A product whose lot still holds goods can
        only be bought where that lot comes from (one lot per product at a time).

        Returns:
            ``(village, product)``, or None when no cell pays.
        """
        model = self.model
        n_p = len(model.products)
        villages, km = self.reach()
        products = np.array(self._products_to_consider())
        margin = self.surplus_per_kg(villages, km)
        available = model.contracts.available_by_village_product()[villages]
        buyable = model.world.product_mask[villages] & (margin > 0)
        # A cell scores only where growers hold goods that pay: the stock shortfall (funds,
        # buffer and targets, the same funds and buffer for every product) is taken only for
        # products with such a cell; the others' need stays 0 and their score 0 either way.
        scoring = products[(buyable[:, products] & (available[:, products] > 0)).any(axis=0)]
        if not scoring.size:
            return None
        scoring = scoring.tolist()
        funds, buffer = self.available_funds(), self._buffer()
        need = [float(self._plan_shortfall_g(p, funds, buffer)) for p in scoring]
        slots = self.index * n_p + np.array(scoring)
        held = model.goods.balances["anchor_stock"][slots] > 0
        lot = np.where(held, model.books.lot_village(slots), -1)  # one lot per product
        cell = best_source_cell(buyable, margin, available, scoring, need, lot.tolist(), villages)
        return None if cell is None else (int(villages[cell[0]]), cell[1])

    def reach(self) -> tuple[np.ndarray, np.ndarray]:
        """Villages it may buy in and their road km from its village (a city anchor: all, 0 km)."""
        world = self.model.world
        if self.kind == "external":
            return np.arange(world.n_villages), np.zeros(world.n_villages)
        return world.reach.of(self.base_village)

    def reach_rows(self) -> tuple[list[int], list[float]]:
        """:meth:`reach` of a rural seller as lists, remembered while its village stays."""
        memo = self._reach_memo
        if memo is None or memo[0] != self.base_village:
            villages, km = self.reach()
            memo = self._reach_memo = (self.base_village, villages.tolist(), km.tolist())
        return memo[1], memo[2]

    def surplus_per_kg(self, villages: np.ndarray, km: np.ndarray) -> np.ndarray:
        """``net value − offer − c_km·km`` per kg of each product bought in each village (R, P)."""
        c_km = self.model.config.anchors.sourcing_cost_per_kg_km
        net = self.net_values(villages)
        return net - self.model.contracts.offers(self, villages, net) - c_km * km[:, None]

    # -- strategy (ECONOMICS.md §A "Strategy"; paper §3.1, §3.3) ----------------------------------
    def _review_strategy(self) -> None:
        """Build a brand when its present-biased value beats its cost; drop one that no longer pays.

        Build iff ``β·Σδ^τ a_τ(E_τ·G − U_b) > C_b`` and standard quality (``Q > 0``), paid at the
        end of the week's plan if the funds left after stock, paid traffic and tools cover ``C_b``
        (:meth:`_build_brand`); drop iff ``E·G < U_b`` once the brand has had its
        build-up weeks (the cost is sunk), equity then decaying (:func:`pricing.equity_after`).
        """
        if self.kind == "external":
            return
        model = self.model
        cfg = model.config.anchors
        p = self.product
        quality = model.governance.brand_quality_factor(self.base_village, p)
        gain = self._brand_gain(p, quality)
        equity = self.brand_equity()
        if self.strategy == "brand":
            built = model.week - (self.brand_since if self.brand_since is not None else model.week)
            if built >= cfg.brand_delay_weeks and not pricing.keep_brand(
                equity, gain, cfg.brand_upkeep_week
            ):
                self.strategy = "imitate"
            return
        beta, activity, delta = self._valuation_inputs()
        sums = pricing.brand_sums(
            delta, activity, pricing.equity_path(len(activity), equity, cfg.brand_delay_weeks)
        )
        # Whether the funds pay for it is seen after the week's stock, traffic and tools
        # (ECONOMICS.md §A "Budget": the brand comes last, all or nothing; _build_brand).
        self.brand_wanted = pricing.build_brand(
            beta, gain, cfg.brand_upkeep_week, *sums, cfg.brand_cost, math.inf, quality
        )

    def _build_brand(self) -> None:
        """Build the brand decided at this week's review if the funds left still pay for it."""
        if not self.brand_wanted:
            return
        self.brand_wanted = False
        model = self.model
        cost = model.config.anchors.brand_cost
        committed = self.paid_views * model.config.platform.cpm_yuan / 1000
        if cost > self.available_funds() - committed:
            return
        self.brand_equity()  # bring equity up to date before it starts to build
        self.strategy = "brand"
        self.brand_since = model.week
        model.money.transfer(
            Flow.BRAND_BUILDING, Account.ANCHORS, self.index, Account.VENDORS, 0, to_fen(cost)
        )

    def _brand_gain(self, p: int, quality: float) -> float:
        """``G = m·f·(exp(ω_b·T_v·Q) − 1)`` at the current price (:func:`pricing.brand_gain`)."""
        model = self.model
        c_var, phi = self._plan_cost_terms(p)
        margin = pricing.margin_per_order(self.price[p], c_var, phi, model.products[p].pack_kg)
        trust = model.consumers.village_brand_trust(self.base_village)
        return pricing.brand_gain(
            max(margin, 0.0),
            self.forecast_orders,
            model.config.consumers.brand_weight,
            trust,
            quality,
        )

    def _pay_brand_upkeep(self) -> None:
        """A kept brand costs ``U_b`` a week (design, packaging, certification; assumed)."""
        if self.strategy != "brand":
            return
        upkeep = self.model.config.anchors.brand_upkeep_week
        self.model.money.transfer(
            Flow.BRAND_UPKEEP, Account.ANCHORS, self.index, Account.VENDORS, 0, to_fen(upkeep)
        )

    def brand_equity(self) -> float:
        """Equity E of the anchor's brand (0 → 1 over ``brand_delay_weeks`` while kept).

        After a drop it halves every ``brand_equity_half_life_weeks``.
        """
        week = self.model.week
        if week != self._equity_week:
            cfg = self.model.config.anchors
            self._equity = pricing.equity_after(
                self._equity,
                week - self._equity_week,
                self.strategy == "brand",
                cfg.brand_delay_weeks,
                cfg.brand_equity_half_life_weeks,
            )
            self._equity_week = week
        return self._equity

    def branded(self) -> bool:
        """Whether the anchor's goods carry any brand equity."""
        return self.brand_equity() > 0.0

    def brand_term(self) -> float:
        """``Q·E``: what consumers' brand utility ``ω_b·T_v·Q·E`` reads of this seller."""
        equity = self.brand_equity()
        if equity <= 0.0:
            return 0.0
        return equity * self.model.governance.brand_quality_factor(self.base_village, self.product)

    # -- pricing (ECONOMICS.md §A "Pricing"; paper §3.1, §3.3) -----------------------------------
    def _init_pricing(self) -> None:
        """State of the pricing rules: the sales memory, brand equity, products priced so far."""
        self.memory = pricing.SalesMemory(
            weeks=max(self.model.config.anchors.refund_memory_weeks, 4) + 1
        )
        self.reviewing_prices = False
        self.brand_wanted = False
        self.exaggeration_kept = 1.0  # a code of conduct's members keep a share (policies)
        self.cost_floor_now = 0.0
        self._equity = 0.0
        self._equity_week = self.model.week
        self._priced: set[int] = set()
        self._plan_serial = 0
        self._reach_memo: tuple[int, list[int], list[float]] | None = None
        self._plan_parts: tuple[tuple, tuple[float, float, float, float]] | None = None
        self._shortfall_memo: tuple[tuple, int] | None = None
        self._funds_memo: tuple[int, float] | None = None
        self._terms: WeekTerms | None = None

    def _set_price(self) -> None:
        """Newcomer price, then Calvo reviews toward ``p*`` moved by the review signal.

        City anchors keep their deep-discount policy, never below ``c_var``. At a review an
        imitator averages its own move with ``p̄``, a brand builder takes its own move; each
        review moves the price by at most ``price_step_max``, within ``[c_var, ceiling·p_ref]``.
        """
        model = self.model
        p = self.product
        reference = model.products[p].city_price
        terms = self._plan_cost_terms(p)
        c_var = terms[0]
        self.cost_floor_now = c_var
        if self.kind == "external":
            self.price[p] = pricing.city_anchor_price(
                reference, model.config.external_anchors.markdown, c_var
            )
            if self.reviewing_prices:
                self._choose_exaggeration(terms)
            return
        if p not in self._priced:
            self._priced.add(p)
            target = pricing.target_price(c_var, reference, model.config.consumers.price_weight)
            self.price[p] = pricing.newcomer_price(c_var, self.peer_price(p), target)
            self._choose_exaggeration(terms)
            return
        if self.reviewing_prices:
            self._review_price(p, reference, c_var, terms)
            return
        self.price[p] = self._kept_price(self.price[p], c_var, reference)

    def _kept_price(self, price: float, c_var: float, reference: float) -> float:
        """A price not under review, kept within ``[c_var, ceiling·p_ref]``."""
        ceiling = self.model.config.anchors.price_ceiling * reference
        return min(max(price, c_var), max(ceiling, c_var))

    def _review_price(
        self, p: int, reference: float, c_var: float, terms: tuple[float, float]
    ) -> None:
        """A price review: toward ``p*``, moved by the signal (an imitator also toward ``p̄``).

        Then the exaggeration is chosen at the new price (:meth:`_choose_exaggeration`).

        Args:
            p: The product.
            reference: Its city price ``p_ref``.
            c_var: The cost floor.
            terms: ``(c_var, φ)``.
        """
        model = self.model
        cfg = model.config.anchors
        target = pricing.target_price(c_var, reference, model.config.consumers.price_weight)
        signal = self.review_signal()
        move = pricing.own_move(
            self.price[p], target, signal, cfg.price_adjust_rate, cfg.price_signal_weight
        )
        new = (
            move
            if self.strategy == "brand"
            else pricing.imitator_price(  # p̄ is read only where a rule uses it
                move, self.peer_price(p), signal, cfg.imitator_peer_weight, cfg.imitator_undercut
            )
        )
        self.price[p] = pricing.bounded_price(
            self.price[p], new, c_var, reference, cfg.price_step_max, cfg.price_ceiling
        )
        self._choose_exaggeration(terms)

    def peer_price(self, p: int) -> float | None:
        """``p̄``: kg-weighted mean price of the product's other sellers over the review window."""
        weeks = self.model.config.anchors.review_window_weeks
        own = self.memory.own_sales(p, weeks)
        return self.model.market.peer_prices.mean_price(p, own)

    def review_signal(self) -> float:
        """``g`` over the review window (:func:`pricing.review_signal`; ECONOMICS.md §A)."""
        model = self.model
        cfg = model.config.anchors
        spec = model.products[self.product]
        window = self.memory.totals(cfg.review_window_weeks)
        unfilled = pricing.unfilled_share(window.wanted, window.filled)
        if spec.fresh:
            stock_now = sum(self.stock_g())
            bought = window.sold_g + window.unsold_g + stock_now - window.stock_open_g
            unsold = pricing.unsold_share_fresh(window.unsold_g, bought)
        else:
            unsold = pricing.unsold_share_storable(
                sum(self.stock_g()) / 1000,
                self.forecast_orders * spec.pack_kg,
                cfg.storable_stock_weeks,
            )
        return pricing.review_signal(
            unfilled, unsold, self._buffer(), cfg.unfilled_target, cfg.price_signal_deadband
        )

    def _cost_terms(self, p: int) -> tuple[float, float]:
        """``(c_var, φ)`` of a product for this anchor (:func:`pricing.cost_floor`)."""
        return self._cost_floor(p, self._cost_parts(p, self._buffer()))

    def _plan_cost_terms(self, p: int) -> tuple[float, float]:
        """:meth:`_cost_terms` within this week's plan (strategy, price, paid traffic).

        Between :meth:`plan_week` and :meth:`finish_plan` only the cost of stock moves (a
        purchase): the parts that do not depend on it (refunds, fees, spoilage, shipping, the
        growers' reservation) are taken once per plan, product, village and buffer.
        """
        buffer = self._buffer()
        key = (self._plan_serial, self.model.week, p, self.base_village, buffer)
        memo = self._plan_parts
        if memo is None or memo[0] != key:
            memo = self._plan_parts = (key, self._cost_parts_shared(p, buffer))
        return self._cost_floor(p, memo[1])

    def _week_terms(self) -> WeekTerms:
        """:func:`week_terms`, kept by the anchor while they are current."""
        terms = self._terms
        if terms is None or not terms.current(self.model):
            terms = self._terms = week_terms(self.model)
        return terms

    def _cost_parts_shared(self, p: int, buffer: float) -> tuple[float, float, float, float]:
        """:meth:`_cost_parts` from the week's shared parts (:meth:`WeekTerms.cost_parts`).

        Only the refund share is the anchor's own; the same floating-point operations.
        """
        cfg = self.model.config.anchors
        reservation, shipping, spoil, fee, route = self._week_terms().cost_parts(
            self.kind, self.commission(), p, self.base_village, buffer
        )
        refunds, sales = self.memory.refunds_and_sales(cfg.refund_memory_weeks)
        refund = pricing.refund_share(refunds, sales, route, cfg.refund_prior_sales)
        return (
            reservation,
            shipping,
            spoil,
            pricing.cost_share(fee, 0.0, refund, cfg.cost_share_cap),
        )

    def _cost_parts(self, p: int, buffer: float) -> tuple[float, float, float, float]:
        """``(reservation, shipping, spoil share, φ)``: the cost floor's inputs but the stock cost."""
        model = self.model
        cfg = model.config.anchors
        spec = model.products[p]
        refunds, sales = self.memory.refunds_and_sales(cfg.refund_memory_weeks)
        refund = pricing.refund_share(
            refunds,
            sales,
            model.logistics.route_spoilage(p, self.base_village),
            cfg.refund_prior_sales,
        )
        phi = pricing.cost_share(self.fee_rate(p), self.commission(), refund, cfg.cost_share_cap)
        reservation = model.contracts.typical_reservation(self.base_village, p)
        logistics = model.logistics
        weeks = buffer / (1 + buffer) if spec.fresh else cfg.storable_stock_weeks / 2
        weekly = logistics.origin_spoilage(spec.perishability_per_day, self.base_village)
        spoil = pricing.origin_spoilage_share(weekly, weeks)
        shipping = logistics.ship_cost_village[self.base_village]
        return reservation, shipping, spoil, phi

    def _cost_floor(self, p: int, parts: tuple[float, float, float, float]) -> tuple[float, float]:
        """``(c_var, φ)`` from :meth:`_cost_parts`: the stock's cost, else the reservation."""
        reservation, shipping, spoil, phi = parts
        purchase = float(self.unit_cost[p])  # a Python float: the same number, cheaper to use
        if not purchase > 0:
            purchase = reservation
        cap = self.model.config.anchors.spoilage_share_cap
        return pricing.cost_floor(purchase, shipping, spoil, phi, cap), phi

    def _unit_cost_estimate(self, p: int) -> float:
        """The refund-aware variable cost of a kg sold, ``c_var`` (ECONOMICS.md §A)."""
        return self._cost_terms(p)[0]

    def _choose_exaggeration(self, terms: tuple[float, float] | None = None) -> None:
        """Pick the exaggeration level with the best expected payoff (extension; ECONOMICS.md §A).

        Args:
            terms: ``_cost_terms(product)`` when the caller has just computed them.
        """
        model = self.model
        cfg = model.config
        p = self.product
        spec = model.products[p]
        c_var, phi = self._cost_terms(p) if terms is None else terms
        price = float(self.price[p])  # the same number as a Python float (cheaper arithmetic)
        margin = max(pricing.margin_per_order(price, c_var, phi, spec.pack_kg), 0.0)
        revenue = self.forecast_orders * price * spec.pack_kg
        brand_trust = model.consumers.village_brand_trust(self.base_village)
        w = cfg.consumers.unfollowed_brand_weight
        trust = (1 - w) * cfg.consumers.trust_initial + w * brand_trust
        detection = self.perceived_detection()
        multiplier = cfg.regulation.fine_multiplier * model.governance.penalty_multiplier()
        gain_weeks = cfg.regulation.offence_gain_weeks
        levels = pricing.exaggeration_levels(
            cfg.anchors.exaggeration_max, cfg.anchors.exaggeration_step
        )
        payoff = {
            e: pricing.exaggeration_payoff(
                e,
                self.forecast_orders,
                margin,
                cfg.consumers.quality_weight,
                trust,
                self.honesty_cost,
                revenue,
                cfg.regulation.exaggeration_limit,
                detection,
                max(cfg.regulation.min_fine, multiplier * e * gain_weeks * revenue),
            )
            for e in levels
        }
        self.exaggeration = pricing.choose_exaggeration(levels, payoff) * self.exaggeration_kept

    # -- quantities (ECONOMICS.md §A "Quantities") -----------------------------------------------
    def _buffer(self) -> float:
        """Safety buffer ``b``, smaller with a forecasting tool in use."""
        return self.model.config.anchors.stock_buffer * (1 - self.tool_effect("forecast"))

    def _stock_shortfall_g(self, p: int, funds: float, buffer: float) -> int:
        """Grams short of the stock target of product ``p``, as far as ``funds`` pay (``≥ 0``).

        The target: ``f·(1 + b)`` packs fresh, ``× W_s`` storable. The purchase itself is capped
        again by the funds at the offer actually made.

        Args:
            p: The product.
            funds: :meth:`available_funds` now.
            buffer: :meth:`_buffer` now.
        """
        held = sum(self.stock_g(p))
        return self._shortfall_g(p, funds, buffer, held, self._purchase_cost_estimate(p))

    def _shortfall_g(self, p: int, funds: float, buffer: float, held: int, cost: float) -> int:
        """:meth:`_stock_shortfall_g` from the grams ``held`` and the cost of a kg bought."""
        cfg = self.model.config.anchors
        spec = self.model.products[p]
        packs = pricing.stock_target_packs(
            self.forecast_orders, buffer, spec.fresh, cfg.storable_stock_weeks
        )
        want = max(round(float(packs * spec.pack_kg) * GRAMS_PER_KG) - held, 0)  # to_grams
        return min(want, affordable_grams(funds, cost))

    def _plan_funds(self) -> float:
        """:meth:`available_funds` within this week's plan, read once.

        From choosing where to buy to posting the purchase nothing is paid (the brand upkeep is
        paid before; the brand, stock, traffic and tools after the purchases clear).
        """
        memo = self._funds_memo
        if memo is not None and memo[0] == self._plan_serial:
            return memo[1]
        funds = self.available_funds()
        self._funds_memo = (self._plan_serial, funds)
        return funds

    def _plan_shortfall_g(self, p: int, funds: float, buffer: float) -> int:
        """:meth:`_stock_shortfall_g` within this week's plan, taken once per product and inputs.

        Between choosing where to buy and posting the purchase nothing is bought or paid (stock,
        its cost, the forecast and the funds stay), so the grams short are the same numbers.
        """
        key = (self._plan_serial, p, funds, buffer)
        memo = self._shortfall_memo
        if memo is not None and memo[0] == key:
            return memo[1]
        grams = self._stock_shortfall_g(p, funds, buffer)
        self._shortfall_memo = (key, grams)
        return grams

    def _week_need_g(self) -> int:
        """Grams for one week of forecast demand plus the safety buffer."""
        spec = self.model.products[self.product]
        return int(to_grams(self.forecast_orders * spec.pack_kg * (1 + self._buffer())))

    def _purchase_cost_estimate(self, p: int) -> float:
        """What a kg of the product costs to buy (last paid, else the growers' reservation)."""
        if self.unit_cost[p] > 0:
            return float(self.unit_cost[p])
        return self.model.contracts.typical_reservation(self.base_village, p)

    def _source_goods(self) -> None:
        """Post the week's purchase to the sourcing stage: product, grams short of target, offer.

        The offer is the one it would make in the cell it chose (its own village when none pays);
        the bid share behind it is reviewed with its price (:meth:`_review_bid_share`).
        """
        model = self.model
        if self.reviewing_prices:
            self._review_bid_share()
        funds = self._plan_funds()  # nothing is paid until the purchases clear
        need = self._plan_shortfall_g(self.product, funds, self._buffer())
        self.offer_price = model.contracts.offer_price(self, self.source_village)
        model.sourcing.post(self, need, funds)

    def finish_sourcing(self, need_g: int, bought_g: int, supply_g: int | None) -> None:
        """After the purchases cleared: note supply against need; import what is still short.

        Args:
            need_g: Grams it asked for.
            bought_g: Grams it bought from growers.
            supply_g: Grams growers in the chosen village would have sold it at its offer; None
                when no grower in reach held the product (no offer could have bought any).
        """
        if supply_g is not None:
            self.sourcing_need_g += need_g
            self.sourcing_supply_g += supply_g
        short = need_g - bought_g
        if short > 0:
            local, imported = self.stock_g()
            self._maybe_import(min(short, self._week_need_g() - local - imported))

    def _init_sourcing(self) -> None:
        """Sourcing state: bid share ``w`` (farmers' share of the surplus), need and supply seen."""
        sc = self.model.config
        external = self.kind == "external"
        self.bid_share = (
            sc.external_anchors.bargaining_weight if external else sc.farmers.bargaining_weight
        )
        self.source_village: int | None = None
        self.sourcing_need_g = 0
        self.sourcing_supply_g = 0

    def _review_bid_share(self) -> None:
        """At a price review, ``w`` rises after supply fell short of need, falls after a glut.

        Supply is what growers would have sold it at its offers since the last review, need what it
        asked for; ``w`` moves by ``bid_share_step`` within ``[bid_share_min, bid_share_max]``
        (ECONOMICS.md §A: buying prices move both ways too).
        """
        cfg = self.model.config.anchors
        need, supply = self.sourcing_need_g, self.sourcing_supply_g
        if need > 0 and supply < need:
            self.bid_share += cfg.bid_share_step
        elif supply > 2 * need:
            self.bid_share -= cfg.bid_share_step
        self.bid_share = min(max(self.bid_share, cfg.bid_share_min), cfg.bid_share_max)
        self.sourcing_need_g = self.sourcing_supply_g = 0

    def _maybe_import(self, need_g: int) -> int:
        """Fill a shortfall with out-of-region goods sold as local: priced, budgeted, decided.

        Imports cost ``import_price_share × farm-gate`` a kg, paid to the out-of-county suppliers;
        they are bought only when :meth:`_import_decision` says the gain is worth the honesty cost
        and the expected fine, and only as far as :meth:`available_funds` still covers them
        (ECONOMICS.md §A "Budget": this week's stock, imports included, comes first).

        Returns:
            Grams imported.
        """
        if need_g <= 0:
            return 0  # nothing to import (the decision below changes nothing)
        model = self.model
        p = self.product
        spec = model.products[p]
        import_price = spec.import_price_share * spec.farm_gate_price
        net = (
            self.price[p] * (1 - self.fee_rate(p) - self.commission())
            - (model.logistics.ship_cost_village[self.base_village])
        )
        if not self._import_decision(net - import_price):
            return 0
        grams = min(int(need_g), affordable_grams(self.available_funds(), import_price))
        if grams <= 0:
            return 0
        slot = self.index * len(model.products) + p
        model.goods.transfer(Flow.IMPORT, Account.IMPORTS, 0, Account.ANCHOR_IMPORT, slot, grams)
        model.money.transfer(
            Flow.IMPORT_PURCHASE,
            Account.ANCHORS,
            self.index,
            Account.SUPPLIERS,
            0,
            to_fen(import_price * grams / 1000),
        )
        self.fake_kg_week += grams / 1000
        return grams

    def _import_decision(self, gain: float) -> bool:
        """Whether selling an imported kg as local is worth it (the fake-origin decision).

        :func:`pricing.import_pays`: the gain per kg must beat the honesty cost (a share of the
        price) plus the perceived chance of detection times the fine (extension).

        Args:
            gain: Net value of a kg sold less its import price (yuan/kg).
        """
        model = self.model
        multiplier = model.config.regulation.fine_multiplier * model.governance.penalty_multiplier()
        return pricing.import_pays(
            gain,
            self.honesty_cost,
            self.price[self.product],
            self.perceived_detection(),
            multiplier * max(gain, 0.0),
        )

    # -- paid traffic (ECONOMICS.md §A "Paid traffic") --------------------------------------------
    def _buy_paid_traffic(self, held: int | None = None) -> None:
        """Views for the stock the forecast will not clear, when a view's margin pays its price.

        ``views = min((stock packs − f)/ĉ, A·1000/cpm)`` (the platform caps what it delivers),
        only when ``ĉ·m > cpm/1000``: no stock, no traffic.

        Args:
            held: Grams of the product in stock (local and imported) when the caller has just
                read them.
        """
        model = self.model
        p = self.product
        spec = model.products[p]
        c_var, phi = self._plan_cost_terms(p)
        margin = pricing.margin_per_order(float(self.price[p]), c_var, phi, spec.pack_kg)
        if held is None:
            held = sum(self.stock_g())
        stock_packs = held / self._week_terms().pack_g[p]
        self.paid_views = pricing.paid_views(
            stock_packs,
            self.forecast_orders,
            self.conversion_estimate(),
            margin,
            model.config.platform.cpm_yuan,
            self.available_funds(),
        )

    # -- tools (ECONOMICS.md §A "Tools"; paper §3.1, §3.2 技术悬浮) -------------------------------
    def _review_tools(self, buy: bool) -> None:
        """Drop held tools whose perceived value is below upkeep; buy on perceived benefit.

        Bought iff ``β·Σδ^τ a_τ·(V_p − upkeep) > price`` within the available funds, after this
        week's paid traffic (:func:`pricing.buy_tool`).
        """
        model = self.model
        market = model.config.tools
        margin = self.weekly_margin()
        fresh = model.products[self.product].fresh
        for name in list(self.tools):
            spec = market.catalogue[name]
            peer = model.tool_adoption.share(name)
            value = toolrules.perceived_weekly_value(
                spec,
                toolrules.fit(spec, fresh),
                margin,
                market.overconfidence,
                peer,
                market.peer_weight,
            )
            if not pricing.keep_tool(value, spec.upkeep_week):
                del self.tools[name]
                model.tool_adoption.dropped(name)
        if not buy:
            return
        beta = self.traits.present_bias
        horizon_sum = self._activity_sum()
        funds = self.available_funds() - self.paid_views * model.config.platform.cpm_yuan / 1000
        for name, spec in market.catalogue.items():
            if name in self.tools:
                continue
            peer = model.tool_adoption.share(name)
            value = toolrules.perceived_weekly_value(
                spec, market.perceived_fit, margin, market.overconfidence, peer, market.peer_weight
            )
            if pricing.buy_tool(beta, value, spec.upkeep_week, horizon_sum, spec.price, funds):
                self.acquire_tool(name, handed_out=False)
                funds -= spec.price

    def acquire_tool(self, name: str, handed_out: bool) -> None:
        """Take a tool: bought (paid to vendors) or handed out by a policy (paid elsewhere)."""
        spec = self.model.config.tools.catalogue[name]
        if not handed_out:
            self.model.money.transfer(
                Flow.TOOL_PURCHASE,
                Account.ANCHORS,
                self.index,
                Account.VENDORS,
                0,
                to_fen(spec.price),
            )
        if name not in self.tools and not self.exited:
            self.model.tool_adoption.acquired(name)
        self.tools[name] = toolrules.Holding(name, self.model.week, handed_out)

    def _update_tool_use(self, active: bool) -> None:
        """Apply the in-use rule to each tool held, record its idle reason; upkeep is paid anyway.

        The week's tool tallies (held, in use, idle by reason; rural sellers while trading) are
        counted here, where the reason is known (:func:`pricing.idle_reason`).
        """
        if not self.tools:
            return  # nothing to apply, tally or pay
        model = self.model
        support = self._tool_support() if self.is_local else 0.0
        fresh = model.products[self.product].fresh
        margin = self.weekly_margin()
        suspended = self.suspended(model.week)
        stats = model.week_stats
        for holding in self.tools.values():
            spec = model.config.tools.catalogue[holding.name]
            fit = toolrules.fit(spec, fresh)
            reason = pricing.idle_reason(
                suspended,
                active,
                toolrules.usable(spec, self.skill, support),
                fit,
                toolrules.weekly_value(spec, fit, margin),
                spec.effort_week,
            )
            holding.in_use = reason is None
            holding.idle_reason = reason
            holding.idle_weeks = 0 if holding.in_use else holding.idle_weeks + 1
            toolrules.tally_tool_week(stats, holding, self.is_local)
            if spec.upkeep_week > 0:
                model.money.transfer(
                    Flow.TOOL_UPKEEP,
                    Account.ANCHORS,
                    self.index,
                    Account.VENDORS,
                    0,
                    to_fen(spec.upkeep_week),
                )

    def tool_effect(self, effect: str) -> float:
        """Combined effect (share) of the tools in use with this effect, at their real fit."""
        if not self.tools:
            return 0.0  # min(0.0, effect_cap)
        total = 0.0
        fresh = self.model.products[self.product].fresh
        for holding in self.tools.values():
            spec = self.model.config.tools.catalogue[holding.name]
            if holding.in_use and spec.effect == effect:
                total += spec.effect_size * toolrules.fit(spec, fresh)
        return min(total, self.model.config.tools.effect_cap)

    def _valuation_inputs(self) -> tuple[float, np.ndarray, float]:
        """``(β, a_τ for τ = 1 … H, δ)`` for spending now against a delayed gain (brand, tools).

        The person's present bias, the activity calendar of the goods in its reach ahead and the
        weekly discount factor, as the valuation of staying reads them (ECONOMICS.md §A).
        """
        model = self.model
        activity = model.valuation.ahead(self.reach_products(), model.week)
        return self.traits.present_bias, activity, model.config.anchors.discount_factor_week

    def _activity_sum(self) -> float:
        """``Σ_τ δ^τ a_τ`` over the reach's calendar ahead, as :func:`pricing.brand_sums` sums it.

        The same for every seller of the same products this week: taken once a week.
        """
        model = self.model
        products = tuple(self.reach_products())
        delta = model.config.anchors.discount_factor_week

        def compute() -> float:
            activity = model.valuation.ahead(products, model.week)
            return pricing.brand_sums(delta, activity, np.ones(len(activity)))[0]

        return model.valuation.weekly(("activity_sum", products, delta), compute)

    @property
    def brand_upkeep_week(self) -> float:
        """``U_b`` while it keeps a brand, else 0 (part of its fixed cost F)."""
        return self.model.config.anchors.brand_upkeep_week if self.strategy == "brand" else 0.0

    def _session_count(self) -> int:
        base = self.sessions_capacity()
        return int(round(base * (1 + self.tool_effect("sessions"))))

    # -- learn_or_exit ----------------------------------------------------------------------------
    def record_week(
        self,
        revenue: float,
        gross_margin: float,
        income: float,
        views: float,
        orders: float,
        wanted: float,
        complaints: int,
    ) -> None:
        """Store this week's results (called by the market after settlement)."""
        self.revenue_history.append(revenue)
        self.margin_history.append(gross_margin)
        self.income_history.append(income)
        slot = self.model.week % 4
        self.views_hist[slot] = views
        self.orders_hist[slot] = orders
        self.complaints_hist[slot] = complaints
        if self.sessions > 0:
            a = self.model.config.anchors.demand_smoothing
            a = min(1.0, a * (1 + self.tool_effect("forecast")))
            self.forecast_orders = (1 - a) * self.forecast_orders + a * wanted

    def stay_or_leave(self) -> None:
        """Learn by doing, update M̂, and at a review compare streaming with the outside option.

        Learning by doing: skill → aptitude per session, decaying when idle (MODEL.md §3). After
        an active week ``M̂ += (y − M̂)·max(1/(n0 + n), floor)`` with y its gross margin
        (decreasing-gain learning; extension). With probability 1/R a week (Calvo 1983) the
        anchor reviews: it leaves iff ΔV < 0 (ECONOMICS.md §A; reason ``outside_option``).
        """
        model = self.model
        cfg = model.config.anchors
        if self.exited:
            return
        if self.sessions > 0:
            eta = cfg.learning_rate * model.governance.learning_multiplier(self)
            self.skill = self.aptitude - (self.aptitude - self.skill) * (1 - eta) ** self.sessions
            self.active_weeks += 1
            self._learn_margin(self.margin_history[-1] if self.margin_history else 0.0)
        else:
            self.skill = max(0.0, self.skill - cfg.skill_decay * self.skill)
            self.weeks_dormant += 1
        review = (
            model.config.external_anchors.review_weeks
            if self.kind == "external"
            else cfg.stay_review_weeks
        )
        if uniform(model.streams["anchors"]) >= 1.0 / review:  # rng.random(), one raw draw
            return
        self.last_delta_v = self.value_of_staying()
        if self.last_delta_v < 0:
            self.retire("outside_option")

    def _learn_margin(self, y: float) -> None:
        cfg = self.model.config.anchors
        gain = max(
            1.0 / (cfg.expectation_prior_weight + self.margin_count), cfg.expectation_gain_floor
        )
        self.margin_hat += gain * (y - self.margin_hat)
        self.margin_count += 1

    def reach_products(self) -> list[int]:
        """Products whose goods it can source (its calendar); all for a city anchor."""
        if self.kind == "external":
            return list(range(len(self.model.products)))
        if self.own_product is not None:
            return [self.own_product]
        reach = getattr(self.model.world, "reach_products", None)
        if reach is not None:
            return list(reach[self.base_village])
        return [int(p) for p in self.model.world.village_products[self.base_village]]

    def value_of_staying(self) -> float:
        """ΔV of streaming on against leaving for the outside option (+C_leave; §A)."""
        model = self.model
        o = self.outside_option
        return model.valuation.value(
            margin=self.margin_hat,
            skill=self.skill,
            aptitude=self.aptitude,
            sessions=self.sessions_capacity(),
            products=self.reach_products(),
            outside=o,
            dormant=self.dormant_wage + model.governance.local_job_wage(self),
            fixed=self.fixed_cost_week(),
            traits=self.traits,
            switch=model.config.anchors.leave_cost_weeks * o,
            recognised=self.is_local,
            blocked=max(0, self.suspended_until - model.week),
            floor=model.governance.income_floor_ahead(self, model.valuation.weights.size),
        )

    def retire(self, reason: str) -> None:
        """Quit for ``reason``: stock to middlemen, account closed, followers and contracts freed.

        Reasons: ``outside_option``, ``insolvent``, ``banned`` (ECONOMICS.md §A).
        """
        model = self.model
        if not self.exited:
            model.tool_adoption.left(self)
        self.exit_week = model.week
        self.exit_reason = reason
        self.sessions_planned = 0
        for p in range(len(model.products)):
            slot = self.stock_slot(p)
            for group in (Account.ANCHOR_STOCK, Account.ANCHOR_IMPORT):
                grams = int(model.goods.balances[group][slot])
                if grams <= 0:
                    continue
                model.goods.transfer(
                    Flow.LIQUIDATION, group, slot, Account.MIDDLEMEN, self.base_village, grams
                )
                if group == Account.ANCHOR_STOCK:  # the lot's village (Books.label_lot)
                    origin = model.books.lot_village(slot)
                    model.books.village_goods.add("to_middlemen", origin, grams)
                    model.books.village_week["liquidated_kg"][origin] += grams / 1000
                price = (
                    model.products[p].farm_gate_price * model.config.anchors.liquidation_price_share
                )
                model.money.transfer(
                    Flow.LIQUIDATION,
                    Account.MIDDLEMEN,
                    0,
                    Account.ANCHORS,
                    self.index,
                    int(price * grams / 1000 * FEN_PER_YUAN),
                )
        self._close_account(insolvent=reason == "insolvent")
        model.farmers.release_anchor(self.index)
        model.consumers.drop_anchor(self.index)
        person = getattr(self, "person", None)
        if person is not None and person.anchor is self:
            person.stop_streaming()
        model.week_stats["anchor_exits"] += 1
        self.remove()

    def _close_account(self, insolvent: bool) -> None:
        """Settle the leaver's account: cash to the owner, or debt written off or moved to them.

        An insolvent firm's debt is written off by the lender; the government pays the lender
        ``guarantee_cover`` of the guaranteed part (ECONOMICS.md §A; extension). A voluntary
        leaver's cash goes to its owner and its debt moves to the owner's account.
        """
        model = self.model
        fen = int(model.money.balances[Account.ANCHORS][self.index])
        group, idx = self.owner
        if fen > 0:
            model.money.transfer(Flow.DRAWINGS, Account.ANCHORS, self.index, group, idx, fen)
            return
        if fen == 0:
            return
        debt = -fen
        if not insolvent:
            model.money.transfer(Flow.DEBT_TO_OWNER, group, idx, Account.ANCHORS, self.index, debt)
            return
        self.insolvent = True
        self.written_off = debt / FEN_PER_YUAN
        model.money.transfer(Flow.WRITE_OFF, Account.LENDER, 0, Account.ANCHORS, self.index, debt)
        guaranteed = min(debt, to_fen(self.guaranteed_debt_limit))
        cover = int(guaranteed * model.config.anchors.guarantee_cover)
        if cover > 0:
            model.money.transfer(Flow.GUARANTEE, Account.GOVERNMENT, 0, Account.LENDER, 0, cover)


def best_source_cell(
    buyable: np.ndarray,
    margin: np.ndarray,
    available: np.ndarray,
    columns: list[int],
    need: list[float],
    lot: list[int],
    villages: np.ndarray | None = None,
) -> tuple[int, int] | None:
    """The (row, column) of the best sourcing cell: highest ``margin·min(available, need)``.

    Over the rows (villages in reach) and the given columns (products), a cell counts where it is
    ``buyable`` (the village grows the product and buying there pays) and the product's need is
    positive, and, where the product's lot still holds goods, only in the lot's village
    (``lot[j]`` ≥ 0; row ``r`` is village ``villages[r]``, or ``r`` itself). Ties go to the first
    cell in row-major order, as :func:`best_source_cell_plain` (the vectorised formula, which a
    test compares) finds them; plain Python here, because a reach holds a handful of cells.

    Args:
        buyable: (R, P) bool (an array or nested lists, as the next two).
        margin: (R, P) surplus per kg.
        available: (R, P) grams growers hold.
        columns: Products that may score, ascending.
        need: Grams short of target for each of ``columns``.
        lot: Village of each column's lot in stock, -1 when it holds none.
        villages: Village of each row (default: the row index).

    Returns:
        ``(row, product)``, or None when no cell scores above 0.
    """
    rows = range(len(buyable)) if villages is None else _as_list(villages)
    ok_rows, margin_rows, available_rows = _as_list(buyable), _as_list(margin), _as_list(available)
    best, cell = 0.0, None
    for r, village in enumerate(rows):
        ok_r, margin_r, available_r = ok_rows[r], margin_rows[r], available_rows[r]
        for j, p in enumerate(columns):
            n = need[j]
            if n > 0 and ok_r[p] and (lot[j] < 0 or lot[j] == village):
                score = margin_r[p] * min(available_r[p], n)
                if score > best:
                    best, cell = score, (r, p)
    return cell


def _as_list(values: np.ndarray | list) -> list:
    return values.tolist() if isinstance(values, np.ndarray) else values


def best_source_cell_plain(
    ok: np.ndarray, margin: np.ndarray, available: np.ndarray, need: np.ndarray
) -> tuple[int, int] | None:
    """:func:`best_source_cell` as array formulas: ``argmax where(ok, margin·min(available, need))``.

    Args:
        ok: (R, P) cells that may be bought (buyable, need > 0, the lot's village).
        margin: (R, P) surplus per kg.
        available: (R, P) grams growers hold.
        need: (P,) grams short of target.
    """
    score = np.where(ok, margin * np.minimum(available, need[None, :]), 0.0)
    if score.size == 0 or score.max() <= 0:
        return None
    r, p = np.unravel_index(int(np.argmax(score)), score.shape)
    return int(r), int(p)


def affordable_grams(funds: float, price_per_kg: float) -> int:
    """Whole grams that ``funds`` yuan buy at ``price_per_kg`` (any number when funds are unbounded).

    Rounded down, and the payment (rounded to the fen) never exceeds the funds.
    """
    if price_per_kg <= 0 or math.isinf(funds):
        return sys.maxsize if funds >= 0 else 0
    grams = int(math.floor(max(funds, 0.0) * 1000 / price_per_kg))
    limit = funds * FEN_PER_YUAN
    # ``to_fen(price·grams/1000) > limit`` without NumPy scalars (the fen compared as a float).
    while grams > 0 and float(round(float(price_per_kg) * grams / 1000 * FEN_PER_YUAN)) > limit:
        grams -= 1
    return grams


def premises_free(model: mesa.Model, village: int) -> bool:
    """Whether the village still has a site fit for a streaming base (MODEL.md §2 ``premises``)."""
    cap = model.world.premises[village]
    if cap < 0:
        return True
    local = sum(
        1 for a in model.anchor_list if a.is_local and not a.exited and a.base_village == village
    )
    return local < cap
