"""Indicators (INTERFACE.md): every name computed from model state, weekly and for the whole run.

Mechanisms count what happens in the books' weekly tallies (``model.week_stats``, see
:data:`village_sim.market.books.COUNTERS`: sessions, stalls, kg sold, kg spoiled ...); this module
only reads. Each indicator has a *run kind*:

- ``ratio``: Σ numerator / Σ denominator over weeks from ``metrics.burn_in_weeks`` on;
- ``mean``: mean of the weekly values over those weeks;
- ``final``: the value in the last week;
- ``total``: the sum over those weeks (``policy_spend``: the whole run);
- ``max``: the largest weekly value (balance errors, every week);
- ``cohort``: over the training cohorts eligible at the end of the run.

A value that is undefined (no denominator, no eligible cohort) is ``None`` — never a made-up number.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import mesa
import numpy as np

from village_sim.metrics.tables import gini


@dataclass(frozen=True)
class Indicator:
    """An indicator of INTERFACE.md."""

    name: str
    run: str
    unit: str
    description: str
    ratio: tuple[str, str] | None = None


RATIOS = {
    "technology_suspension_rate": ("rural_tool_weeks_suspended", "rural_tool_weeks_trading"),
    "idle_tool_share_skill": ("tool_weeks_idle_skill", "tool_weeks_held"),
    "idle_tool_share_dormant": ("tool_weeks_idle_dormant", "tool_weeks_held"),
    "idle_tool_share_suspended": ("tool_weeks_idle_suspended", "tool_weeks_held"),
    "idle_tool_share_effort": ("tool_weeks_idle_effort", "tool_weeks_held"),
    "in_use_tool_share": ("tool_weeks_in_use", "tool_weeks_held"),
    "markup_mean": ("markup_kg", "local_kg_sold"),
    "farmer_share_of_spending": ("farmer_live_net_yuan", "consumer_net_spend_yuan"),
    "fake_origin_share": ("kg_fake_sold", "kg_sold"),
    "mean_markdown": ("markdown_kg", "kg_sold"),
    "stall_rate": ("sessions_stalled", "sessions_hosted"),
    "stall_rate_mountain": ("stalled_mountain", "sessions_mountain"),
    "spoilage_rate": ("fresh_spoiled_kg", "fresh_shipped_kg"),
    "spoilage_rate_cold_chain": ("cold_spoiled_kg", "cold_shipped_kg"),
    "spoilage_rate_no_cold_chain": ("ambient_spoiled_kg", "ambient_shipped_kg"),
    "cold_chain_share": ("cold_shipped_kg", "fresh_shipped_kg"),
    "local_anchor_sales_share": ("local_gmv_yuan", "gross_gmv_yuan"),
    "repeat_purchase_rate": ("repeat_purchases", "purchases"),
    "unmet_demand_share": ("orders_unmet", "orders_wanted"),
    "unsold_stock_share": ("anchor_kg_unsold", "anchor_kg_bought"),
    "dormant_share": ("dormant_anchor_weeks", "alive_local_anchor_weeks"),
    "anchor_exit_hazard": ("local_anchor_exits", "alive_local_anchor_weeks"),
    "seat_fill_rate": ("seats_filled", "seats_offered"),
}

EXIT_REASONS = ("outside_option", "insolvent", "banned")
"""Reasons an anchor leaves (ECONOMICS.md §A, §D); ``summary.json`` counts every reason recorded."""

INDICATORS: tuple[Indicator, ...] = (
    Indicator(
        "technology_suspension_rate",
        "ratio",
        "share",
        "of rural sellers' held tool-weeks in weeks they trade and are not suspended, the share "
        "idle for skill, support, fit or effort (技术悬浮)",
    ),
    Indicator(
        "idle_tool_share_skill",
        "ratio",
        "share",
        "held tool-weeks idle for skill, support or fit (every holder)",
    ),
    Indicator(
        "idle_tool_share_dormant",
        "ratio",
        "share",
        "held tool-weeks idle because the holder did not trade (no stock)",
    ),
    Indicator(
        "idle_tool_share_suspended",
        "ratio",
        "share",
        "held tool-weeks idle because a regulator suspended the holder",
    ),
    Indicator(
        "idle_tool_share_effort", "ratio", "share", "held tool-weeks idle: value below effort"
    ),
    Indicator("in_use_tool_share", "ratio", "share", "held tool-weeks in use"),
    Indicator(
        "markup_mean",
        "ratio",
        "share",
        "kg-weighted (price - c_var) / c_var of local and farmer anchors' sales",
    ),
    Indicator("traffic_hhi", "mean", "0-1", "Herfindahl index of person-views over anchors"),
    Indicator(
        "top10_traffic_share", "mean", "share", "person-views of the top ceil(0.1 n) anchors"
    ),
    Indicator(
        "farmer_share_of_spending",
        "ratio",
        "share",
        "farm households' live-stream receipts from the ledger (contract sales and own streams, "
        "net of commission, slot fee and charge-backs) / consumers' live-stream spending net of "
        "refunds",
    ),
    Indicator("fake_origin_share", "ratio", "share", "kg sold as village goods from elsewhere"),
    Indicator("village_brand_trust", "final", "0-1", "trust in village brands"),
    Indicator(
        "anchor_retention_52w",
        "cohort",
        "share",
        "trainees still streaming 52 weeks after their course",
    ),
    Indicator(
        "starter_retention_52w",
        "cohort",
        "share",
        "of trainees who started streaming, the share still streaming 52 weeks after the course "
        "(extension)",
    ),
    Indicator(
        "training_conversion_rate",
        "cohort",
        "share",
        "trainees who start streaming within 12 weeks of their course",
    ),
    Indicator("imitation_share", "mean", "share", "active local anchors on the imitate strategy"),
    Indicator("mean_markdown", "ratio", "share", "(reference - selling price) / reference, kg"),
    Indicator("stall_rate", "ratio", "share", "stalled / hosted sessions in villages"),
    Indicator("stall_rate_mountain", "ratio", "share", "stalled / sessions, mountain villages"),
    Indicator("spoilage_rate", "ratio", "share", "spoiled / shipped kg of fresh produce"),
    Indicator("spoilage_rate_cold_chain", "ratio", "share", "same, cold end to end"),
    Indicator("spoilage_rate_no_cold_chain", "ratio", "share", "same, not cold end to end"),
    Indicator(
        "cold_chain_share",
        "ratio",
        "share",
        "fresh kg shipped cold end to end / fresh kg shipped (circulation rate; extension)",
    ),
    Indicator(
        "micro_seller_share",
        "final",
        "share",
        "rural sellers with a session in the last 52 weeks and >= 13 weeks since start whose net "
        "revenue over the last 52 weeks (annualised if shorter) is under the micro line",
    ),
    Indicator(
        "dormant_share",
        "ratio",
        "share",
        "dormant / alive local anchor-weeks (null until anchors count dormant weeks)",
    ),
    Indicator(
        "anchor_exit_hazard",
        "ratio",
        "1/week",
        "local and farmer anchors' exits (any reason) / their alive anchor-weeks",
    ),
    Indicator(
        "farmer_income_mean",
        "final",
        "yuan/yr",
        "net income per farm household (sales by every channel - production costs + own-stream "
        "result + off-farm wages), mean weekly net income after the burn-in x 52",
    ),
    Indicator("farmer_income_gini", "final", "0-1", "Gini of farm households' net income"),
    Indicator(
        "farmer_income_participants",
        "final",
        "yuan/yr",
        "the same for households that sold to an anchor or streamed after the burn-in",
    ),
    Indicator(
        "farmer_income_nonparticipants",
        "final",
        "yuan/yr",
        "the same for the other households",
    ),
    Indicator(
        "income_ratio_elderly", "final", "ratio", "mean income of elderly households / the others"
    ),
    Indicator(
        "livestream_farmer_share",
        "final",
        "share",
        "households that sold through live streams in the last 52 weeks",
    ),
    Indicator(
        "local_anchor_sales_share", "ratio", "share", "live-stream GMV sold by local anchors"
    ),
    Indicator("active_anchors", "final", "anchors", "anchors streaming this week"),
    Indicator("youth_returned", "total", "persons", "migrants who came home"),
    Indicator("gmv", "total", "yuan", "consumers' live-stream spending net of refunds"),
    Indicator("consumer_trust", "final", "0-1", "trust in followed anchors"),
    Indicator("repeat_purchase_rate", "ratio", "share", "purchases by repeat buyers of a village"),
    Indicator("unmet_demand_share", "ratio", "share", "orders wanted but not filled"),
    Indicator(
        "unsold_stock_share",
        "ratio",
        "share",
        "kg bought by anchors that spoiled or were liquidated unsold / kg bought",
    ),
    Indicator("write_offs_yuan", "total", "yuan", "anchors' debt written off"),
    Indicator(
        "seat_fill_rate",
        "ratio",
        "share",
        "training seats filled / seats offered (status-quo and policy seats due)",
    ),
    Indicator("trainee_applicants", "total", "persons", "returnees who applied for a seat"),
    *(
        Indicator(
            f"anchor_exits_{reason}",
            "total",
            "anchors",
            f"local anchors' exits for the reason {reason.replace('_', ' ')}",
        )
        for reason in EXIT_REASONS
    ),
    Indicator("seats_filled", "total", "seats", "training seats taken (§B; diminishing returns)"),
    Indicator(
        "seat_returnees",
        "total",
        "persons",
        "migrants who came home for a training seat announced to them",
    ),
    Indicator(
        "exit_tenure_max_share",
        "final",
        "share",
        "largest share of local anchors' exits so far at one tenure (weeks from start to exit)",
    ),
    Indicator("complaints", "total", "persons", "complaints lodged with regulators"),
    Indicator("policy_spend", "total", "yuan", "yuan spent by policies"),
    Indicator("goods_balance_error_kg", "max", "kg", "largest weekly goods residual"),
    Indicator("money_balance_error_yuan", "max", "yuan", "largest weekly money residual"),
)
INDICATOR_NAMES = tuple(i.name for i in INDICATORS)
HEADLINE = (
    "farmer_income_mean",
    "active_anchors",
    "technology_suspension_rate",
    "traffic_hhi",
    "top10_traffic_share",
    "farmer_share_of_spending",
    "spoilage_rate",
    "stall_rate",
    "consumer_trust",
    "gmv",
)


def _safe_ratio(num: float, den: float) -> float | None:
    return None if den <= 0 else num / den


# ------------------------------------------------------------------------------------------------
# Weekly reporters (small named functions; DataCollector calls them after every step)
# ------------------------------------------------------------------------------------------------
def _ratio_reporter(name: str) -> Callable[[mesa.Model], float | None]:
    num, den = RATIOS[name]

    def reporter(model: mesa.Model) -> float | None:
        return _safe_ratio(model.week_stats[num], model.week_stats[den])

    reporter.__name__ = name
    reporter.__doc__ = f"This week's {name} ({num} / {den})."
    return reporter


def _views_by_seller(model: mesa.Model) -> np.ndarray:
    """This week's person-views of each seller (empty when nobody streamed)."""
    orders = model.last_week.orders
    return orders.views_by_seller if orders is not None else np.zeros(0)


