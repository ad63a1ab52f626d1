"""Pricing, quantities, paid traffic, strategy, exaggeration and tool rules (ECONOMICS.md §A).

Pure functions of numbers, each with the plain formula in its docstring and a provenance tag:
**(paper §x)** where the paper motivates the rule, **(extension)** where the rule is the model's
own. The :class:`~village_sim.agents.anchor.Anchor` methods gather the inputs (its books, the
county's prices, the scenario) and call these; unit tests check each formula on its own.

Two small records keep what the rules read from past weeks, so no rule reaches into the ledger's
history: :class:`SalesMemory` (one per anchor: sales, refunds, orders wanted and filled, kg sold,
spoiled and held) and :class:`PeerPrices` (the county's kg-weighted prices by product over the
last weeks, for the imitators' ``p̄``).
"""

from __future__ import annotations

import functools
import math
from collections import deque
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from itertools import islice

import numpy as np

from village_sim.randomness import uniform

EXAGGERATION_LEVELS_STEP = 0.05
"""Spacing of the exaggeration levels an anchor chooses from (ECONOMICS.md §A: 0, .05, .10, .15)."""


# -- reviews ---------------------------------------------------------------------------------------
def calvo_review(rng: np.random.Generator, mean_weeks: float) -> bool:
    """Whether a decision is reviewed this week: probability ``1/R`` (Calvo 1983; extension).

    No clock: reviews arrive at random with mean spacing ``R`` weeks, so anchors do not move
    together and a rule cannot leave a mark at fixed tenures.
    """
    return uniform(rng) < 1.0 / max(mean_weeks, 1.0)  # rng.random(), one raw draw


# -- the cost floor --------------------------------------------------------------------------------
def refund_share(refunds: float, sales: float, prior_share: float, prior_weight: float) -> float:
    """Expected refund share ``r̂ = (refunds + k·s_route)/(sales + k)`` (extension).

    Own refunds over own sales of the last weeks, shrunk toward the route's spoilage share
    ``s_route`` (spoiled parcels are refunded) with the weight of ``k`` yuan of sales: a newcomer
    expects the route's loss, a seller with many sales its own record (with no sales and no
    prior weight, the route's share).
    """
    weight = max(sales, 0.0) + prior_weight
    if weight <= 0:
        return prior_share
    return (max(refunds, 0.0) + prior_weight * prior_share) / weight


def cost_share(fee: float, commission: float, refund: float, cap: float) -> float:
    """``φ = fee + commission + r̂``: the share of each yuan of sales that never reaches the seller.

    (paper §2.3 fees and commission; refunds extension.) At most ``cap``
    (``anchors.cost_share_cap``, below 1) so that the floor stays finite.
    """
    return min(fee + commission + refund, cap)


def origin_spoilage_share(weekly_share: float, weeks_held: float) -> float:
    """Share of a bought kg expected to spoil at origin: ``1 − (1 − s_w)^w`` (extension).

    ``s_w`` the share of stock lost in a week at origin (:meth:`Logistics.origin_spoilage`), ``w``
    the mean weeks a kg waits (the buffer waits a week for fresh produce, half the stock weeks
    for storable goods).
    """
    return 1.0 - (1.0 - min(max(weekly_share, 0.0), 1.0)) ** max(weeks_held, 0.0)


def cost_floor(
    purchase: float, shipping: float, spoil_share: float, phi: float, spoil_cap: float
) -> float:
    """Variable cost of a kg sold, the price floor ``c_var`` (paper §3.1, §3.3; rule extension).

    ``c_var = (purchase + shipping + purchase·s/(1 − s)) / (1 − φ)``: what a kg costs to buy, ship
    and lose at origin (share ``s``), grossed up by the share ``φ`` of sales lost to fees,
    commission and refunds. Fixed costs are not in it: they act through the value of staying.
    ``s`` is at most ``spoil_cap`` (``anchors.spoilage_share_cap``, below 1).
    """
    s = min(max(spoil_share, 0.0), spoil_cap)
    return (purchase + shipping + purchase * s / (1.0 - s)) / (1.0 - phi)


def margin_per_order(price: float, c_var: float, phi: float, pack_kg: float) -> float:
    """``m = (p − c_var)·(1 − φ)·pack``: what one more order adds to the gross margin (yuan)."""
    return (price - c_var) * (1.0 - phi) * pack_kg


