"""Calibration by rejection ABC on the batch runner (``village-sim calibrate CONFIG.yaml``).

Method (approximate Bayesian computation, rejection with a quantile tolerance; Beaumont et al.
2002, Hartig et al. 2011 for agent-based models):

1. **Search.** A Latin hypercube of ``search.samples`` points over the free parameters' uniform
   priors, ``replicates`` runs per point with common random numbers (replicate r has the same seed
   at every point), run as a batch experiment on Dask into a resumable DuckDB store
   (``OUT/search/``). The generated experiment file is ``OUT/search.yaml``.
2. **Distance.** For each point, each ``calibrate`` pattern's value is its mean over replicates
   (:func:`village_sim.metrics.patterns.evaluate`); its scaled deviation is
   ``(value − target) / side``, where ``side`` is the distance from the target to the band edge on
   the value's side, so that a band edge is ±1. The distance is the root mean square of the
   scaled deviations; a point where a pattern is undefined has an infinite distance.
3. **Acceptance.** The ``fraction`` of points with the smallest distance (at least
   ``min_accepted``) is accepted: a sample of the approximate posterior.
4. **Regression adjustment** (``acceptance.adjustment: regression``, the default; Beaumont et
   al. 2002). Each accepted point gets an Epanechnikov weight ``1 − (distance / δ)²`` (δ: the
   smallest distance of a rejected point); each parameter, on a logit scale within its prior, is
   regressed (weighted least squares) on the points' scaled deviations, and the fitted effect
   of the deviations is taken away: ``θ* = θ − β·dev``, the value the point would have needed to
   hit every target. With several parameters a plain rejection sample stays nearly as wide as
   the prior even where each pattern is driven by one parameter; the adjustment recovers that.
5. **Identification.** A parameter is identified when the (weighted) 90 % interval of its
   adjusted accepted values is narrower than ``identified_ratio`` of the prior's 90 % interval.
6. **Point estimate.** The weighted median of each identified parameter; a parameter that is not
   identified keeps the scenario's value (the calibration says nothing about it).
7. **Verification.** The point estimate and the unchanged defaults run ``verify.replicates``
   fresh seeds each, without the search's overrides (``OUT/verify/``); every pattern — the held-back
   ``validate`` ones too — is checked on them.

Outputs in ``OUT``: ``points.csv`` (every point: parameters, pattern values, deviations, distance,
accepted), ``accepted.csv``, ``posterior.csv``, ``estimate.yaml`` (overrides), ``verification.csv``
(``patterns.csv`` columns plus ``alternative``), ``posterior.png``, ``patterns.png`` and
``REPORT.md``.
"""

from __future__ import annotations

import json
import math
import shutil
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import yaml

from village_sim.batch.experiment import load_experiment
from village_sim.batch.runner import BatchOptions, check_scheduler, run_batch
from village_sim.batch.store import Store
from village_sim.calibration.config import CalibrationConfig
from village_sim.metrics.indicators import INDICATOR_NAMES
from village_sim.metrics.patterns import evaluate, format_table, plot
from village_sim.metrics.targets import Pattern, Targets, load_targets
from village_sim.outputs import check_out_dir, git_commit, remove_own_folder, write_marker
from village_sim.run import load_scenario
from village_sim.scenario.errors import ScenarioError

SEARCH_DESIGN = "search.yaml"
VERIFY_DESIGN = "verify.yaml"
CONFIG_COPY = "config.yaml"
PUBLISHED = (
    "REPORT.md",
    "accepted.csv",
    "posterior.csv",
    "estimate.yaml",
    "verification.csv",
    "posterior.png",
    "patterns.png",
)


@dataclass
class CalibrationResult:
    """What a calibration produced.

    Attributes:
        out: The output folder.
        points: Every design point with its distance (``points.csv``).
        posterior: One row per parameter (``posterior.csv``).
        estimate: Scenario path -> calibrated value (``estimate.yaml``).
        verification: Pattern table per alternative (``verification.csv``), or empty.
        failed_runs: Runs that failed in the search or the verification.
        budget: Runs and wall time of the search and the verification.
        adjusted: Whether the regression adjustment was applied.
    """

    out: Path
    points: pd.DataFrame
    posterior: pd.DataFrame
    estimate: dict[str, Any]
    verification: pd.DataFrame
    failed_runs: int = 0
    budget: dict[str, Any] = field(default_factory=dict)
    adjusted: bool = False


# ------------------------------------------------------------------------------------------------
# Distances
# ------------------------------------------------------------------------------------------------
def scaled_deviation(pattern: Pattern, value: float | None) -> float:
    """``(value − target) / side``: ±1 at the band's edges, NaN when the value is undefined."""
    if value is None or not math.isfinite(value):
        return math.nan
    low, high = pattern.band
    side = (high - pattern.target) if value >= pattern.target else (pattern.target - low)
    if side <= 0:
        side = (high - low) / 2 or 1.0
    return (value - pattern.target) / side