def traffic_hhi(model: mesa.Model) -> float | None:
    """Herfindahl index of this week's person-views over anchors."""
    views = _views_by_seller(model)
    total = views.sum() if views.size else 0.0
    if total <= 0:
        return None
    shares = views / total
    return float((shares**2).sum())


def top10_traffic_share(model: mesa.Model) -> float | None:
    """Share of person-views going to the top ceil(0.1·n) anchors."""
    views = _views_by_seller(model)
    total = views.sum() if views.size else 0.0
    if total <= 0:
        return None
    top = math.ceil(0.1 * views.size)
    return float(np.sort(views)[::-1][:top].sum() / total)


def village_brand_trust(model: mesa.Model) -> float:
    """Scale-weighted mean trust of consumer units in village brands."""
    return model.consumers.mean_brand_trust()


def _cohort_share(
    model: mesa.Model, horizon: int, started_only: bool, among_starters: bool = False
) -> float | None:
    trainees = hits = 0
    week = model.week
    for cohort in model.training.cohorts:
        if cohort.end_week + horizon > week:
            continue
        at = cohort.end_week + horizon
        for youth in cohort.members:
            start = youth.stream_start_week
            started = start is not None and start <= at
            if among_starters and not started:
                continue
            trainees += 1
            if not started:
                continue
            if started_only or youth.stream_exit_week is None or youth.stream_exit_week > at:
                hits += 1
    return _safe_ratio(hits, trainees)


