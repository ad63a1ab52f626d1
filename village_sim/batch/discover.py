"""``village-sim discover DIR``: scenario discovery and robustness of the paths of a discovery batch.

For every discovery design of the batch's experiment (see
:class:`~village_sim.batch.experiment.DiscoveryDesign`) it writes, into ``DIR/discovery/``:

- ``boxes.csv``: for each case of interest, the chosen PRIM box — coverage, density, mass,
  restricted dimensions, and each restricted factor's limits with their quasi-p-values (a case met
  in no world or in every world has one row saying so, and no box);
- ``tradeoff.csv``: the coverage–density trade-off of every box on PRIM's peeling and pasting
  trajectory; ``cart.csv``: the leaves of a CART tree as a second view;
- ``feature_scores.csv``: extra-trees scores of every factor for every case and every path's
  effect on each robustness indicator;
- ``robustness.csv`` (share of worlds each path beats the baseline, with a t interval over
  replicates), ``regret.csv`` (regret against the best path in each world) and
  ``regret_worlds.csv``;
- ``figures/*.png`` and ``summary.md``.

It reads the batch's store, or — while the batch still runs and holds the store — its
``results_wide.parquet`` and ``experiment.yaml``. With ``experiment=FILE`` the cases, robustness
indicators and PRIM settings come from an edited copy of the experiment file instead, so new
questions can be asked of the same runs (its factors, paths and samples must be the batch's).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from village_sim.batch.analyze import discovery as sd
from village_sim.batch.experiment import DiscoveryDesign, ExperimentSpec, load_experiment
from village_sim.batch.report import UNITS, _fmt, _md, _open_store, _panels, _Report, _spec_from
from village_sim.batch.store import STORE_FILE, WIDE_FILE
from village_sim.metrics.indicators import INDICATOR_NAMES
from village_sim.scenario.errors import ScenarioError

OUT_DIR = "discovery"


@dataclass
class BatchData:
    """What the analysis reads from a batch folder.

    Attributes:
        spec: The experiment file, parsed.
        runs: The successful runs, one row each (factor and indicator columns).
        status: The experiment's status (``complete``, ``running``, ``interrupted`` ...).
        source: Where the runs came from, for the summary.
        units: Factor name -> unit (from the store's ``factors`` table, where known).
    """

    spec: ExperimentSpec
    runs: pd.DataFrame
    status: str
    source: str
    units: dict[str, str]


# ------------------------------------------------------------------------------------------------
# Entry point
# ------------------------------------------------------------------------------------------------
def discover(
    folder: str | Path, out: str | Path | None = None, experiment: str | Path | None = None
) -> Path:
    """Write the discovery analysis of a batch folder.

    Args:
        folder: A ``batch`` output folder of an experiment with a discovery design.
        out: Output folder (default ``FOLDER/discovery``); an earlier one there is replaced.
        experiment: An edited copy of the batch's experiment file whose cases, robustness
            indicators and PRIM settings to use (default: the batch's own).

    Returns:
        The path of ``summary.md``.

    Raises:
        ScenarioError: Not a batch folder, no discovery design in its experiment, no
            successful run of it yet, or ``experiment`` invalid or not matching the batch.
    """
    folder = Path(folder)
    data = load(folder)
    if experiment is not None:
        data.spec = analysis_from(Path(experiment), data)
    designs = [(n, d) for n, d in data.spec.named_designs() if isinstance(d, DiscoveryDesign)]
    where = str(folder / "experiment.yaml")
    if not designs:
        raise ScenarioError(
            [
                (
                    "design",
                    "no discovery design in this experiment; expected design: {type: discovery, "
                    "samples: ..., paths: ..., cases: ...} (see docs/discovery.md)",
                )
            ],
            where,
        )
    rep = _Report(f"Scenario discovery — {data.spec.name}", table_dir="")
    rep.lines += _header(data, folder)
    tables: dict[str, list[pd.DataFrame]] = {}
    for name, design in designs:
        part = data.runs[data.runs["design"] == name] if not data.runs.empty else data.runs
        if part.empty:
            raise ScenarioError(
                [(f"design {name}", "no successful run of this design yet: nothing to analyse")],
                str(folder),
            )
        prefix = f"{name}_" if len(designs) > 1 else ""
        for key, frame in _design(rep, name, design, part, data, prefix).items():
            tables.setdefault(key, []).append(frame)
    for key, frames in tables.items():
        rep.table(key, pd.concat(frames, ignore_index=True))
    target = Path(out) if out is not None else folder / OUT_DIR
    return rep.write(target)


ANALYSIS_FIELDS = ("cases", "robustness", "min_coverage", "mass_min", "peel_alpha", "max_qp")
"""What ``--experiment`` may change: the questions asked of the runs, not the runs."""


def analysis_from(path: Path, data: BatchData) -> ExperimentSpec:
    """The batch's experiment with the analysis settings of an edited copy of its file.

    Raises:
        ScenarioError: The file is invalid, its discovery designs differ from the batch's in
            anything but :data:`ANALYSIS_FIELDS`, or a case needs an indicator the batch did
            not store — naming the file, line and field.
    """
    edited = load_experiment(path, probe=False)
    spec = edited.spec
    problems: list[tuple[str, str]] = []
    stored = set(data.runs.columns)
    mine = dict(spec.named_designs())
    replaced: dict[str, Any] = {}
    for name, design in data.spec.named_designs():
        if not isinstance(design, DiscoveryDesign):
            continue
        where = "design" if spec.design is not None else f"designs.{name}"
        other = mine.get(name)
        if not isinstance(other, DiscoveryDesign):
            problems.append((where, f"expected the batch's discovery design '{name}'"))
            continue
        fixed = set(DiscoveryDesign.model_fields) - set(ANALYSIS_FIELDS)
        for key in sorted(fixed):
            if getattr(other, key) != getattr(design, key):
                problems.append(
                    (
                        f"{where}.{key}",
                        "differs from the batch's; only the analysis settings "
                        f"({', '.join(ANALYSIS_FIELDS)}) may change",
                    )
                )
        for fname in data.spec.design_factors(design):
            if spec.factors.get(fname) != data.spec.factors[fname]:
                problems.append((f"factors.{fname}", "differs from the batch's factor"))
        for cname, case in other.cases.items():
            if case.indicator not in stored:
                problems.append(
                    (
                        f"{where}.cases.{cname}.indicator",
                        f"the batch did not store '{case.indicator}' (it kept: "
                        f"{', '.join(sorted(stored & set(INDICATOR_NAMES))) or 'none'})",
                    )
                )
        replaced[name] = design.model_copy(update={k: getattr(other, k) for k in ANALYSIS_FIELDS})
    if problems:
        raise edited.error(problems)
    if data.spec.design is not None:
        return data.spec.model_copy(
            update={"design": next(iter(replaced.values()), data.spec.design)}
        )
    designs = dict(data.spec.designs or {})
    designs.update(replaced)
    return data.spec.model_copy(update={"designs": designs})


def load(folder: Path) -> BatchData:
    """The experiment and successful runs of a batch folder (store, else results_wide.parquet).

    Raises:
        ScenarioError: Not a batch folder.
    """
    store_file, wide_file = folder / STORE_FILE, folder / WIDE_FILE
    if not store_file.exists() and not wide_file.exists():
        raise ScenarioError(
            [("", f"expected a batch folder ({STORE_FILE} or {WIDE_FILE}); found neither")],
            str(folder),
        )
    try:
        return _from_store(folder) if store_file.exists() else _from_wide(folder, "")
    except ScenarioError as exc:
        if not wide_file.exists() or "in use" not in str(exc):
            raise
        return _from_wide(folder, "the batch is still running (its store is locked); ")


def _from_store(folder: Path) -> BatchData:
    store = _open_store(folder)
    try:
        exp = store.experiment() or {}
        runs = store.wide()
        factors = store.table("factors")
    finally:
        store.close()
    spec = _spec(exp.get("design_text"), folder)
    units = {
        str(r["name"]): str(r["unit"])
        for _, r in factors.iterrows()
        if isinstance(r["unit"], str) and r["unit"]
    }
    return BatchData(spec, runs, str(exp.get("status")), f"`{STORE_FILE}`", units)


def _from_wide(folder: Path, why: str) -> BatchData:
    file = folder / WIDE_FILE
    runs = pd.read_parquet(file)
    runs = runs[runs["status"] == "ok"] if "status" in runs else runs
    experiment_file = folder / "experiment.yaml"
    text = experiment_file.read_text(encoding="utf-8") if experiment_file.exists() else None
    spec = _spec(text, folder)
    stamp = datetime.fromtimestamp(file.stat().st_mtime, UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
    units = {n: f.unit for n, f in spec.factors.items() if f.unit}
    return BatchData(
        spec, runs, "running" if why else "unknown", f"{why}`{WIDE_FILE}` of {stamp}", units
    )


def _spec(text: str | None, folder: Path) -> ExperimentSpec:
    spec = _spec_from({"design_text": text or ""})
    if spec is None:
        raise ScenarioError(
            [("", "cannot read the experiment of this batch (experiment.yaml / the store)")],
            str(folder),
        )
    return spec


def _header(data: BatchData, folder: Path) -> list[str]:
    spec = data.spec
    lines = []
    if spec.description:
        lines += [spec.description.strip(), ""]
    if data.status != "complete":
        lines += [
            f"**Status: {data.status}** — not every run is in yet; the results below cover the "
            "runs recorded so far.",
            "",
        ]
    lines += [
        f"Runs read from {data.source} in `{folder}`: {len(data.runs)} successful runs, "
        f"{spec.replicates} replicates per path and world, root seed {spec.seed} "
        f"(`seeds: {spec.seeds}`; every path in a world has the same replicate seeds).",
        "",
        "A world's value for a path is the mean over its replicates; an *effect* is the mean "
        "over replicates of the paired difference path − baseline in the same world. PRIM and "
        "CART: EMA Workbench; the chosen PRIM box is the densest on the peeling-and-pasting "
        "trajectory that covers at least `min_coverage` of the worlds where the case holds.",
        "",
    ]
    return lines


# ------------------------------------------------------------------------------------------------
# One discovery design
# ------------------------------------------------------------------------------------------------
def _design(
    rep: _Report,
    name: str,
    design: DiscoveryDesign,
    frame: pd.DataFrame,
    data: BatchData,
    prefix: str,
) -> dict[str, pd.DataFrame]:
    spec = data.spec
    names = spec.design_factors(design)
    order = design.path_order()
    baseline = design.baseline
    x = sd.worlds(frame, names)
    rep.lines += [
        f"## Design `{name}`: {len(x)} of {design.samples} sampled worlds × {len(order)} paths",
        "",
        f"Paths: {', '.join(f'`{p}`' for p in order)} (reference: `{baseline}`).",
        "",
        "| factor | scenario path | sampled range | unit |",
        "|---|---|---|---|",
    ]
    for f in names:
        factor = spec.factors[f]
        lo, hi = factor.bounds()
        rep.lines.append(
            f"| {f} | `{factor.path}` | [{_fmt(lo)}, {_fmt(hi)}]"
            f"{' (integers)' if factor.integer else ''} | {data.units.get(f, '–')} |"
        )
    rep.lines.append("")
    out: dict[str, list[pd.DataFrame]] = {
        "boxes": [],
        "tradeoff": [],
        "cart": [],
        "feature_scores": [],
        "robustness": [],
        "regret": [],
        "regret_worlds": [],
    }
    outcomes: dict[str, pd.Series] = {}
    seed = int(design.seed if design.seed is not None else spec.seed)
    for case_name, case in design.cases.items():
        y = _case(rep, name, case_name, case, frame, x, design, prefix, seed, out)
        if y is not None:
            outcomes[case_name] = y
    for indicator in design.robustness:
        for path in order[1:]:
            effect = sd.paired_effects(frame, path, baseline, indicator).mean(axis=1, skipna=True)
            outcomes[f"{path} − {baseline}: {indicator}"] = effect
    scores = sd.feature_scores(x, outcomes, seed=seed)
    scores.insert(0, "design", name)
    out["feature_scores"].append(scores)
    _scores_section(rep, scores, names, prefix)
    if design.robustness:
        _robustness_section(rep, frame, design, prefix, out, name)
    return {k: pd.concat(v, ignore_index=True) for k, v in out.items() if v}


def _case(
    rep: _Report,
    dname: str,
    case_name: str,
    case: Any,
    frame: pd.DataFrame,
    x: pd.DataFrame,
    design: DiscoveryDesign,
    prefix: str,
    seed: int,
    out: dict[str, list[pd.DataFrame]],
) -> pd.Series | None:
    """PRIM and CART for one case; returns the outcome per world (None if undefined)."""
    condition = sd.condition_text(case, design.baseline)
    y = sd.case_outcome(sd.case_values(frame, case, design.baseline), case)
    y = y[y.index.isin(x.index)]
    rep.lines += [f"### Case `{case_name}`: {condition}", ""]
    if case.description:
        rep.lines += [f"{case.description[0].upper()}{case.description[1:]}.", ""]
    undefined = len(x) - len(y)
    if undefined:
        rep.lines += [
            f"{undefined} of {len(x)} worlds are left out: the value is undefined there in "
            "every replicate.",
            "",
        ]
    base = {"design": dname, "case": case_name, "condition": condition}
    if y.empty:
        rep.lines += ["No world has a defined value: nothing to analyse.", ""]
        out["boxes"].append(pd.DataFrame([{**base, "status": "undefined", "n_worlds": 0}]))
        return None
    xs = x.loc[y.index]
    result = sd.prim(
        xs,
        y.to_numpy(),
        design.min_coverage,
        design.mass_min,
        design.peel_alpha,
        max_qp=design.max_qp,
    )
    share = result.n_cases / result.n_worlds
    rep.lines += [
        f"The case holds in **{result.n_cases} of {result.n_worlds} worlds** ({share:.0%}).",
        "",
    ]
    if result.status != "box":
        what = "no world" if result.status == "none" else "every world"
        rep.lines += [
            f"It holds in {what}, so there is no box to find: PRIM and CART need both kinds of "
            "worlds. Widen the factor ranges or change the threshold.",
            "",
        ]
        out["boxes"].append(
            pd.DataFrame(
                [
                    {
                        **base,
                        "status": f"met in {what}",
                        "n_worlds": result.n_worlds,
                        "n_cases": result.n_cases,
                    }
                ]
            )
        )
        return y
    stats = result.stats()
    tradeoff = result.tradeoff.copy()
    tradeoff.insert(0, "case", case_name)
    tradeoff.insert(0, "design", dname)
    tradeoff["chosen"] = tradeoff["box"] == result.chosen
    out["tradeoff"].append(tradeoff)
    limits = result.limits
    chosen_stats = result.tradeoff.iloc[result.chosen]
    stages = [("chosen", chosen_stats, result.chosen_limits)]
    if result.dropped:
        stages.append(("significant", pd.Series(stats), limits))
    rows = [
        {
            **base,
            "status": "box",
            "stage": stage,
            "n_worlds": result.n_worlds,
            "n_cases": result.n_cases,
            "box": result.chosen,
            "dropped": ", ".join(result.dropped) if stage == "significant" else "",
            **{k: row[k] for k in ("coverage", "density", "mass", "res_dim")},
            **lim,
        }
        for stage, row, lims in stages
        for lim in (lims.to_dict("records") or [{}])
    ]
    out["boxes"].append(pd.DataFrame(rows))
    pruned = (
        f" after dropping {', '.join(result.dropped)} (quasi-p above {design.max_qp:g})"
        if result.dropped
        else ""
    )
    rep.lines += [
        f"PRIM's chosen box (number {result.chosen} on the trajectory){pruned}: coverage "
        f"{stats['coverage']:.2f}, density {stats['density']:.2f} (vs {share:.2f} in all "
        f"worlds), mass {stats['mass']:.2f}, {stats['res_dim']} restricted factors.",
        "",
    ]
    if limits.empty:
        rep.lines += [
            "No restriction is significant: with these worlds, no region of the factors "
            "separates the case from the rest (more samples may find one).",
            "",
        ]
    if result.dropped and not result.chosen_limits.empty:
        chosen = result.tradeoff.iloc[result.chosen]
        rep.lines += [
            f"Before dropping, PRIM's box had coverage {chosen['coverage']:.2f} and density "
            f"{chosen['density']:.2f} with these limits (a candidate region, not significant "
            "at this sample size):",
            "",
        ]
        rep.lines += _md(
            result.chosen_limits,
            ["factor", "min", "max", "range_min", "range_max", "qp_lower", "qp_upper"],
        )
    if not limits.empty:
        rep.lines += _md(
            limits, ["factor", "min", "max", "range_min", "range_max", "qp_lower", "qp_upper"]
        )
    rep.figure(
        f"{prefix}{case_name}_tradeoff",
        _tradeoff_figure(result, f"{case_name}: PRIM coverage–density trade-off"),
        f"{case_name}: coverage-density trade-off",
    )
    if not result.chosen_limits.empty:
        rep.figure(
            f"{prefix}{case_name}_box",
            _box_figure(
                result.chosen_limits, result.dropped, f"{case_name}: chosen box\n{condition}"
            ),
            f"{case_name}: chosen box",
        )
    tree = sd.cart(xs, y.to_numpy(), design.mass_min, seed)
    leaves = sd.cart_leaves(tree)
    leaves.insert(0, "case", case_name)
    leaves.insert(0, "design", dname)
    out["cart"].append(leaves)
    best = leaves.sort_values(["density", "coverage"], ascending=False).head(3)
    rep.lines += ["CART, the leaves densest in the case (all leaves: `cart.csv`):", ""]
    rep.lines += _md(best, ["rule", "coverage", "density", "mass"])
    rep.figure(
        f"{prefix}{case_name}_cart",
        _cart_figure(tree, list(xs.columns), f"{case_name}: CART tree"),
        f"{case_name}: CART tree",
    )
    return y


def _scores_section(rep: _Report, scores: pd.DataFrame, names: list[str], prefix: str) -> None:
    if scores.empty:
        return
    table = scores.pivot_table(index="outcome", columns="factor", values="score", sort=False)
    table = table.reindex(index=list(dict.fromkeys(scores["outcome"])), columns=names)
    rep.lines += [
        "### Feature scores",
        "",
        "Extra-trees scores (EMA Workbench) of each factor for each case (classification) and "
        "each path's effect on each robustness indicator (regression); each outcome's scores sum "
        "to 1. All: `feature_scores.csv`.",
        "",
    ]
    rep.figure(f"{prefix}feature_scores", _heatmap(table), "feature scores")
    top = scores.sort_values("score", ascending=False).groupby("outcome", sort=False).head(2)
    rep.lines += ["The two factors that matter most for each outcome:", ""]
    rep.lines += _md(
        top.sort_values(["outcome", "score"], ascending=[True, False]),
        ["outcome", "factor", "score"],
    )


def _robustness_section(
    rep: _Report,
    frame: pd.DataFrame,
    design: DiscoveryDesign,
    prefix: str,
    out: dict[str, list[pd.DataFrame]],
    dname: str,
) -> None:
    order = design.path_order()
    table = sd.robustness(frame, order, design.baseline, design.robustness)
    per_world = sd.world_regret(frame, order, design.robustness)
    regret = sd.regret_summary(per_world, order)
    for part in (table, per_world, regret):
        part.insert(0, "design", dname)
    out["robustness"].append(table)
    out["regret"].append(regret)
    out["regret_worlds"].append(per_world)
    rep.lines += [
        "### Robustness of the paths",
        "",
        "For each path and indicator: `share_better`, the share of sampled worlds where the "
        f"path's run beats `{design.baseline}`'s run with the same seeds (the share for each "
        "replicate's seeds, averaged over replicates, with a 95 % t interval over replicates); "
        "`share_mean_better`, the share of worlds where the effect averaged over the world's "
        "replicates is better; the shares of worlds where the paired 95 % interval of the "
        "effect lies wholly on the better (`sig_better`) or worse (`sig_worse`) side; and the "
        "mean effect over worlds (path − baseline, in the indicator's unit).",
        "",
    ]
    rep.figure(f"{prefix}robustness", _robustness_figure(table, order[1:]), "robustness")
    rep.lines += _md(
        table,
        [
            "path",
            "indicator",
            "better",
            "share_better",
            "share_ci_low",
            "share_ci_high",
            "share_mean_better",
            "share_sig_better",
            "share_sig_worse",
            "mean_effect",
        ],
    )
    rep.lines += [
        "**Regret**: in each world, how far a path's mean falls short of the best path's there "
        "(the baseline included), in the indicator's unit; `share_best` is the share of worlds "
        "where it is the best. Per world: `regret_worlds.csv`.",
        "",
    ]
    rep.figure(f"{prefix}regret", _regret_figure(per_world, order), "regret")
    rep.lines += _md(
        regret, ["path", "indicator", "mean_regret", "p90_regret", "max_regret", "share_best"]
    )


# ------------------------------------------------------------------------------------------------
# Figures
# ------------------------------------------------------------------------------------------------
def _tradeoff_figure(result: sd.PrimResult, title: str) -> Any:
    fig, axes = _panels(1, height=3.6)
    ax = axes[0]
    t = result.tradeoff
    points = ax.scatter(t["coverage"], t["density"], c=t["res_dim"], cmap="viridis", s=18)
    chosen = t.iloc[result.chosen or 0]
    ax.scatter(
        [chosen["coverage"]],
        [chosen["density"]],
        s=120,
        facecolors="none",
        edgecolors="C3",
        label=f"chosen box {result.chosen}",
    )
    cbar = fig.colorbar(points, ax=ax)
    cbar.set_label("restricted factors", fontsize=8)
    ax.set_xlabel("coverage (share of the case's worlds in the box)", fontsize=8)
    ax.set_ylabel("density (share of the box's worlds in the case)", fontsize=8)
    ax.set_xlim(0, 1.02)
    ax.set_ylim(0, 1.02)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=7, loc="lower left")
    ax.set_title(title, fontsize=9)
    fig.tight_layout()
    return fig


def _box_figure(limits: pd.DataFrame, dropped: Sequence[str], title: str) -> Any:
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    n = len(limits)
    fig = Figure(figsize=(6.4, 0.9 + 0.55 * n), dpi=100)
    FigureCanvasAgg(fig)
    ax = fig.add_subplot(1, 1, 1)
    for i, row in enumerate(limits.itertuples()):
        span = row.range_max - row.range_min or 1.0
        lo = (row.min - row.range_min) / span
        hi = (row.max - row.range_min) / span
        ax.plot([0, 1], [i, i], color="0.8", lw=6, solid_capstyle="butt")
        kept = row.factor not in dropped
        ax.plot([lo, hi], [i, i], color="C0" if kept else "C7", lw=6, solid_capstyle="butt")
        ax.text(lo, i + 0.28, _fmt(row.min), ha="center", fontsize=7)
        ax.text(hi, i + 0.28, _fmt(row.max), ha="center", fontsize=7)
        qps = [f"{q:.2g}" for q in (row.qp_lower, row.qp_upper) if not _nan(q)]
        note = "" if kept else " (dropped)"
        ax.text(1.02, i, f"qp {', '.join(qps)}{note}", va="center", fontsize=7)
    ax.set_yticks(range(n), list(limits["factor"]), fontsize=8)
    ax.set_xlim(-0.02, 1.4)
    ax.set_ylim(-0.6, n - 0.3)
    ax.set_xticks([0, 0.5, 1], ["range min", "", "range max"], fontsize=7)
    ax.set_title(title, fontsize=9)
    fig.tight_layout()
    return fig


def _cart_figure(tree: Any, names: list[str], title: str) -> Any:
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    from sklearn.tree import plot_tree

    depth = int(tree.clf.get_depth())
    fig = Figure(figsize=(max(6.0, 2.2 * 2 ** min(depth, 3)), 1.6 + 1.4 * depth), dpi=100)
    FigureCanvasAgg(fig)
    ax = fig.add_subplot(1, 1, 1)
    plot_tree(
        tree.clf,
        feature_names=names,
        class_names=["other", "case"],
        filled=True,
        impurity=False,
        proportion=False,
        fontsize=7,
        ax=ax,
    )
    ax.set_title(title, fontsize=9)
    return fig


def _heatmap(table: pd.DataFrame) -> Any:
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    rows, cols = table.shape
    fig = Figure(figsize=(4.0 + 0.75 * cols, 1.6 + 0.28 * rows), dpi=100)
    FigureCanvasAgg(fig)
    ax = fig.add_subplot(1, 1, 1)
    image = ax.imshow(table.to_numpy(dtype=float), cmap="viridis", aspect="auto", vmin=0)
    for i in range(rows):
        for j in range(cols):
            v = table.iat[i, j]
            if not _nan(v):
                bright = float(image.norm(v)) > 0.6
                ax.text(
                    j,
                    i,
                    f"{v:.2f}",
                    ha="center",
                    va="center",
                    fontsize=6,
                    color="black" if bright else "white",
                )
    ax.set_xticks(range(cols), list(table.columns), rotation=40, ha="right", fontsize=7)
    ax.set_yticks(range(rows), list(table.index), fontsize=7)
    cbar = fig.colorbar(image, ax=ax)
    cbar.set_label("feature score", fontsize=8)
    ax.set_title("Which factors matter for each outcome (extra-trees scores)", fontsize=9)
    fig.tight_layout()
    return fig


def _robustness_figure(table: pd.DataFrame, paths: Sequence[str]) -> Any:
    indicators = list(dict.fromkeys(table["indicator"]))
    fig, axes = _panels(len(indicators), height=3.3)
    for ax, ind in zip(axes, indicators, strict=False):
        part = table[table["indicator"] == ind].set_index("path").reindex(list(paths))
        share = part["share_better"].to_numpy(dtype=float)
        lo = share - part["share_ci_low"].to_numpy(dtype=float)
        hi = part["share_ci_high"].to_numpy(dtype=float) - share
        err = np.clip(np.nan_to_num(np.vstack([lo, hi])), 0, None)
        pos = np.arange(len(paths))
        ax.bar(pos, np.nan_to_num(share), yerr=err, capsize=3, color="C0", alpha=0.85)
        ax.scatter(
            pos,
            part["share_sig_better"],
            marker="^",
            color="C2",
            zorder=3,
            s=16,
            label="clearly better",
        )
        ax.scatter(
            pos,
            part["share_sig_worse"],
            marker="v",
            color="C3",
            zorder=3,
            s=16,
            label="clearly worse",
        )
        ax.axhline(0.5, color="0.5", lw=0.8, ls="--")
        ax.set_ylim(0, 1.05)
        ax.set_xticks(pos, list(paths), rotation=35, ha="right", fontsize=7)
        better = str(part["better"].dropna().iloc[0]) if part["better"].notna().any() else ""
        ax.set_title(f"{ind.replace('_', ' ')} ({better} is better)", fontsize=9)
        ax.set_ylabel("share of worlds beating the baseline", fontsize=8)
        ax.tick_params(axis="y", labelsize=7)
        ax.grid(axis="y", alpha=0.3)
    axes[0].legend(fontsize=6, loc="upper right")
    for ax in axes[len(indicators) :]:
        ax.axis("off")
    fig.suptitle(
        "Robustness: share of sampled worlds where each path beats the baseline "
        "(95% CI over replicates)",
        fontsize=10,
    )
    fig.tight_layout(rect=(0, 0, 1, 1 - 0.4 / fig.get_figheight()))
    return fig


def _regret_figure(per_world: pd.DataFrame, order: Sequence[str]) -> Any:
    indicators = list(dict.fromkeys(per_world["indicator"]))
    fig, axes = _panels(len(indicators), height=3.3)
    for ax, ind in zip(axes, indicators, strict=False):
        part = per_world[per_world["indicator"] == ind]
        data = [part.loc[part["path"] == p, "regret"].to_numpy(dtype=float) for p in order]
        ax.boxplot(data, showmeans=True, widths=0.6)
        ax.set_xticks(range(1, len(order) + 1), list(order), rotation=35, ha="right", fontsize=7)
        unit = UNITS.get(ind, "")
        ax.set_title(ind.replace("_", " "), fontsize=9)
        ax.set_ylabel(f"regret ({unit})" if unit else "regret", fontsize=8)
        ax.tick_params(axis="y", labelsize=7)
        ax.grid(axis="y", alpha=0.3)
    for ax in axes[len(indicators) :]:
        ax.axis("off")
    fig.suptitle(
        "Regret against the best path in each world (box: quartiles; triangle: mean)", fontsize=10
    )
    fig.tight_layout(rect=(0, 0, 1, 1 - 0.4 / fig.get_figheight()))
    return fig


def _nan(value: Any) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))