def distance(deviations: list[float]) -> float:
    """Root mean square of scaled deviations; infinite when one is undefined."""
    if not deviations or any(not math.isfinite(d) for d in deviations):
        return math.inf
    return float(math.sqrt(sum(d * d for d in deviations) / len(deviations)))


def score_points(targets: Targets, wide: pd.DataFrame, names: list[str]) -> pd.DataFrame:
    """One row per design point: parameter values, pattern means, deviations and distance.

    Args:
        targets: The targets (only ``calibrate`` patterns enter the distance).
        wide: The store's runs with one column per indicator (:meth:`Store.wide`).
        names: The free parameters' column names.
    """
    fitted = targets.role("calibrate")
    rows = []
    for point, group in wide.groupby("point", sort=True):
        cols = [c for c in group.columns if _is_indicator(c)]
        runs = [
            {k: (None if _missing(v) else float(v)) for k, v in rec.items()}
            for rec in group[cols].to_dict("records")
        ]
        table = evaluate(targets, runs).set_index("pattern")
        row: dict[str, Any] = {"point": int(point), "replicates": len(group)}
        row.update({n: float(group[n].iloc[0]) for n in names})
        devs = []
        for p in targets.patterns:
            value = table.at[p.name, "value"]
            value = None if _missing(value) else float(value)
            row[f"value:{p.name}"] = value
            row[f"pass:{p.name}"] = bool(table.at[p.name, "passed"])
            if p.role == "calibrate":
                dev = scaled_deviation(p, value)
                row[f"dev:{p.name}"] = dev
                devs.append(dev)
        row["distance"] = distance(devs)
        row["in_band"] = all(row[f"pass:{p.name}"] for p in fitted)
        rows.append(row)
    frame = pd.DataFrame(rows)
    if frame.empty:
        return frame
    frame["rank"] = frame["distance"].rank(method="first").astype(int)
    return frame.sort_values("point").reset_index(drop=True)


def accept(points: pd.DataFrame, fraction: float, min_accepted: int) -> pd.DataFrame:
    """Mark the accepted points: the smallest distances, ``ceil(fraction·n)`` but ≥ ``min_accepted``.

    Points with an infinite distance are never accepted.
    """
    points = points.copy()
    finite = points[np.isfinite(points["distance"])]
    n = min(len(finite), max(min_accepted, math.ceil(fraction * len(points))))
    chosen = finite.nsmallest(n, "distance").index
    points["accepted"] = points.index.isin(chosen)
    return points


def adjust(points: pd.DataFrame, config: CalibrationConfig, method: str) -> pd.DataFrame:
    """The accepted points' weights and (regression-adjusted) parameter values.

    Args:
        points: Scored points with the ``accepted`` column (:func:`accept`).
        config: The calibration (parameter names and priors).
        method: ``regression`` (Beaumont et al. 2002, see the module docstring) or ``none``
            (every accepted point weighs 1, values unchanged).

    Returns:
        One row per accepted point (same index): ``weight`` and ``adj:NAME`` per parameter;
        ``attrs["adjusted"]`` says whether the regression was applied. With fewer accepted points
        than twice the regression's coefficients it is not (an overfitted regression would give
        a falsely narrow posterior).
    """
    acc = points[points["accepted"]]
    names = list(config.spec.parameters)
    out = pd.DataFrame(index=acc.index)
    n_devs = sum(c.startswith("dev:") for c in acc.columns)
    out.attrs["adjusted"] = method == "regression" and len(acc) >= 2 * (n_devs + 2)
    if not out.attrs["adjusted"]:
        out["weight"] = 1.0
        for name in names:
            out[f"adj:{name}"] = acc[name].astype(float)
        return out
    rejected = points.loc[~points["accepted"] & np.isfinite(points["distance"]), "distance"]
    delta = float(rejected.min()) if len(rejected) else float(acc["distance"].max()) * 1.05
    delta = max(delta, float(acc["distance"].max()) * (1 + 1e-9), 1e-12)
    weight = 1.0 - (acc["distance"].to_numpy(dtype=float) / delta) ** 2
    devs = acc[[c for c in acc.columns if c.startswith("dev:")]].to_numpy(dtype=float)
    design = np.column_stack([np.ones(len(acc)), devs])
    root = np.sqrt(weight)[:, None]
    out["weight"] = weight
    for name in names:
        low, high = config.spec.parameters[name].prior
        z = _logit((acc[name].to_numpy(dtype=float) - low) / (high - low))
        beta, *_ = np.linalg.lstsq(design * root, z * root[:, 0], rcond=None)
        z_adj = z - devs @ beta[1:]
        out[f"adj:{name}"] = low + (high - low) / (1.0 + np.exp(-z_adj))
    return out