def anchor_retention_52w(model: mesa.Model) -> float | None:
    """Share of trainees still streaming 52 weeks after their course ended (eligible cohorts)."""
    return _cohort_share(model, model.config.metrics.retention_weeks, started_only=False)


def starter_retention_52w(model: mesa.Model) -> float | None:
    """Of trainees who started streaming within 52 weeks of their course, the share streaming then.

    Eligible cohorts only (extension of INTERFACE.md's retention).
    """
    return _cohort_share(
        model, model.config.metrics.retention_weeks, started_only=False, among_starters=True
    )


def training_conversion_rate(model: mesa.Model) -> float | None:
    """Share of trainees who started streaming within 12 weeks of their course."""
    return _cohort_share(model, model.config.metrics.conversion_window_weeks, started_only=True)


def imitation_share(model: mesa.Model) -> float | None:
    """Share of active local anchors on the imitate strategy."""
    week = model.week
    local = [a for a in model.anchor_list if a.is_local and a.can_trade(week)]
    return _safe_ratio(sum(a.strategy == "imitate" for a in local), len(local))


def micro_seller_share(model: mesa.Model) -> float | None:
    """Share of rural sellers whose annualised net revenue is under the micro line (ECONOMICS.md §D).

    Rural sellers: local anchors and streaming farmers (exited ones included) with a session in
    the last 52 weeks and at least 13 weeks since their start. Net revenue (sales − refunds) over
    the last 52 weeks, × 52 / weeks since start when that is shorter.
    """
    line = model.config.metrics.micro_seller_threshold_yuan
    last = model.week  # the week just closed (reporters run before the week count moves on)
    tallies = model.books.anchor_tallies
    sellers = micro = 0
    for a in model.anchor_list:
        if not a.is_local:
            continue
        since_start = last - a.start_week + 1
        session = tallies.row(a.index)["last_session_week"]
        if since_start < 13 or session is None or session <= last - 52:
            continue
        window_start = max(last - 51, a.start_week)  # revenue_history[i] is week start + i
        revenue = sum(a.revenue_history[window_start - a.start_week :])
        sellers += 1
        micro += revenue * 52 / min(52, since_start) < line
    return _safe_ratio(micro, sellers)