def target_price(c_var: float, reference: float, price_weight: float) -> float:
    """``p* = c_var + p_ref/ω_p`` (paper §3.1, §3.3; extension).

    Consumers' utility falls by ``ω_p·p/p_ref`` (the logit's price term, ``ω_p`` the price weight
    per relative markdown); a seller with a small share of a logit market maximises
    ``(p − c)·P(p)`` at ``p − c = p_ref/ω_p``.
    """
    return c_var + reference / price_weight


# -- the review signal and the moves ---------------------------------------------------------------
def unfilled_share(wanted: float, filled: float) -> float:
    """Orders wanted but not filled / orders wanted (0 when nobody wanted any)."""
    return 0.0 if wanted <= 0 else max(wanted - filled, 0.0) / wanted


def unsold_share_fresh(unsold_kg: float, bought_kg: float) -> float:
    """Fresh produce: kg spoiled or liquidated / kg bought (0 when nothing was bought)."""
    return 0.0 if bought_kg <= 0 else min(max(unsold_kg, 0.0) / bought_kg, 1.0)


def unsold_share_storable(stock_kg: float, forecast_kg: float, stock_weeks: float) -> float:
    """Storable goods: the share of stock beyond ``W_s`` weeks of forecast sales."""
    if stock_kg <= 0:
        return 0.0
    return max(stock_kg - stock_weeks * forecast_kg, 0.0) / stock_kg


def review_signal(
    unfilled: float,
    unsold: float,
    buffer: float,
    unfilled_target: float = 0.05,
    deadband: float = 0.05,
) -> float:
    """``g = (unfilled − 0.05) − (unsold − b/(1 + b))``, 0 when ``|g| < 0.05`` (extension).

    Positive when orders go unfilled (room to raise the price), negative when stock is left over
    beyond the safety buffer ``b`` the anchor meant to keep (a price too high to clear it).
    """
    g = (unfilled - unfilled_target) - (unsold - buffer / (1.0 + buffer))
    return 0.0 if abs(g) < deadband else g


def own_move(
    price: float, target: float, signal: float, adjust: float = 0.25, signal_weight: float = 0.2
) -> float:
    """``x = p + 0.25·(p* − p) + 0.2·g·p``: part way to the target, pushed by the signal."""
    return price + adjust * (target - price) + signal_weight * signal * price


def imitator_price(
    move: float,
    peer_price: float | None,
    signal: float,
    weight: float = 0.5,
    undercut: float = 0.03,
) -> float:
    """``p' = 0.5·x + 0.5·p̄·(1 − 0.03·[g < 0])``; ``x`` when no peer sells (paper §3.1, §3.3).

    Imitators follow the product's going price and undercut it only when their own stock is
    left over.
    """
    if peer_price is None:
        return move
    return (1.0 - weight) * move + weight * peer_price * (1.0 - undercut * (signal < 0))


def bounded_price(
    old: float,
    new: float,
    c_var: float,
    reference: float,
    step: float = 0.05,
    ceiling: float = 1.5,
) -> float:
    """Move at most ``step`` from ``old``, then keep within ``[c_var, ceiling·p_ref]``.

    The band wins over the step: a price below a risen cost floor goes to the floor at once.
    """
    moved = min(max(new, old * (1.0 - step)), old * (1.0 + step)) if old > 0 else new
    return min(max(moved, c_var), max(ceiling * reference, c_var))


def newcomer_price(c_var: float, peer_price: float | None, target: float) -> float:
    """A newcomer's first price: ``max(c_var, p̄)``, or ``p*`` if nobody sells the product."""
    return target if peer_price is None else max(c_var, peer_price)


def city_anchor_price(reference: float, markdown: float, c_var: float) -> float:
    """City anchors' deep-discount policy ``p_ref·(1 − markdown)``, never below ``c_var``.

    (paper §3, PARAMETERS.md §2.)
    """
    return max(reference * (1.0 - markdown), c_var)


# -- quantities ------------------------------------------------------------------------------------
def smoothed_forecast(forecast: float, wanted: float, rate: float) -> float:
    """``f ← f + rate·(wanted − f)``: exponential smoothing of wanted orders (rate 0.3)."""
    return forecast + rate * (wanted - forecast)