def weighted_quantiles(
    values: np.ndarray, weights: np.ndarray, qs: tuple[float, ...]
) -> tuple[float, ...]:
    """Quantiles of a weighted sample (midpoint interpolation of the weighted CDF)."""
    keep = weights > 0
    values, weights = values[keep], weights[keep]
    if values.size == 0:
        return (math.nan,) * len(qs)
    order = np.argsort(values, kind="stable")
    values, weights = values[order], weights[order]
    cdf = (np.cumsum(weights) - 0.5 * weights) / weights.sum()
    return tuple(float(np.interp(q, cdf, values)) for q in qs)


def _logit(u: np.ndarray) -> np.ndarray:
    u = np.clip(u, 1e-6, 1 - 1e-6)
    return np.log(u / (1 - u))


def summarise_posterior(
    points: pd.DataFrame,
    config: CalibrationConfig,
    current: dict[str, Any],
    ratio: float,
    adjusted: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """One row per parameter: prior, accepted quantiles, contraction, identified, estimate.

    Args:
        points: Scored points with the ``accepted`` column.
        config: The calibration.
        current: Each parameter's value in the scenario (kept where not identified).
        ratio: The identification threshold on the contraction.
        adjusted: Weights and adjusted values of the accepted points (:func:`adjust`; default:
            plain rejection).
    """
    if adjusted is None:
        adjusted = adjust(points, config, "none")
    best = (
        points.loc[points["distance"].idxmin()] if np.isfinite(points["distance"]).any() else None
    )
    weights = adjusted["weight"].to_numpy(dtype=float)
    rows = []
    for name, par in config.spec.parameters.items():
        low, high = par.prior
        values = adjusted[f"adj:{name}"].to_numpy(dtype=float)
        q05, q50, q95 = weighted_quantiles(values, weights, (0.05, 0.5, 0.95))
        contraction = (q95 - q05) / (0.9 * (high - low)) if values.size else math.nan
        identified = bool(values.size and math.isfinite(contraction) and contraction < ratio)
        finite = points[np.isfinite(points["distance"])]
        rho = (
            float(finite[name].rank().corr(finite["distance"].rank()))
            if len(finite) > 2
            else math.nan
        )
        now = current.get(par.path)
        estimate = _round(q50, par.integer) if identified else now
        rows.append(
            {
                "parameter": name,
                "path": par.path,
                "prior_low": low,
                "prior_high": high,
                "provenance": par.provenance,
                "accepted_q05": q05,
                "accepted_median": q50,
                "accepted_q95": q95,
                "contraction": contraction,
                "identified": identified,
                "spearman_distance": rho,
                "best": None if best is None else float(best[name]),
                "current": now,
                "estimate": estimate,
            }
        )
    return pd.DataFrame(rows)


# ------------------------------------------------------------------------------------------------
# Experiments on the batch runner
# ------------------------------------------------------------------------------------------------
def indicators_needed(targets: Targets) -> list[str]:
    """Every indicator the patterns read (numerators and denominators)."""
    names: list[str] = []
    for p in targets.patterns:
        for n in (p.indicator, p.divide_by):
            if n is not None and n not in names:
                names.append(n)
    return names


def search_experiment(config: CalibrationConfig, targets: Targets) -> dict[str, Any]:
    """The batch experiment of the search: an LHS over the priors, common random numbers."""
    spec = config.spec
    exp: dict[str, Any] = {
        "name": f"{spec.name}_search",
        "description": f"Calibration search of {config.source.name} (generated; do not edit)",
        "scenario": str(config.scenario_path),
        "overrides": dict(spec.overrides),
        "replicates": spec.replicates,
        "seed": spec.seed,
        "seeds": "common",
        "factors": {
            name: {
                "path": p.path,
                "min": float(p.prior[0]),
                "max": float(p.prior[1]),
                "integer": p.integer,
            }
            for name, p in spec.parameters.items()
        },
        "design": {"type": "lhs", "samples": spec.search.samples, "seed": spec.seed},
        "keep": {"indicators": indicators_needed(targets), "timeseries": []},
    }
    if spec.steps is not None:
        exp["steps"] = spec.steps
    return exp


def verify_experiment(
    config: CalibrationConfig, targets: Targets, estimate: dict[str, Any]
) -> dict[str, Any]:
    """The batch experiment of the verification: defaults and point estimate, fresh seeds."""
    spec = config.spec
    exp: dict[str, Any] = {
        "name": f"{spec.name}_verify",
        "description": f"Verification of the calibration {config.source.name} (generated)",
        "scenario": str(config.scenario_path),
        "overrides": dict(spec.verify.overrides),
        "replicates": spec.verify.replicates,
        "seed": spec.verify.seed,
        "seeds": "common",
        "design": {
            "type": "paths",
            "paths": {
                "defaults": {"description": "the scenario's defaults"},
                "calibrated": {
                    "overrides": {k: _plain(v) for k, v in estimate.items()},
                    "description": "the point estimate",
                },
            },
        },
        "keep": {"indicators": indicators_needed(targets), "timeseries": []},
    }
    if spec.steps is not None:
        exp["steps"] = spec.steps
    return exp


def _experiment_text(data: dict[str, Any]) -> str:
    return "# Generated by village-sim calibrate; do not edit.\n" + yaml.safe_dump(
        data, sort_keys=False, allow_unicode=True
    )


def _write_experiment(text: str, path: Path) -> Any:

    path.write_text(text, encoding="utf-8")
    return load_experiment(path)


def _batch(
    experiment: Any,
    out: Path,
    workers: int | None,
    scheduler: str | None,
    resume: bool,
    progress: str,
) -> Any:

    options = BatchOptions(
        out=out,
        workers=workers,
        scheduler=scheduler,
        resume=resume,
        overwrite=not resume,
        progress=progress,
    )
    return run_batch(experiment, options)


def _wide(store_path: Path) -> tuple[pd.DataFrame, dict[str, Any]]:

    store = Store(store_path, read_only=True)
    try:
        wide = store.wide()
        runs = store.runs()
        sessions = store.table("sessions")
    finally:
        store.close()
    wall = 0.0
    for text in sessions["stats"].dropna():
        wall += float(json.loads(text).get("wall_s", 0.0))
    ok = runs[runs["status"] == "ok"]
    budget = {
        "runs": int(len(runs)),
        "ok": int(len(ok)),
        "failed": int((runs["status"] == "failed").sum()),
        "wall_s": wall,
        "run_s_mean": float(ok["wall_time_s"].mean()) if len(ok) else None,
        "cpu_s": float(ok["wall_time_s"].sum()) if len(ok) else 0.0,
        "workers": [int(w) for w in sessions["workers"].dropna()],
    }
    return wide, budget


# ------------------------------------------------------------------------------------------------
# The command
# ------------------------------------------------------------------------------------------------
def run_calibration(
    config: CalibrationConfig,
    out: Path,
    workers: int | None = None,
    scheduler: str | None = None,
    resume: bool = False,
    overwrite: bool = False,
    progress: str = "auto",
    echo: Callable[[str], None] | None = None,
) -> CalibrationResult:
    """Search, accept, verify and report (see the module docstring).

    Args:
        config: A validated calibration file (:func:`~village_sim.calibration.config.load_config`).
        out: The output folder.
        workers: Local Dask workers (default one per core; 1 runs in-process).
        scheduler: Address of an existing Dask scheduler instead.
        resume: Continue a calibration in ``out`` (complete runs are skipped).
        overwrite: Replace a non-empty ``out``.
        progress: Progress display of the batches (``auto``, ``bar``, ``log``, ``none``).
        echo: Where to print notes (default: stderr).

    Returns:
        The :class:`CalibrationResult`.

    Raises:
        ScenarioError: ``--resume`` with a changed calibration file, or invalid input.
        OutputExistsError: ``out`` exists, is not empty, and neither flag is given.
    """
    say = echo or (lambda text: print(text, file=sys.stderr, flush=True))
    if scheduler:
        check_scheduler(scheduler)  # before out is made
    targets = load_targets(config.targets_path)
    search_text = _experiment_text(search_experiment(config, targets))
    if resume and (out / SEARCH_DESIGN).is_file():
        # Only the search must be the same: a new acceptance rule or verification re-analyses
        # the runs already made (and verifies its own estimate afresh).
        if (out / SEARCH_DESIGN).read_text(encoding="utf-8") != search_text:
            raise ScenarioError(
                [
                    (
                        "",
                        f"the search (scenario, overrides, steps, replicates, seed, "
                        f"parameters, search) changed since {out} was "
                        "started; expected the same search to resume (or start "
                        "again with --overwrite, or into a new --out)",
                    )
                ],
                str(config.source),
            )
    else:
        check_out_dir(out, overwrite or resume, keep=(config.source,))
        if out.exists() and any(out.iterdir()):
            remove_own_folder(out)
    out.mkdir(parents=True, exist_ok=True)
    write_marker(out, "calibration")
    (out / CONFIG_COPY).write_text(config.text, encoding="utf-8")

    spec = config.spec
    n_runs = spec.search.samples * spec.replicates
    say(
        f"calibration '{spec.name}': search of {spec.search.samples} points × {spec.replicates} "
        f"replicates = {n_runs} runs over {len(spec.parameters)} parameters"
    )
    search = _write_experiment(search_text, out / SEARCH_DESIGN)
    _batch(search, out / "search", workers, scheduler, resume, progress)
    wide, search_budget = _wide(out / "search" / "results.duckdb")
    names = list(spec.parameters)
    points = score_points(targets, wide, names)
    if points.empty:
        raise RuntimeError(
            "no run of the search succeeded; see the runs table of "
            f"{out / 'search' / 'results.duckdb'}"
        )
    points = accept(points, spec.acceptance.fraction, spec.acceptance.min_accepted)
    adjusted = adjust(points, config, spec.acceptance.adjustment)
    current = current_values(config)
    posterior = summarise_posterior(
        points, config, current, spec.acceptance.identified_ratio, adjusted
    )
    estimate = {
        row.path: row.estimate
        for row in posterior.itertuples()
        if row.identified and row.estimate is not None
    }

    points.to_csv(out / "points.csv", index=False)
    accepted = points[points["accepted"]].join(adjusted).sort_values("distance")
    accepted.to_csv(out / "accepted.csv", index=False)
    posterior.to_csv(out / "posterior.csv", index=False)
    (out / "estimate.yaml").write_text(
        "# Calibrated values (scenario path: value); use as --set PATH=VALUE or in a scenario.\n"
        + yaml.safe_dump({k: _plain(v) for k, v in estimate.items()}, sort_keys=False),
        encoding="utf-8",
    )
    plot_posterior(points, config, posterior, out / "posterior.png", adjusted)

    verification = pd.DataFrame()
    verify_budget: dict[str, Any] = {}
    if spec.verify.replicates > 0:
        say(f"verification: defaults and point estimate, {spec.verify.replicates} fresh seeds each")
        verify_text = _experiment_text(verify_experiment(config, targets, estimate))
        path = out / VERIFY_DESIGN
        same = path.is_file() and path.read_text(encoding="utf-8") == verify_text
        verify = _write_experiment(verify_text, path)
        _batch(verify, out / "verify", workers, scheduler, resume and same, progress)
        vwide, verify_budget = _wide(out / "verify" / "results.duckdb")
        frames = []
        for alternative in ("defaults", "calibrated"):
            rows = vwide[vwide["path"] == alternative]
            runs = [
                {k: (None if _missing(v) else float(v)) for k, v in rec.items() if _is_indicator(k)}
                for rec in rows.to_dict("records")
            ]
            table = evaluate(targets, runs)
            table.insert(0, "alternative", alternative)
            table["replicates"] = len(runs)
            frames.append(table)
        verification = pd.concat(frames, ignore_index=True)
        verification.to_csv(out / "verification.csv", index=False)
        plot(
            verification[verification["alternative"] == "calibrated"]
            .drop(columns=["alternative", "replicates"])
            .reset_index(drop=True),
            out / "patterns.png",
        )

    budget = {"search": search_budget, "verify": verify_budget}
    result = CalibrationResult(
        out,
        points,
        posterior,
        estimate,
        verification,
        search_budget["failed"] + verify_budget.get("failed", 0),
        budget,
        bool(adjusted.attrs["adjusted"]),
    )
    (out / "REPORT.md").write_text(report_markdown(config, targets, result), encoding="utf-8")
    return result


def publish(out: Path, folder: Path) -> list[Path]:
    """Copy the report, the accepted sets, the posterior and the figures into ``folder``."""
    folder.mkdir(parents=True, exist_ok=True)
    copied = []
    for name in PUBLISHED:
        if (out / name).is_file():
            shutil.copyfile(out / name, folder / name)
            copied.append(folder / name)
    return copied


def current_values(config: CalibrationConfig) -> dict[str, Any]:
    """Each free parameter's value in the base scenario (with the calibration's overrides)."""
    scenario = load_scenario(config.scenario_path)
    return {p.path: _plain(get_path(scenario, p.path)) for p in config.spec.parameters.values()}


def get_path(obj: Any, path: str) -> Any:
    """The value at a dotted scenario path (model attributes and mapping keys)."""
    for part in path.split("."):
        obj = obj[part] if isinstance(obj, dict) else getattr(obj, part)
    return obj


# ------------------------------------------------------------------------------------------------
# Figures and the report
# ------------------------------------------------------------------------------------------------
def plot_posterior(
    points: pd.DataFrame,
    config: CalibrationConfig,
    posterior: pd.DataFrame,
    path: Path,
    adjusted: pd.DataFrame | None = None,
) -> None:
    """Per parameter: the profile (distance by value, accepted highlighted) and a histogram.

    The histogram shows the accepted values over the prior range: as sampled, and (where the
    calibration adjusts them) after the regression adjustment, weighted.
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    names = list(config.spec.parameters)
    ncols = min(3, len(names))
    nrows = math.ceil(len(names) / ncols)
    fig, axes = plt.subplots(
        2 * nrows,
        ncols,
        figsize=(4.2 * ncols, 5.0 * nrows),
        dpi=100,
        squeeze=False,
        gridspec_kw={"height_ratios": [2, 1] * nrows},
    )
    finite = points[np.isfinite(points["distance"])]
    acc = finite[finite["accepted"]]
    post = posterior.set_index("parameter")
    for i, name in enumerate(names):
        r, c = 2 * (i // ncols), i % ncols
        top, bottom = axes[r][c], axes[r + 1][c]
        low, high = config.spec.parameters[name].prior
        top.scatter(finite[name], finite["distance"], s=8, color="0.6", label="all points")
        top.scatter(acc[name], acc["distance"], s=14, color="tab:blue", label="accepted")
        top.axhline(1.0, color="tab:green", lw=0.8, ls="--", label="distance 1 (band edge)")
        est = post.at[name, "estimate"]
        if est is not None and not _missing(est):
            top.axvline(float(est), color="tab:red", lw=1.0, label="estimate")
        top.set_yscale("log")
        top.set_xlim(low, high)
        tag = "identified" if post.at[name, "identified"] else "not identified"
        top.set_title(f"{name} ({tag})", fontsize=9)
        top.set_ylabel("distance", fontsize=8)
        top.tick_params(labelsize=7)
        bins = np.linspace(low, high, 16)
        bottom.hist(acc[name], bins=bins, color="0.7", alpha=0.8, label="accepted as sampled")
        if adjusted is not None and (adjusted[f"adj:{name}"] != acc[name]).any():
            bottom.hist(
                adjusted[f"adj:{name}"],
                bins=bins,
                weights=adjusted["weight"],
                color="tab:blue",
                alpha=0.7,
                label="regression-adjusted (weighted)",
            )
        bottom.set_xlim(low, high)
        bottom.set_xlabel(config.spec.parameters[name].path, fontsize=8)
        bottom.set_ylabel("accepted (weight)", fontsize=8)
        bottom.tick_params(labelsize=7)
        if i == 0:
            top.legend(fontsize=6, loc="upper right")
            bottom.legend(fontsize=6, loc="upper right")
    for j in range(len(names), nrows * ncols):
        r, c = 2 * (j // ncols), j % ncols
        axes[r][c].axis("off")
        axes[r + 1][c].axis("off")
    fig.suptitle(
        "Calibration: profiles (distance by value) and accepted values over the priors", fontsize=10
    )
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)


def report_markdown(config: CalibrationConfig, targets: Targets, result: CalibrationResult) -> str:
    """The calibration report (``REPORT.md``)."""
    spec = config.spec
    points, posterior = result.points, result.posterior
    acc = points[points["accepted"]].sort_values("distance")
    sb = result.budget["search"]
    vb = result.budget.get("verify") or {}
    fitted = targets.role("calibrate")
    held = targets.role("validate")
    lines = [
        f"# Calibration report: {spec.name}",
        "",
        f"Generated by `village-sim calibrate {config.source}` on "
        f"{datetime.now(UTC).strftime('%Y-%m-%d %H:%M')} UTC (git {git_commit() or 'unknown'}). "
        "Regenerate it with the same command; everything below is computed, not written by hand.",
        "",
    ]
    if spec.description:
        lines += [spec.description.strip(), ""]
    lines += [
        "## Method",
        "",
        "Rejection ABC (approximate Bayesian computation) with a quantile tolerance "
        "(`village_sim/calibration/calibrate.py`):",
        "",
        f"1. **Search.** A Latin hypercube (SALib `latin`, seed {spec.seed}) of "
        f"{spec.search.samples} points over the uniform priors of {len(spec.parameters)} free "
        f"parameters; {spec.replicates} replicates per point with common random numbers (replicate "
        "r has the same seed at every point), run by the batch runner on Dask into a resumable "
        "DuckDB store (`search/results.duckdb`).",
        "2. **Distance.** Per point, each *calibrate* pattern's value is its mean over the "
        "replicates; its scaled deviation is (value − target) / (distance from the target to the "
        "band edge on the value's side), so a band edge is ±1; the distance is the root mean "
        "square of the scaled deviations over the patterns "
        f"({', '.join(f'`{p.name}`' for p in fitted)}). The *validate* patterns "
        f"({', '.join(f'`{p.name}`' for p in held) or 'none'}) never enter it.",
        f"3. **Acceptance.** The {spec.acceptance.fraction:.0%} of points with the smallest "
        f"distance (at least {spec.acceptance.min_accepted}): {int(points['accepted'].sum())} "
        "accepted parameter sets, a sample of the approximate posterior.",
        (
            "4. **Regression adjustment** (Beaumont et al. 2002). Each accepted point is weighted "
            "1 − (distance / δ)² (δ: the smallest rejected distance); each parameter, on a logit "
            "scale within its prior, is regressed by weighted least squares on the points' scaled "
            "deviations, and the fitted effect is removed (θ* = θ − β·dev: the value that point "
            "would have needed to meet every target)."
            if result.adjusted
            else "4. **No adjustment** ("
            + (
                "too few accepted points for the regression; "
                if spec.acceptance.adjustment == "regression"
                else ""
            )
            + "the accepted values are the posterior sample as they are, each with weight 1)."
        ),
        "5. **Identification.** A parameter is *identified* when its (adjusted, weighted) "
        f"accepted 90 % interval is narrower than {spec.acceptance.identified_ratio:g} × its "
        "prior's 90 % interval (contraction below that ratio).",
        "6. **Point estimate.** The weighted median of each identified parameter; a parameter "
        "that is not identified keeps its current value.",
        (
            f"7. **Verification.** The point estimate and the unchanged defaults, "
            f"{spec.verify.replicates} fresh seeds each (root seed {spec.verify.seed}), "
            + (
                "without the search's overrides"
                if not spec.verify.overrides
                else f"with overrides {spec.verify.overrides}"
            )
            + ": every pattern is checked, the held-back ones too."
            if spec.verify.replicates
            else "6. **Verification.** Not run (`verify.replicates: 0`)."
        ),
        "",
        "## Budget",
        "",
        f"- Search: {sb['runs']} runs ({sb['failed']} failed), {sb['wall_s'] / 60:.1f} min wall "
        f"time, {sb['cpu_s'] / 60:.1f} min of simulation"
        + (f" (mean {sb['run_s_mean']:.1f} s per run)" if sb.get("run_s_mean") else "")
        + f"; workers per session: {sb['workers'] or 'in-process'}.",
        f"- Scenario `{spec.scenario}`, "
        + (f"{spec.steps} weeks" if spec.steps else "its own length")
        + (
            f"; search overrides {spec.overrides}"
            if spec.overrides
            else "; no overrides (the scenario at its own scale)"
        )
        + ".",
    ]
    if vb:
        lines.append(
            f"- Verification: {vb['runs']} runs ({vb['failed']} failed), "
            f"{vb['wall_s'] / 60:.1f} min wall time."
        )
    lines += [
        "",
        "## Free parameters and posterior",
        "",
        "Posterior median and 5–95 % range of the accepted values"
        + (" after the regression adjustment (weighted)" if result.adjusted else "")
        + "; *contraction* = that 90 % range / the prior's 90 % range; ρ = Spearman correlation "
        "of the parameter with the distance over all points (the direction of the profile).",
        "",
        "| parameter | path | prior | prior from | accepted median [5 %, 95 %] | contraction | ρ "
        "| identified | current | estimate |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in posterior.itertuples():
        lines.append(
            f"| `{r.parameter}` | `{r.path}` | [{_g(r.prior_low)}, {_g(r.prior_high)}] | "
            f"{r.provenance} | {_g(r.accepted_median)} [{_g(r.accepted_q05)}, "
            f"{_g(r.accepted_q95)}] | {r.contraction:.2f} | {r.spearman_distance:+.2f} | "
            f"{'yes' if r.identified else 'no'} | {_g(r.current)} | {_g(r.estimate)} |"
        )
    lines += [
        "",
        "![profiles and posterior](posterior.png)",
        "",
        "## Accepted parameter sets",
        "",
        f"The {len(acc)} accepted points, by distance (calibrate patterns: mean over "
        f"{spec.replicates} replicates). In band = every calibrate pattern inside its band.",
        "",
    ]
    head = ["point", "distance", *spec.parameters, *(p.name for p in fitted), "in band"]
    lines += ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for r in acc.to_dict("records"):
        cells = [
            str(r["point"]),
            f"{r['distance']:.3f}",
            *(_g(r[n]) for n in spec.parameters),
            *(_g(r[f"value:{p.name}"]) for p in fitted),
            "yes" if r["in_band"] else "no",
        ]
        lines.append("| " + " | ".join(cells) + " |")
    n_in = int(points["in_band"].sum())
    lines += [
        "",
        f"Points with every calibrate pattern in band: {n_in} of {len(points)} "
        f"({int(acc['in_band'].sum())} of the {len(acc)} accepted).",
        "",
    ]
    if held:
        lines += [
            "Held-back patterns over the accepted sets (a posterior predictive check "
            "within the search; each point's value is its replicate mean):",
            "",
            "| pattern | band | accepted points in band | median value [min, max] |",
            "|---|---|---|---|",
        ]
        for p in held:
            vals = acc[f"value:{p.name}"].dropna().astype(float)
            inside = int(acc[f"pass:{p.name}"].sum())
            rng = (
                f"{vals.median():.3f} [{vals.min():.3f}, {vals.max():.3f}]"
                if len(vals)
                else "undefined"
            )
            lines.append(
                f"| `{p.name}` | [{_g(p.band[0])}, {_g(p.band[1])}] | {inside} of "
                f"{len(acc)} | {rng} |"
            )
        lines.append("")
    ver = result.verification
    if not ver.empty:
        lines += [
            "## Patterns at the point estimate (verification)",
            "",
            f"{spec.verify.replicates} fresh seeds per alternative; value = mean, 95 % t "
            "interval over seeds; a pattern passes when the mean is inside its band.",
            "",
            "| pattern | role | band | defaults | calibrated |",
            "|---|---|---|---|---|",
        ]
        by = {
            alt: ver[ver["alternative"] == alt].set_index("pattern")
            for alt in ("defaults", "calibrated")
        }
        for p in targets.patterns:
            cells = []
            for alt in ("defaults", "calibrated"):
                row = by[alt].loc[p.name]
                cells.append(_cell(row))
            lines.append(
                f"| `{p.name}` | {p.role} | [{_g(p.band[0])}, {_g(p.band[1])}] | "
                f"{cells[0]} | {cells[1]} |"
            )
        cal = by["calibrated"]
        lines += [
            "",
            "![patterns at the point estimate](patterns.png)",
            "",
            "## Held-back patterns: the secondary prediction",
            "",
        ]
        fit_ok = all(bool(cal.at[p.name, "passed"]) for p in fitted)
        lines.append(
            f"Calibration targets at the point estimate: "
            f"{'all pass' if fit_ok else 'not all pass'} "
            f"({sum(bool(cal.at[p.name, 'passed']) for p in fitted)} of {len(fitted)})."
        )
        lines.append("")
        for p in held:
            row = cal.loc[p.name]
            verdict = "**passes**" if row["passed"] else "**fails**"
            lines.append(
                f"- `{p.name}` ({p.source}): {_cell(row)} against [{_g(p.band[0])}, "
                f"{_g(p.band[1])}] — {verdict}, without having been fitted."
            )
        lines.append("")
    lines += [
        "## Files",
        "",
        "`points.csv` (every point: parameters, pattern values, scaled deviations, distance, "
        "accepted), `accepted.csv`, `posterior.csv`, `estimate.yaml` (the point estimate as "
        "scenario overrides), `verification.csv`, `posterior.png`, `patterns.png`, "
        "`search.yaml` and `verify.yaml` (the generated batch experiments), `search/` and "
        "`verify/` (their DuckDB stores).",
        "",
    ]
    return "\n".join(lines)


def terminal_summary(result: CalibrationResult) -> str:
    """A short text summary for the terminal."""
    out = ["parameter            estimate   accepted median [5%, 95%]      identified"]
    for r in result.posterior.itertuples():
        out.append(
            f"{r.parameter:<20} {_g(r.estimate):>9}   {_g(r.accepted_median):>8} "
            f"[{_g(r.accepted_q05)}, {_g(r.accepted_q95)}]".ljust(62)
            + ("yes" if r.identified else "no")
        )
    ver = result.verification
    if not ver.empty:
        out += [
            "",
            "patterns at the point estimate:",
            format_table(
                ver[ver["alternative"] == "calibrated"]
                .drop(columns=["alternative", "replicates"])
                .reset_index(drop=True)
            ),
        ]
    return "\n".join(out)


def _cell(row: Any) -> str:
    value = row["value"]
    if _missing(value):
        return "undefined — fail"
    ci = "" if _missing(row["ci_low"]) else f" [{row['ci_low']:.3f}, {row['ci_high']:.3f}]"
    return f"{value:.3f}{ci} {'pass' if row['passed'] else 'FAIL'}"


def _g(value: Any) -> str:
    if value is None or _missing(value):
        return "–"
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, int | np.integer):
        return str(int(value))
    return f"{float(value):.4g}"


def _round(value: float, integer: bool) -> float | int:
    if integer:
        return int(round(value))
    if value == 0 or not math.isfinite(value):
        return float(value)
    digits = 2 - int(math.floor(math.log10(abs(value))))
    return float(round(value, digits))


def _plain(value: Any) -> Any:
    if isinstance(value, np.generic):
        return value.item()
    return value


def _missing(value: Any) -> bool:
    try:
        return value is None or (isinstance(value, float | np.floating) and math.isnan(value))
    except TypeError:
        return False


def _is_indicator(name: str) -> bool:

    return name in INDICATOR_NAMES