def write_offs_yuan(model: mesa.Model) -> float:
    """Anchors' debt written off this week (yuan; the ledger's ``write_off`` transfers)."""
    return model.week_stats["write_offs_yuan"]


def _exits_for(reason: str) -> Callable[[mesa.Model], float]:
    def reporter(model: mesa.Model) -> float:
        return model.week_stats.get(f"exits_{reason}", 0.0)

    reporter.__name__ = f"anchor_exits_{reason}"
    reporter.__doc__ = f"Local anchors that left this week for the reason {reason!r}."
    return reporter


def exit_reason_counts(model: mesa.Model) -> dict[str, int]:
    """Local anchors' exits so far by recorded reason (``summary.json``'s ``anchor_exit_reasons``).

    Every reason of :data:`EXIT_REASONS` is listed (0 when none), then any other reason recorded.
    """
    counts = dict.fromkeys(EXIT_REASONS, 0)
    for a in model.anchor_list:
        if a.is_local and a.exited:
            reason = str(a.exit_reason)
            counts[reason] = counts.get(reason, 0) + 1
    return counts


def _product_sums(model: mesa.Model) -> dict[str, np.ndarray]:
    """Per-product tallies summed over the weeks after the burn-in, as the ratio indicators.

    (:data:`~village_sim.market.books.PRODUCT_WEEK`; all weeks while the burn-in lasts.)
    """
    history = model.books.product_history
    burn = model.config.metrics.burn_in_weeks
    rows = history[burn:] if len(history) > burn else history
    n_p = len(model.config.products)
    return {
        k: np.sum([r[k] for r in rows], axis=0) if rows else np.zeros(n_p)
        for k in ("markup_kg", "local_kg_sold")
    }


