"""Discovery designs: scenario discovery (PRIM, CART, feature scores) and robustness of the paths.

Built on the EMA Workbench (Kwakkel 2017): PRIM with peeling and pasting (Friedman & Fisher 1999)
and quasi-p-values of the box limits (Bryant & Lempert 2010), CART, and extra-trees feature
scores. The unit of analysis is a sampled *world* (one row of the Latin hypercube): a path's value
in a world is the mean over its replicates, and its *effect* is the mean over replicates of the
paired difference to the baseline in the same world (the paths of a world share their seeds).

Every function takes the design's successful runs as a wide frame (``world``, ``replicate``,
``path``, the factor columns and one column per indicator) and returns plain DataFrames.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from village_sim.batch.analyze import values
from village_sim.metrics.stats import mean_ci

OPERATORS = {
    "lt": (np.less, "<"),
    "le": (np.less_equal, "≤"),
    "gt": (np.greater, ">"),
    "ge": (np.greater_equal, "≥"),
}
TRADEOFF_COLUMNS = ["box", "coverage", "density", "mass", "res_dim", "n", "k"]
LIMIT_COLUMNS = ["factor", "min", "max", "range_min", "range_max", "qp_lower", "qp_upper"]


# ------------------------------------------------------------------------------------------------
# Worlds and the quantities judged in them
# ------------------------------------------------------------------------------------------------
def worlds(frame: pd.DataFrame, factors: Sequence[str]) -> pd.DataFrame:
    """The factor values of every world with results (one row per world, indexed by world)."""
    table = frame.drop_duplicates("world").set_index("world").sort_index()
    out = table[list(factors)].apply(pd.to_numeric, errors="coerce").astype(float)
    out.index = out.index.astype(int)
    return out


def replicate_table(frame: pd.DataFrame, path: str, indicator: str) -> pd.DataFrame:
    """A path's indicator as a world × replicate table (NaN where undefined or missing)."""
    part = frame[frame["path"] == path]
    table = pd.DataFrame(
        {
            "world": part["world"].astype(int).to_numpy(),
            "replicate": part["replicate"].astype(int).to_numpy(),
            "value": values(part[indicator]) if indicator in part else np.nan,
        }
    )
    return table.pivot_table(
        index="world", columns="replicate", values="value", aggfunc="first", dropna=False
    )


def paired_effects(frame: pd.DataFrame, path: str, baseline: str, indicator: str) -> pd.DataFrame:
    """``path − baseline`` per world and replicate (same seeds), as a world × replicate table."""
    a = replicate_table(frame, path, indicator)
    b = replicate_table(frame, baseline, indicator)
    index = a.index.union(b.index)
    columns = a.columns.union(b.columns)
    return a.reindex(index=index, columns=columns) - b.reindex(index=index, columns=columns)


def case_values(frame: pd.DataFrame, case: Any, baseline: str) -> pd.Series:
    """The value a case judges in each world: a path's mean, or its mean paired effect.

    Args:
        frame: The design's successful runs.
        case: A :class:`~village_sim.batch.experiment.CaseSpec`.
        baseline: The baseline path's name.

    Returns:
        World -> value (NaN where undefined in every replicate).
    """
    path = case.path or baseline
    if case.effect:
        table = paired_effects(frame, path, baseline, case.indicator)
    else:
        table = replicate_table(frame, path, case.indicator)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # a world undefined in every replicate
        return table.mean(axis=1, skipna=True)


def case_outcome(series: pd.Series, case: Any) -> pd.Series:
    """Whether the case holds in each world with a defined value (bool, undefined dropped)."""
    op, threshold = case.bound()
    defined = series.dropna()
    return pd.Series(OPERATORS[op][0](defined.to_numpy(), threshold), index=defined.index)


def condition_text(case: Any, baseline: str) -> str:
    """The condition in words: ``talent − baseline: anchor_retention_52w ≤ 0``."""
    op, threshold = case.bound()
    path = case.path or baseline
    what = f"{path} − {baseline}" if case.effect else path
    return f"{what}: {case.indicator} {OPERATORS[op][1]} {threshold:g}"