def stock_target_packs(forecast: float, buffer: float, fresh: bool, stock_weeks: float) -> float:
    """``f·(1 + b)`` packs for fresh produce, ``× W_s`` weeks for storable goods (extension)."""
    return forecast * (1.0 + buffer) * (1.0 if fresh else stock_weeks)


# -- paid traffic ----------------------------------------------------------------------------------
def paid_views(
    stock_packs: float,
    forecast: float,
    conversion: float,
    margin: float,
    cpm: float,
    funds: float,
    cap: float = math.inf,
) -> float:
    """``views = min((stock − f)/ĉ, A·1000/cpm, cap)``, bought only when ``ĉ·m > cpm/1000``.

    (paper §3.1 traffic bought on the platform; rule extension.) Views are worth buying only for
    stock that the forecast orders will not clear, at a margin that pays the view: no stock, no
    traffic.
    """
    if conversion <= 0 or conversion * margin <= cpm / 1000.0:
        return 0.0
    spare = (stock_packs - forecast) / conversion
    views = min(spare, max(funds, 0.0) * 1000.0 / cpm, cap)
    return max(views, 0.0)


# -- strategy --------------------------------------------------------------------------------------
def brand_gain(
    margin: float, forecast: float, brand_weight: float, trust: float, quality: float
) -> float:
    """``G = m·f·(exp(ω_b·T_v·Q) − 1)``: a full brand's weekly gain (paper §3.1, §3.3).

    A logit utility shift of ``ω_b·T_v·Q`` multiplies a small seller's orders by
    ``exp(ω_b·T_v·Q)``; the extra orders earn the margin ``m``.
    """
    return margin * forecast * (math.exp(brand_weight * trust * quality) - 1.0)


def equity_path(horizon: int, start: float, build_weeks: float) -> np.ndarray:
    """Equity in the weeks ahead of a brand built now: ``E_τ = min(1, start + τ/build_weeks)``."""
    tau = np.arange(1, horizon + 1, dtype=float)
    return np.minimum(1.0, start + tau / max(build_weeks, 1.0))


def brand_sums(
    discount: float, activity: Sequence[float] | np.ndarray, equity: np.ndarray
) -> tuple[float, float]:
    """``(Σ_τ δ^τ a_τ, Σ_τ δ^τ a_τ E_τ)`` over the horizon (τ = 1 … H)."""
    a = np.asarray(activity, dtype=float)
    weights = _discounts(discount, a.size) * a
    return float(weights.sum()), float((weights * equity[: a.size]).sum())


@functools.lru_cache(maxsize=16, typed=True)
def _discounts(discount: float, horizon: int) -> np.ndarray:
    """``δ^τ`` for τ = 1 … H (read-only; the same array for every brand decision)."""
    powers = discount ** np.arange(1, horizon + 1)
    powers.setflags(write=False)
    return powers


def build_brand(
    present_bias: float,
    gain: float,
    upkeep: float,
    activity_sum: float,
    equity_activity_sum: float,
    cost: float,
    funds: float,
    quality: float,
) -> bool:
    """Build iff ``β·Σδ^τ a_τ(E_τ·G − U_b) > C_b``, ``C_b`` payable now and ``Q > 0``.

    (paper §3.1, §3.3: myopic brand decisions; β the present bias weighs the delayed gain, not
    the cost paid now.) ``activity_sum = Σδ^τ a_τ``, ``equity_activity_sum = Σδ^τ a_τ E_τ``.
    """
    if quality <= 0 or cost > funds:
        return False
    value = present_bias * (gain * equity_activity_sum - upkeep * activity_sum)
    return value > cost


def keep_brand(equity: float, gain: float, upkeep: float) -> bool:
    """Keep a brand iff ``E·G ≥ U_b`` (its cost is sunk; paper §3.3)."""
    return equity * gain >= upkeep


def equity_after(
    equity: float, weeks: int, building: bool, build_weeks: float, half_life: float
) -> float:
    """Brand equity ``weeks`` later: up by ``1/build_weeks`` a week while kept, else decaying.

    A dropped brand's equity halves every ``half_life`` weeks (extension).
    """
    if weeks <= 0:
        return equity
    if building:
        return min(1.0, equity + weeks / max(build_weeks, 1.0))
    return equity * 0.5 ** (weeks / max(half_life, 1e-9))