def markup_by_product(model: mesa.Model) -> dict[str, float | None]:
    """``markup_mean`` of each product: rural sellers' kg-weighted ``(p − c_var)/c_var``.

    ``None`` for a product nobody sold. ``markup_mean`` is these values weighted by the kg each
    product sold (:func:`product_kg_sold`), so it moves with the product mix as well as with
    prices; a comparison of pricing across scenarios holds the mix fixed with these
    (tests/agents/test_pricing.py).
    """
    sums = _product_sums(model)
    return {
        name: _safe_ratio(float(sums["markup_kg"][p]), float(sums["local_kg_sold"][p]))
        for p, name in enumerate(model.config.products)
    }


def product_kg_sold(model: mesa.Model) -> dict[str, float]:
    """Rural sellers' kg sold of each product over the weeks :func:`markup_by_product` reads."""
    kg = _product_sums(model)["local_kg_sold"]
    return {name: float(kg[p]) for p, name in enumerate(model.config.products)}


def farmer_income_mean(model: mesa.Model) -> float | None:
    """Mean net income per household per year (yuan/yr; ECONOMICS.md §C).

    Each household's mean weekly net income over the weeks after the burn-in (all weeks so far
    while it lasts) × 52.
    """
    income = model.farmers.yearly_income()
    return float(income.mean()) if income.size else None


def farmer_income_participants(model: mesa.Model) -> float | None:
    """Mean yearly net income of households that sold to an anchor or streamed (same weeks)."""
    income = model.farmers.yearly_income()
    took_part = model.farmers.participants()
    return float(income[took_part].mean()) if took_part.any() else None


def farmer_income_nonparticipants(model: mesa.Model) -> float | None:
    """Mean yearly net income of households that neither sold to an anchor nor streamed."""
    income = model.farmers.yearly_income()
    others = ~model.farmers.participants()
    return float(income[others].mean()) if others.any() else None


def farmer_income_gini(model: mesa.Model) -> float | None:
    """Gini of households' yearly net income (losses count as zero)."""
    return gini(model.farmers.yearly_income())


def income_ratio_elderly(model: mesa.Model) -> float | None:
    """Mean income of elderly households / mean income of the others (the digital divide)."""
    income = model.farmers.yearly_income()
    elderly = model.farmers.elderly
    if not elderly.any() or elderly.all():
        return None
    other = income[~elderly].mean()
    return None if other <= 0 else float(income[elderly].mean() / other)


def livestream_farmer_share(model: mesa.Model) -> float | None:
    """Share of households that sold through live streams in the last 52 weeks."""
    sells = model.farmers.sells_live()
    return float(sells.mean()) if sells.size else None


def active_anchors(model: mesa.Model) -> int:
    """Anchors not exited, not suspended, with at least one session this week."""
    week = model.week
    return sum(1 for a in model.anchor_list if a.can_trade(week) and a.sessions > 0)


def youth_returned(model: mesa.Model) -> float:
    """Migrants who came home this week."""
    return model.week_stats["youth_returned"]


def gmv(model: mesa.Model) -> float:
    """Consumers' live-stream spending this week net of refunds (yuan)."""
    return model.week_stats["consumer_net_spend_yuan"]


def consumer_trust(model: mesa.Model) -> float | None:
    """Scale-weighted mean trust of consumer units in the anchors they follow."""
    return model.consumers.mean_anchor_trust()


def trainee_applicants(model: mesa.Model) -> float:
    """Returnees who applied for a training seat this week."""
    return model.week_stats["trainee_applicants"]


def seats_filled(model: mesa.Model) -> float:
    """Training seats taken in courses that started this week."""
    return model.week_stats["seats_filled"]


def seat_returnees(model: mesa.Model) -> float:
    """Migrants who came home this week for a training seat announced to them."""
    return model.week_stats["seat_returnees"]