# ------------------------------------------------------------------------------------------------
# PRIM
# ------------------------------------------------------------------------------------------------
@dataclass
class PrimResult:
    """A PRIM box on the peeling-and-pasting trajectory and the trajectory itself.

    Attributes:
        status: ``box`` (a box was found), ``none`` (no world meets the condition) or ``all``
            (every world does) — the last two have no box.
        n_worlds: Worlds analysed (with a defined value).
        n_cases: Worlds where the case holds.
        tradeoff: The trajectory: ``box`` (its index), coverage, density, mass, res_dim, n, k.
        chosen: Index of the chosen box on the trajectory.
        limits: The final box's restricted factors: ``factor``, ``min``, ``max``, the sampled
            ``range_min``/``range_max``, and the quasi-p-values of each restricted side.
        dropped: Restrictions of the chosen box dropped as not significant (quasi-p above
            ``max_qp`` on every restricted side), in the order dropped.
        box_stats: Coverage, density, mass and restricted factors of the final box.
        chosen_limits: The chosen box's restrictions before any was dropped.
    """

    status: str
    n_worlds: int
    n_cases: int
    tradeoff: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=TRADEOFF_COLUMNS))
    chosen: int | None = None
    limits: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=LIMIT_COLUMNS))
    dropped: list[str] = field(default_factory=list)
    box_stats: dict[str, Any] = field(default_factory=dict)
    chosen_limits: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=LIMIT_COLUMNS))

    def stats(self) -> dict[str, Any]:
        """Coverage, density, mass and restricted dimensions of the final box (NaN if none)."""
        if not self.box_stats:
            return {"coverage": np.nan, "density": np.nan, "mass": np.nan, "res_dim": 0}
        return dict(self.box_stats)


def prim(
    x: pd.DataFrame,
    y: np.ndarray,
    min_coverage: float = 0.5,
    mass_min: float = 0.05,
    peel_alpha: float = 0.05,
    paste_alpha: float = 0.05,
    max_qp: float | None = None,
) -> PrimResult:
    """PRIM (EMA Workbench) on binary outcomes; the densest box with ``min_coverage`` is chosen.

    The trajectory runs from the whole space (density = the share of cases) through peeling and
    pasting to the smallest box of ``mass_min``. The chosen box is the one of highest density
    among those covering at least ``min_coverage`` of the cases; ties go to higher coverage,
    then fewer restricted factors. With ``max_qp``, restrictions whose quasi-p-values all exceed
    it are then dropped one at a time, the least significant first (EMA's
    ``drop_restriction``), as Bryant & Lempert (2010) advise.

    Args:
        x: One row per world, one float column per factor.
        y: Whether the case holds in each world.
        min_coverage: Least share of the cases the chosen box must hold.
        mass_min: Smallest share of worlds in a box.
        peel_alpha: Share of the box peeled off at each step.
        paste_alpha: Share pasted back at each step.
        max_qp: Drop restrictions less significant than this (None: keep them all).

    Returns:
        The :class:`PrimResult`; without a box when no world or every world meets the case.
    """
    y = np.asarray(y, dtype=int)
    n_cases = int(y.sum())
    if n_cases == 0 or n_cases == len(y):
        return PrimResult("none" if n_cases == 0 else "all", len(y), n_cases)
    ema_prim = _ema("prim")
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")  # pandas deprecations inside EMA, empty-slice means
        algorithm = ema_prim.Prim(
            x.reset_index(drop=True).astype(float),
            y,
            peel_alpha=peel_alpha,
            paste_alpha=paste_alpha,
            mass_min=mass_min,
        )
        box = algorithm.find_box()
    trajectory = box.peeling_trajectory.reset_index(drop=True)
    tradeoff = pd.DataFrame(
        {
            "box": np.arange(len(trajectory)),
            "coverage": trajectory["coverage"].astype(float),
            "density": trajectory["density"].astype(float),
            "mass": trajectory["mass"].astype(float),
            "res_dim": trajectory["res_dim"].astype(int),
            "n": trajectory["n"].astype(int),
            "k": trajectory["k"].astype(int),
        }
    )
    chosen = choose_box(tradeoff, min_coverage)
    chosen_limits = _limits(box, chosen, x)
    final, dropped = chosen, []
    while max_qp is not None:
        weakest = _least_significant(_limits(box, final, x), max_qp)
        if weakest is None:
            break
        with warnings.catch_warnings(), np.errstate(all="ignore"):
            warnings.simplefilter("ignore")
            box.drop_restriction(weakest, final)
        final = len(box.peeling_trajectory) - 1
        dropped.append(weakest)
    row = box.peeling_trajectory.iloc[final]
    stats = {
        "coverage": float(row["coverage"]),
        "density": float(row["density"]),
        "mass": float(row["mass"]),
        "res_dim": int(row["res_dim"]),
    }
    return PrimResult(
        "box",
        len(y),
        n_cases,
        tradeoff,
        chosen,
        _limits(box, final, x),
        dropped,
        stats,
        chosen_limits,
    )