# -- exaggeration ----------------------------------------------------------------------------------
def exaggeration_levels(largest: float, step: float = EXAGGERATION_LEVELS_STEP) -> list[float]:
    """The levels ``0, step, 2·step, …`` up to ``largest``."""
    return list(_levels(largest, step))


@functools.lru_cache(maxsize=64)
def _levels(largest: float, step: float) -> tuple[float, ...]:
    """:func:`exaggeration_levels`, remembered (every price review reads the same few)."""
    n = int(math.floor(largest / step + 1e-9)) if step > 0 else 0
    return tuple(round(i * step, 10) for i in range(n + 1))


def exaggeration_payoff(
    level: float,
    forecast: float,
    margin: float,
    quality_weight: float,
    trust: float,
    honesty_cost: float,
    revenue: float,
    limit: float,
    detection: float,
    fine: float,
) -> float:
    """``f·m·(exp(ω_q·T·e) − 1) − h·e·revenue − [e > limit]·p̂·fine`` (extension).

    More orders from the advertised quality, against the seller's honesty cost and the expected
    fine; the refunds exaggeration causes reach the seller through ``r̂``.
    """
    gain = forecast * margin * (math.exp(quality_weight * trust * level) - 1.0)
    return gain - honesty_cost * level * revenue - (level > limit) * detection * fine


def choose_exaggeration(levels: Iterable[float], payoff: dict[float, float] | None = None) -> float:
    """The level with the highest payoff (the smallest on ties)."""
    levels = list(levels)
    if payoff is None:
        return min(levels)
    return max(levels, key=lambda e: (payoff[e], -e))


def import_pays(
    gain: float, honesty_cost: float, price: float, detection: float, fine_per_kg: float
) -> bool:
    """Sell out-of-region goods as local iff ``gain > h·p + p̂·fine`` per kg (extension).

    ``gain`` is a kg's net value less its import price. Shared by the anchor's pricing and the
    sourcing of imports.
    """
    return gain > 0 and gain > honesty_cost * price + detection * fine_per_kg


# -- tools -----------------------------------------------------------------------------------------
IDLE_REASONS = ("suspended", "dormant", "skill", "effort")
"""Why a held tool sat idle in a week, the first that applies (ECONOMICS.md §A "Tools"):
suspended by a regulator; not trading (dormant, no stock); skill, support or fit short; value
below effort."""


def idle_reason(
    suspended: bool,
    trading: bool,
    usable: bool,
    fit_value: float,
    value_at_fit: float,
    effort: float,
) -> str | None:
    """The first idle reason that applies, or None when the tool is used (paper §3.1, §3.2).

    ``usable``: skill clears complexity less local support. A tool that is usable but whose value
    at its real fit is below the effort is idle for *fit* (counted with skill and support, the
    paper's 技术悬浮) when a perfect fit would have paid the effort, else for *effort*.
    """
    if suspended:
        return "suspended"
    if not trading:
        return "dormant"
    if not usable:
        return "skill"
    if value_at_fit >= effort:
        return None
    if fit_value > 0 and value_at_fit / fit_value >= effort:
        return "skill"
    return "effort"


def buy_tool(
    present_bias: float,
    perceived_value: float,
    upkeep: float,
    activity_sum: float,
    price: float,
    funds: float,
) -> bool:
    """Buy iff ``β·Σδ^τ a_τ·(V_p − upkeep) > price`` and the price is payable now (extension).

    ``V_p`` is the perceived weekly value (overconfidence and peers inflate it, paper §3.2).
    """
    if price > funds:
        return False
    return present_bias * activity_sum * (perceived_value - upkeep) > price


def keep_tool(perceived_value: float, upkeep: float) -> bool:
    """Keep a held tool iff its perceived weekly value covers its upkeep (the price is sunk)."""
    return perceived_value >= upkeep


# -- memory ----------------------------------------------------------------------------------------
@dataclass
class WeekRecord:
    """One week of an anchor's trade, as pricing reads it."""

    stock_open_g: float = 0.0
    sales: float = 0.0
    refunds: float = 0.0
    wanted: float = 0.0
    filled: float = 0.0
    sold_g: float = 0.0
    unsold_g: float = 0.0
    product: int = -1
    value: float = 0.0