def exit_tenure_max_share(model: mesa.Model) -> float | None:
    """Largest share of local anchors' exits so far that happened at one tenure (weeks).

    A rule that removes anchors after a fixed time shows as a share near 1 (ECONOMICS.md §E).
    """
    tenures = [a.exit_week - a.start_week for a in model.anchor_list if a.is_local and a.exited]
    if not tenures:
        return None
    return max(tenures.count(t) for t in set(tenures)) / len(tenures)


def complaints(model: mesa.Model) -> float:
    """Complaints lodged with regulators this week (people)."""
    return model.week_stats["complaints"]


def policy_spend(model: mesa.Model) -> float:
    """Yuan spent by policies this week."""
    return model.week_stats["policy_spend_yuan"]


def goods_balance_error_kg(model: mesa.Model) -> float:
    """This week's largest goods residual (kg)."""
    return model.week_stats["goods_error_kg"]


def money_balance_error_yuan(model: mesa.Model) -> float:
    """This week's money residual (yuan)."""
    return model.week_stats["money_error_yuan"]


_FUNCTIONS = {
    f.__name__: f
    for f in (
        traffic_hhi,
        top10_traffic_share,
        village_brand_trust,
        anchor_retention_52w,
        training_conversion_rate,
        starter_retention_52w,
        imitation_share,
        micro_seller_share,
        write_offs_yuan,
        *(_exits_for(reason) for reason in EXIT_REASONS),
        farmer_income_mean,
        farmer_income_gini,
        farmer_income_participants,
        farmer_income_nonparticipants,
        income_ratio_elderly,
        livestream_farmer_share,
        active_anchors,
        youth_returned,
        gmv,
        consumer_trust,
        complaints,
        trainee_applicants,
        seats_filled,
        seat_returnees,
        exit_tenure_max_share,
        policy_spend,
        goods_balance_error_kg,
        money_balance_error_yuan,
    )
}


def _nan_when_undefined(
    reporter: Callable[[mesa.Model], float | None],
) -> Callable[[mesa.Model], float]:
    """The weekly reporter with NaN for undefined: numeric columns in the DataCollector's frame."""

    def report(model: mesa.Model) -> float:
        value = reporter(model)
        return math.nan if value is None else value

    return report


REPORTERS: dict[str, Callable[[mesa.Model], float]] = {
    name: _nan_when_undefined(_ratio_reporter(name) if name in RATIOS else _FUNCTIONS[name])
    for name in INDICATOR_NAMES
}
"""Weekly reporters of the DataCollector; an undefined week is NaN (``None`` in summary.json)."""


# ------------------------------------------------------------------------------------------------
# Whole-run values
# ------------------------------------------------------------------------------------------------
def run_values(model: mesa.Model) -> dict[str, float | None]:
    """Every indicator's whole-run value (see the module docstring for the run kinds)."""
    weekly = model.datacollector.get_model_vars_dataframe()
    stats = model.books.stats_frame()
    burn = model.config.metrics.burn_in_weeks
    keep = stats["week"] >= burn if len(stats) > burn else stats["week"] >= 0
    out: dict[str, float | None] = {}
    for ind in INDICATORS:
        series = weekly[ind.name] if ind.name in weekly else None
        if ind.name in RATIOS:
            num, den = RATIOS[ind.name]
            recorded = series is None or series.notna().any()  # undefined every week: None
            out[ind.name] = (
                _safe_ratio(float(stats.loc[keep, num].sum()), float(stats.loc[keep, den].sum()))
                if recorded
                else None
            )
        elif ind.run == "mean":
            values = series[keep.to_numpy()].dropna()
            out[ind.name] = float(values.mean()) if len(values) else None
        elif ind.run == "total":
            rows = keep if ind.name != "policy_spend" else stats["week"] >= 0
            values = series[rows.to_numpy()].dropna()
            out[ind.name] = float(values.sum())
        elif ind.run == "max":
            out[ind.name] = float(series.max()) if len(series) else 0.0
        else:
            value = series.iloc[-1] if len(series) else None
            out[ind.name] = None if value is None or _is_nan(value) else float(value)
    return out


def _is_nan(value: object) -> bool:
    return isinstance(value, float) and math.isnan(value)