def _least_significant(limits: pd.DataFrame, max_qp: float) -> str | None:
    """The restricted factor whose smallest quasi-p-value is largest, if above ``max_qp``."""
    if limits.empty:
        return None
    best = limits[["qp_lower", "qp_upper"]].min(axis=1, skipna=True)
    if best.isna().all() or float(best.max()) <= max_qp:
        return None
    return str(limits.loc[best.idxmax(), "factor"])


def choose_box(tradeoff: pd.DataFrame, min_coverage: float) -> int:
    """Highest density among boxes with ``coverage ≥ min_coverage``; then coverage, fewer dims."""
    eligible = tradeoff[tradeoff["coverage"] >= min_coverage - 1e-12]
    if eligible.empty:
        eligible = tradeoff.iloc[[0]]
    ranked = eligible.sort_values(
        ["density", "coverage", "res_dim", "box"], ascending=[False, False, True, True]
    )
    return int(ranked["box"].iloc[0])


def _limits(box: Any, i: int, x: pd.DataFrame) -> pd.DataFrame:
    """The restricted factors of box ``i`` with their limits and quasi-p-values."""
    lims = box.box_lims[i]
    init = box.box_lims[0]
    qp = box.p_values[i]
    rows = []
    for factor in x.columns:
        lo, hi = float(lims[factor].iloc[0]), float(lims[factor].iloc[1])
        lo0, hi0 = float(init[factor].iloc[0]), float(init[factor].iloc[1])
        if lo <= lo0 and hi >= hi0:
            continue
        p = qp.get(factor, [np.nan, np.nan])
        rows.append(
            {
                "factor": factor,
                "min": lo,
                "max": hi,
                "range_min": lo0,
                "range_max": hi0,
                "qp_lower": _qp(p[0]) if lo > lo0 else np.nan,
                "qp_upper": _qp(p[1]) if hi < hi0 else np.nan,
            }
        )
    return pd.DataFrame(rows, columns=LIMIT_COLUMNS)


def _qp(value: Any) -> float:
    value = float(value) if value is not None else np.nan
    return np.nan if value < 0 else value  # EMA marks an unrestricted side with -1


def _ema(module: str) -> Any:
    """An EMA Workbench analysis module (its import warns about optional parallel back ends)."""
    import importlib

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return importlib.import_module(f"ema_workbench.analysis.{module}")


# ------------------------------------------------------------------------------------------------
# CART and feature scores
# ------------------------------------------------------------------------------------------------
def cart(x: pd.DataFrame, y: np.ndarray, mass_min: float = 0.05, seed: int = 0) -> Any:
    """A CART classification tree (EMA Workbench) of the case over the factors.

    scikit-learn breaks ties between equally good splits at random, from NumPy's global
    generator when no seed is given; it is seeded here so the tree is reproducible.

    Returns:
        The fitted ``ema_workbench.analysis.cart.CART`` (``.clf`` is the scikit-learn tree).
    """
    ema_cart = _ema("cart")
    mass_min = max(mass_min, 1.0 / len(x) + 1e-9)  # at least one world in a leaf
    algorithm = ema_cart.CART(x.reset_index(drop=True).astype(float), np.asarray(y, int), mass_min)
    state = np.random.get_state()
    np.random.seed(seed)
    try:
        algorithm.build_tree()
    finally:
        np.random.set_state(state)
    return algorithm