@dataclass
class SalesMemory:
    """An anchor's last weeks (the newest, still open, last): what its pricing reads."""

    weeks: int = 9
    rows: deque = field(default_factory=deque)
    _totals: dict[int, WeekRecord] = field(
        default_factory=dict, init=False, repr=False, compare=False
    )
    _refunds_sales: dict[int, tuple[float, float]] = field(
        default_factory=dict, init=False, repr=False, compare=False
    )

    def __post_init__(self) -> None:
        self.rows = deque([WeekRecord()], maxlen=self.weeks)

    def open_week(self, stock_g: float) -> None:
        """Start a new week's record, with the stock held at the week's opening."""
        self.rows.append(WeekRecord(stock_open_g=float(stock_g)))
        self._totals.clear()
        self._refunds_sales.clear()

    @property
    def now(self) -> WeekRecord:
        """This week's (open) record."""
        return self.rows[-1]

    def closed(self, n: int) -> list[WeekRecord]:
        """The last ``n`` complete weeks (fewer early on)."""
        rows = list(self.rows)[:-1]
        return rows[-n:] if n > 0 else []

    def totals(self, n: int) -> WeekRecord:
        """Sums over the last ``n`` complete weeks (``stock_open_g``: the oldest week's opening).

        Complete weeks do not change until the next :meth:`open_week`, so each window's sums are
        computed once a week (:meth:`totals_plain`); the record returned is shared: read it only.
        """
        out = self._totals.get(n)
        if out is None:
            out = self._totals[n] = self.totals_plain(n)
        return out

    def refunds_and_sales(self, n: int) -> tuple[float, float]:
        """``(refunds, sales)`` of :meth:`totals` alone (the cost floor reads only these two).

        Each sum is added in the same order from 0.0 as :meth:`totals_plain` adds it, so the
        numbers are the same; taken once a week per window.
        """
        out = self._refunds_sales.get(n)
        if out is None:
            complete = len(self.rows) - 1
            first = complete - min(n, complete) if n > 0 else complete
            refunds = sales = 0.0
            for r in islice(self.rows, first, complete):
                sales += r.sales
                refunds += r.refunds
            out = self._refunds_sales[n] = (refunds, sales)
        return out

    def totals_plain(self, n: int) -> WeekRecord:
        """:meth:`totals` computed afresh from the rows."""
        complete = len(self.rows) - 1
        first = complete - min(n, complete) if n > 0 else complete
        rows = list(islice(self.rows, first, complete))  # self.closed(n) without the copies
        sales = refunds = wanted = filled = sold_g = unsold_g = 0.0
        for r in rows:
            sales += r.sales
            refunds += r.refunds
            wanted += r.wanted
            filled += r.filled
            sold_g += r.sold_g
            unsold_g += r.unsold_g
        return WeekRecord(
            stock_open_g=rows[0].stock_open_g if rows else self.now.stock_open_g,
            sales=sales,
            refunds=refunds,
            wanted=wanted,
            filled=filled,
            sold_g=sold_g,
            unsold_g=unsold_g,
        )

    def own_sales(self, product: int, n: int) -> tuple[float, float]:
        """(value, grams) of ``product`` sold over the last ``n`` complete weeks."""
        value = grams = 0.0
        complete = len(self.rows) - 1
        first = complete - min(n, complete) if n > 0 else complete
        for r in islice(self.rows, first, complete):  # self.closed(n) without the copies
            if r.product == product:
                value += r.value
                grams += r.sold_g
        return value, grams


class PeerPrices:
    """Kg-weighted prices of each product over the last weeks, all sellers (city anchors too).

    ``p̄`` of a seller excludes its own sales: ``(V_p − own V_p)/(K_p − own K_p)`` over the same
    weeks, ``V`` the yuan at list price and ``K`` the grams sold.
    """

    def __init__(self, n_products: int, weeks: int = 4) -> None:
        self.weeks = weeks
        self.value = deque([np.zeros(n_products)], maxlen=weeks + 1)
        self.grams = deque([np.zeros(n_products)], maxlen=weeks + 1)
        self._closed: dict[int, tuple[float, float]] = {}

    def open_week(self) -> None:
        """Start this week's sums."""
        self.value.append(np.zeros_like(self.value[-1]))
        self.grams.append(np.zeros_like(self.grams[-1]))
        self._closed.clear()

    def add(self, product: np.ndarray, price: np.ndarray, grams: np.ndarray) -> None:
        """Add this week's sales (price in yuan/kg, grams sold) by product."""
        np.add.at(self.value[-1], product, price * grams)
        np.add.at(self.grams[-1], product, grams)

    def mean_price(self, product: int, own: tuple[float, float] = (0.0, 0.0)) -> float | None:
        """``p̄`` over the last complete weeks without ``own`` (value, grams); None: nobody sold.

        The complete weeks' sums of a product are taken once a week (:meth:`closed_sums`).
        """
        sums = self._closed.get(product)
        if sums is None:
            sums = self._closed[product] = self.closed_sums(product)
        value = sums[0] - own[0]
        grams = sums[1] - own[1]
        if grams <= 1e-6:
            return None
        return float(value / grams)

    def closed_sums(self, product: int) -> tuple[float, float]:
        """(yuan at list price, grams) of ``product`` sold by everyone over the complete weeks."""
        value = sum(v[product] for v in list(self.value)[:-1])
        grams = sum(g[product] for g in list(self.grams)[:-1])
        return value, grams


# -- what the market tells the rules (called where orders are filled and refunds paid) ------------
def record_sales(
    market_prices: PeerPrices,
    stats: dict[str, float],
    anchors: Sequence,
    product: np.ndarray,
    price: np.ndarray,
    local: np.ndarray,
    wanted: np.ndarray,
    filled: np.ndarray,
    grams: np.ndarray,
    by_product: dict[str, np.ndarray] | None = None,
) -> None:
    """Note the week's orders in each seller's memory, the county's prices and the markup tally.

    ``markup_kg`` adds ``(p − c_var)/c_var`` per kg sold by local sellers (ECONOMICS.md §D
    ``markup_mean`` = ``markup_kg / local_kg_sold``), ``c_var`` the seller's floor this week.

    Args:
        market_prices: The county's :class:`PeerPrices`.
        stats: The week's tallies.
        anchors: This week's sellers (positions as in the arrays).
        product: Product each seller sells.
        price: Selling price (yuan/kg).
        local: Whether each seller is a rural (local or farmer) seller.
        wanted: Orders consumers wanted from each seller.
        filled: Orders each seller filled.
        grams: Grams each seller sold.
        by_product: Per-product tallies (:data:`village_sim.market.books.PRODUCT_WEEK`) that
            get the same kg and markup × kg, split by product.
    """
    market_prices.add(product, price, grams)
    floor = np.array([a.cost_floor_now for a in anchors], dtype=float)
    count = local & (floor > 0) & (grams > 0)
    stats["local_kg_sold"] += float(grams[count].sum()) / 1000
    markup = (price[count] - floor[count]) / floor[count]
    stats["markup_kg"] += float((markup * grams[count]).sum()) / 1000
    if by_product is not None:
        np.add.at(by_product["local_kg_sold"], product[count], grams[count] / 1000)
        np.add.at(by_product["markup_kg"], product[count], markup * grams[count] / 1000)
    # The sellers' numbers as Python floats (float64, as the arrays hold them: a float64 price
    # times whole grams gives the same product), read without a NumPy scalar per seller.
    columns = (np.asarray(x, dtype=float).tolist() for x in (wanted, filled, grams, price))
    for a, w, f, g, p, prod in zip(anchors, *columns, product.tolist(), strict=True):
        row = a.memory.now
        row.wanted += w
        row.filled += f
        row.sold_g += g
        value = p * g
        row.sales += value / 1000
        row.value += value
        row.product = int(prod)


def record_refunds(anchor_list: Sequence, anchors: np.ndarray, refund_fen: np.ndarray) -> None:
    """Add each line's refund (fen) to its anchor's memory."""
    if anchors.size == 0:
        return
    by_anchor = np.bincount(anchors, weights=refund_fen)
    for i in np.flatnonzero(by_anchor):
        anchor_list[int(i)].memory.now.refunds += float(by_anchor[i]) / 100