def cart_leaves(algorithm: Any) -> pd.DataFrame:
    """Each leaf of a CART tree: its rule (restricted factors), coverage, density and mass."""
    rows = []
    init = algorithm.x.agg(["min", "max"])
    for i, (box, stats) in enumerate(zip(algorithm.boxes, algorithm.stats, strict=True)):
        parts = []
        for factor in box.columns:
            lo, hi = float(box[factor].iloc[0]), float(box[factor].iloc[1])
            if lo > float(init[factor].iloc[0]):
                parts.append(f"{factor} ≥ {lo:.4g}")
            if hi < float(init[factor].iloc[1]):
                parts.append(f"{factor} ≤ {hi:.4g}")
        rows.append(
            {
                "leaf": i,
                "rule": " and ".join(parts) or "(all worlds)",
                "coverage": float(stats["coverage"]),
                "density": float(stats["density"]),
                "mass": float(stats["mass"]),
                "res_dim": int(stats["res dim"]),
            }
        )
    return pd.DataFrame(rows, columns=["leaf", "rule", "coverage", "density", "mass", "res_dim"])


def feature_scores(
    x: pd.DataFrame, outcomes: Mapping[str, pd.Series], seed: int = 0, trees: int = 250
) -> pd.DataFrame:
    """Extra-trees feature scores (EMA Workbench) of every factor for every outcome.

    A boolean outcome (a case) is scored as a classification, a numeric one (an effect or an
    indicator) as a regression. Worlds where an outcome is undefined are left out of its scores.

    Returns:
        Rows ``outcome``, ``factor``, ``score`` (each outcome's scores sum to 1), ``n_worlds``;
        an outcome that does not vary gets no scores.
    """
    ema_fs = _ema("feature_scoring")
    rule = _ema("scenario_discovery_util").RuleInductionType
    rows = []
    for name, series in outcomes.items():
        defined = series.dropna()
        defined = defined[defined.index.isin(x.index)]
        if defined.nunique() < 2 or len(defined) < 4:
            continue
        binary = defined.dtype == bool
        mode = rule.CLASSIFICATION if binary else rule.REGRESSION
        target = defined.astype(int) if binary else defined.astype(float)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            scores, _ = ema_fs.get_ex_feature_scores(
                x.loc[defined.index].reset_index(drop=True),
                target.to_numpy(),
                mode=mode,
                nr_trees=trees,
                random_state=seed,
            )
        for factor, score in scores.iloc[:, 0].items():
            rows.append(
                {
                    "outcome": name,
                    "factor": str(factor),
                    "score": float(score),
                    "n_worlds": len(defined),
                }
            )
    return pd.DataFrame(rows, columns=["outcome", "factor", "score", "n_worlds"])


# ------------------------------------------------------------------------------------------------
# Robustness and regret
# ------------------------------------------------------------------------------------------------
ROBUSTNESS_COLUMNS = [
    "path",
    "indicator",
    "better",
    "n_worlds",
    "share_better",
    "share_ci_low",
    "share_ci_high",
    "share_mean_better",
    "share_sig_better",
    "share_sig_worse",
    "mean_effect",
    "median_effect",
]


def robustness(
    frame: pd.DataFrame,
    order: Sequence[str],
    baseline: str,
    directions: Mapping[str, str],
    level: float = 0.95,
) -> pd.DataFrame:
    """How often each path beats the baseline over the sampled worlds.

    For each path and indicator: ``share_better``, the share of worlds where one run of the
    path beats the baseline's run with the same seeds — for each replicate r the share of worlds
    won with r's seeds, then the mean over replicates with a t interval over replicates
    (``share_ci_low``/``share_ci_high``); ``share_mean_better``, the share of worlds where the
    effect averaged over the world's replicates is in the better direction (less noisy, so
    usually further from 1/2); the shares of worlds where the paired interval of the effect lies
    wholly on the better (``share_sig_better``) or the worse side (``share_sig_worse``); and the
    mean and median effect over worlds (in the indicator's unit, path − baseline).

    Returns:
        Rows with :data:`ROBUSTNESS_COLUMNS`.
    """
    rows = []
    for path in order:
        if path == baseline:
            continue
        for indicator, better in directions.items():
            sign = 1.0 if better == "higher" else -1.0
            table = paired_effects(frame, path, baseline, indicator)
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", RuntimeWarning)
                means = table.mean(axis=1, skipna=True).dropna()
            n = len(means)
            shares = [
                float(np.mean(sign * col.dropna().to_numpy() > 0))
                for _, col in table.items()
                if col.notna().any()
            ]
            share, lo, hi = mean_ci(np.asarray(shares), level)
            lo = None if lo is None else max(0.0, lo)
            hi = None if hi is None else min(1.0, hi)
            sig_better = sig_worse = 0
            for _, row in table.loc[means.index].iterrows():
                _, dlo, dhi = mean_ci(row.dropna().to_numpy(), level)  # paired: same seeds
                if dlo is not None and dhi is not None:
                    low, high = (dlo, dhi) if sign > 0 else (-dhi, -dlo)  # in 'better' units
                    sig_better += int(low > 0)
                    sig_worse += int(high < 0)
            rows.append(
                {
                    "path": path,
                    "indicator": indicator,
                    "better": better,
                    "n_worlds": n,
                    "share_better": share,
                    "share_ci_low": lo,
                    "share_ci_high": hi,
                    "share_mean_better": float(np.mean(sign * means.to_numpy() > 0))
                    if n
                    else np.nan,
                    "share_sig_better": sig_better / n if n else np.nan,
                    "share_sig_worse": sig_worse / n if n else np.nan,
                    "mean_effect": float(means.mean()) if n else np.nan,
                    "median_effect": float(means.median()) if n else np.nan,
                }
            )
    return pd.DataFrame(rows, columns=ROBUSTNESS_COLUMNS)


def world_regret(
    frame: pd.DataFrame, order: Sequence[str], directions: Mapping[str, str]
) -> pd.DataFrame:
    """Each path's regret in each world: how far its mean falls short of the best path's there.

    Returns:
        Rows ``world``, ``indicator``, ``path``, ``value`` (mean over replicates), ``best_path``,
        ``regret`` (≥ 0, in the indicator's unit); worlds where some path is undefined are left
        out for that indicator, so every path is judged on the same worlds.
    """
    rows = []
    for indicator, better in directions.items():
        means = pd.DataFrame(
            {p: replicate_table(frame, p, indicator).mean(axis=1, skipna=True) for p in order}
        ).dropna()
        if means.empty:
            continue
        best = means.max(axis=1) if better == "higher" else means.min(axis=1)
        best_path = means.idxmax(axis=1) if better == "higher" else means.idxmin(axis=1)
        for path in order:
            regret = (best - means[path]).abs()
            for world in means.index:
                rows.append(
                    {
                        "world": int(world),
                        "indicator": indicator,
                        "path": path,
                        "value": float(means.at[world, path]),
                        "best_path": str(best_path[world]),
                        "regret": float(regret[world]),
                    }
                )
    return pd.DataFrame(
        rows, columns=["world", "indicator", "path", "value", "best_path", "regret"]
    )


def regret_summary(per_world: pd.DataFrame, order: Sequence[str]) -> pd.DataFrame:
    """Mean, 90th percentile and largest regret of each path, and the share of worlds it is best.

    Returns:
        Rows ``path``, ``indicator``, ``n_worlds``, ``mean_regret``, ``p90_regret``,
        ``max_regret``, ``share_best``.
    """
    rows = []
    for (indicator, path), part in per_world.groupby(["indicator", "path"], sort=False):
        r = part["regret"].to_numpy(dtype=float)
        rows.append(
            {
                "path": path,
                "indicator": indicator,
                "n_worlds": len(r),
                "mean_regret": float(r.mean()),
                "p90_regret": float(np.quantile(r, 0.9)),
                "max_regret": float(r.max()),
                "share_best": float((part["best_path"] == path).mean()),
            }
        )
    out = pd.DataFrame(
        rows,
        columns=[
            "path",
            "indicator",
            "n_worlds",
            "mean_regret",
            "p90_regret",
            "max_regret",
            "share_best",
        ],
    )
    rank = {p: i for i, p in enumerate(order)}
    return out.sort_values(
        ["indicator", "path"], key=lambda s: s.map(rank) if s.name == "path" else s
    )
