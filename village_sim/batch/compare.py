"""Compare scenarios over replicates with common random numbers (INTERFACE.md ``compare``).

Every scenario runs with the same replicate seeds, so differences against the first scenario are
paired: ``summary.csv`` holds each indicator's mean with a 95 % t interval, the paired difference to
the first scenario with its interval, and the effect per 10,000 yuan of policy spending.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from village_sim.batch.runner import start_local_cluster
from village_sim.batch.seeds import replicate_seeds
from village_sim.metrics import value_flows
from village_sim.metrics.indicators import HEADLINE, INDICATOR_NAMES, INDICATORS
from village_sim.metrics.stats import mean_ci, paired_diff_ci
from village_sim.run import run
from village_sim.scenario.schema import Scenario

UNITS = {i.name: i.unit for i in INDICATORS}


@dataclass
class Comparison:
    """The outcome of a comparison."""

    runs: pd.DataFrame
    summary: pd.DataFrame
    scenarios: list[str]
    root_seed: int
    replicates: int


def run_one(scenario: Scenario, seed: int, steps: int | None = None) -> dict[str, float | None]:
    """Whole-run indicators of one run, with two more figures.

    The mean number of active anchors in its last year, and where consumers' spending went over
    the run (``value_flow_*_yuan``, :func:`~village_sim.metrics.value_flows.run_totals`).
    """
    result = run(scenario, seed=seed, steps=steps)
    out = dict(result.indicators)
    out["active_anchors_last_year"] = float(result.timeseries["active_anchors"].iloc[-52:].mean())
    out.update(value_flows.run_totals(result.value_flows))
    return out


def run_replicates(
    scenarios: list[Scenario],
    replicates: int,
    root_seed: int,
    steps: int | None = None,
    progress: Callable[[str], None] | None = None,
    workers: int = 1,
) -> pd.DataFrame:
    """Run every scenario with the same replicate seeds; one row per run.

    With ``workers > 1`` the runs go to a local Dask cluster on 127.0.0.1 (one thread per
    worker); the seeds do not depend on scheduling, so the rows are the same either way.
    """
    seeds = replicate_seeds(root_seed, replicates)
    tasks = [(r, seed, scenario) for r, seed in enumerate(seeds) for scenario in scenarios]
    if workers > 1:
        results = _on_local_cluster(tasks, steps, workers, progress)
    else:
        results = []
        for r, seed, scenario in tasks:
            results.append(run_one(scenario, seed, steps))
            if progress:
                progress(f"{scenario.name} replicate {r + 1}/{replicates}")
    rows = [
        {"scenario": scenario.name, "replicate": r, "seed": seed, **indicators}
        for (r, seed, scenario), indicators in zip(tasks, results, strict=True)
    ]
    columns = [
        "scenario",
        "replicate",
        "seed",
        *INDICATOR_NAMES,
        "active_anchors_last_year",
        *(f"{value_flows.RUN_PREFIX}{c}" for c in value_flows.COLUMNS if c != "week"),
    ]
    return pd.DataFrame(rows, columns=columns)


def _on_local_cluster(
    tasks: list, steps: int | None, workers: int, progress: Callable[[str], None] | None
) -> list[dict]:
    from distributed import Client, as_completed

    cluster = start_local_cluster(workers)
    try:
        with Client(cluster) as client:
            futures = [
                client.submit(run_one, scenario, seed, steps, pure=False)
                for _, seed, scenario in tasks
            ]
            for done, _ in enumerate(as_completed(futures), start=1):
                if progress:
                    progress(f"{done}/{len(futures)} runs")
            return client.gather(futures)
    finally:
        cluster.close()


def summarise(runs: pd.DataFrame, order: list[str]) -> pd.DataFrame:
    """Mean, CI, paired difference to the first scenario (CI) and effect per 10,000 yuan."""
    base = runs[runs["scenario"] == order[0]].sort_values("replicate")
    rows = []
    for name in order:
        cur = runs[runs["scenario"] == name].sort_values("replicate")
        spend = mean_ci(cur["policy_spend"].to_numpy(dtype=float))[0] or 0.0
        base_spend = mean_ci(base["policy_spend"].to_numpy(dtype=float))[0] or 0.0
        extra_spend = spend - base_spend
        for ind in INDICATOR_NAMES:
            mean, lo, hi = mean_ci(_values(cur[ind]))
            diff, dlo, dhi = paired_diff_ci(_values(cur[ind]), _values(base[ind]))
            per_10k = None
            if diff is not None and extra_spend > 0 and ind != "policy_spend":
                per_10k = diff / (extra_spend / 10_000)
            rows.append(
                {
                    "scenario": name,
                    "indicator": ind,
                    "mean": mean,
                    "ci_low": lo,
                    "ci_high": hi,
                    "diff": diff,
                    "diff_ci_low": dlo,
                    "diff_ci_high": dhi,
                    "per_10k_yuan": per_10k,
                }
            )
    return pd.DataFrame(rows)


def _values(series: pd.Series) -> np.ndarray:
    return np.array([np.nan if v is None else float(v) for v in series], dtype=float)


def compare(
    scenarios: list[Scenario],
    replicates: int,
    root_seed: int,
    steps: int | None = None,
    progress: Callable[[str], None] | None = None,
    workers: int = 1,
) -> Comparison:
    """Run and summarise a comparison."""
    runs = run_replicates(scenarios, replicates, root_seed, steps, progress, workers)
    order = [s.name for s in scenarios]
    return Comparison(runs, summarise(runs, order), order, root_seed, replicates)


def write(comparison: Comparison, out: Path) -> None:
    """Write runs.csv, summary.csv, plots/ and summary.md into ``out`` (a fresh folder)."""
    comparison.runs.to_csv(out / "runs.csv", index=False)
    comparison.summary.to_csv(out / "summary.csv", index=False)
    plot(comparison, out / "plots")
    figure = value_flow_figure(comparison.runs, comparison.scenarios)
    if figure is not None:
        figure.savefig(out / "plots" / "value_flows.png")
    (out / "summary.md").write_text(markdown(comparison), encoding="utf-8")
    meta = {
        "scenarios": comparison.scenarios,
        "root_seed": comparison.root_seed,
        "replicates": comparison.replicates,
        "kind": "compare",
    }
    (out / "compare.json").write_text(json.dumps(meta, indent=2), encoding="utf-8")


def plot(comparison: Comparison, folder: Path) -> None:
    """One panel per headline indicator: scenarios side by side with 95 % CI error bars."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    folder.mkdir(parents=True, exist_ok=True)
    summary = comparison.summary
    names = comparison.scenarios
    cols = 3
    rows = int(np.ceil(len(HEADLINE) / cols))
    fig, axes = plt.subplots(rows, cols, figsize=(4.2 * cols, 3.2 * rows), dpi=100)
    for ax, ind in zip(axes.ravel(), HEADLINE, strict=False):
        part = summary[summary["indicator"] == ind].set_index("scenario").reindex(names)
        mean = part["mean"].astype(float).to_numpy()
        lo = mean - part["ci_low"].astype(float).to_numpy()
        hi = part["ci_high"].astype(float).to_numpy() - mean
        err = np.nan_to_num(np.vstack([lo, hi]))
        ax.bar(
            range(len(names)),
            np.nan_to_num(mean),
            yerr=err,
            capsize=3,
            color=[f"C{i}" for i in range(len(names))],
        )
        ax.set_xticks(range(len(names)), names, rotation=35, ha="right", fontsize=8)
        ax.set_title(ind.replace("_", " "), fontsize=10)
        ax.set_ylabel(UNITS.get(ind, ""))
    for ax in axes.ravel()[len(HEADLINE) :]:
        ax.axis("off")
    fig.suptitle(f"Scenario means with 95% CI ({comparison.replicates} replicates)")
    fig.tight_layout()
    fig.savefig(folder / "headline.png")
    plt.close(fig)


def _fmt(value: float | None) -> str:
    if value is None or (isinstance(value, float) and not np.isfinite(value)):
        return "–"
    if abs(value) >= 1000:
        return f"{value:,.0f}"
    return f"{value:.3g}"


def value_flow_figure(runs: pd.DataFrame, order: list[str]) -> Any:
    """Where each yuan of live-stream spending goes: one stacked bar per path.

    Returns a matplotlib Figure (``None`` without value-flow columns). Shares of the spending
    pooled over replicates (:func:`~village_sim.metrics.value_flows.path_shares`); anchors' own
    margin may be negative and then stacks to the left of zero.
    """
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    shares = value_flows.path_shares(runs, order)
    if shares.empty:
        return None
    fig = Figure(figsize=(9.5, 1.2 + 0.55 * len(order)), dpi=100)
    FigureCanvasAgg(fig)
    ax = fig.add_subplot(1, 1, 1)
    colours = value_flows.COLOURS
    positive = np.zeros(len(order))
    negative = np.zeros(len(order))
    for key, label in value_flows.FLOWS.items():
        part = shares[shares["flow"] == key].set_index("scenario").reindex(order)
        values = np.nan_to_num(part["share"].to_numpy(dtype=float))
        left = np.where(values >= 0, positive, negative)
        ax.barh(range(len(order)), values, left=left, color=colours[key], label=label)
        positive += np.where(values >= 0, values, 0)
        negative += np.where(values < 0, values, 0)
    ax.axvline(0, color="black", lw=0.8)
    ax.set_yticks(range(len(order)), order)
    ax.invert_yaxis()
    ax.xaxis.set_major_formatter(lambda x, _: f"{x:.0%}")
    ax.set_xlabel("share of consumers' live-stream spending over the run (pooled over replicates)")
    ax.set_title("Where each yuan goes, by path")
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=8, frameon=False)
    fig.tight_layout()
    return fig


def value_flow_table(runs: pd.DataFrame, order: list[str]) -> str:
    """Markdown table of :func:`value_flow_figure`'s shares (empty without the columns)."""
    shares = value_flows.path_shares(runs, order)
    if shares.empty:
        return ""
    labels = list(value_flows.FLOWS.values())
    lines = ["| scenario | " + " | ".join(labels) + " |", "|---" * (len(labels) + 1) + "|"]
    for name in order:
        part = shares[shares["scenario"] == name].set_index("label")["share"]
        lines.append(f"| {name} | " + " | ".join(_pct(part.get(lab)) for lab in labels) + " |")
    return "\n".join(lines)


def _pct(value: float | None) -> str:
    return "—" if value is None or not np.isfinite(value) else f"{value:.1%}"


def markdown(comparison: Comparison) -> str:
    """The comparison as a Markdown report (headline indicators)."""
    summary = comparison.summary
    lines = [
        f"# Comparison of {', '.join(comparison.scenarios)}",
        "",
        f"{comparison.replicates} replicates per scenario, root seed {comparison.root_seed}; "
        f"replicate r uses seed SeedSequence(root).spawn(n)[r] in every scenario (common random "
        f"numbers). Differences are paired against `{comparison.scenarios[0]}`; intervals are 95 % "
        "t intervals over replicates.",
        "",
        "![headline indicators](plots/headline.png)",
        "",
        "## At a glance",
        "",
        glance_table(summary, comparison.scenarios),
        "",
    ]
    flows = value_flow_table(comparison.runs, comparison.scenarios)
    if flows:
        lines += [
            "## Where each yuan goes",
            "",
            "Shares of consumers' live-stream spending over the run, from the ledger's transfers "
            "(they add up to 100 %; anchors' own margin is negative when they paid out more "
            "than they sold).",
            "",
            "![value flows](plots/value_flows.png)",
            "",
            flows,
            "",
        ]
    for ind in (*HEADLINE, *[n for n in INDICATOR_NAMES if n not in HEADLINE]):
        part = summary[summary["indicator"] == ind]
        lines += [
            f"## {ind}",
            "",
            "| scenario | mean [95% CI] | diff vs first [95% CI] | per 10k yuan |",
            "|---|---|---|---|",
        ]
        for _, row in part.iterrows():
            lines.append(
                f"| {row['scenario']} | {_fmt(row['mean'])} [{_fmt(row['ci_low'])}, "
                f"{_fmt(row['ci_high'])}] | {_fmt(row['diff'])} [{_fmt(row['diff_ci_low'])}, "
                f"{_fmt(row['diff_ci_high'])}] | {_fmt(row['per_10k_yuan'])} |"
            )
        lines.append("")
    return "\n".join(lines)


GLANCE = (
    "farmer_income_mean",
    "farmer_share_of_spending",
    "anchor_retention_52w",
    "training_conversion_rate",
    "technology_suspension_rate",
    "traffic_hhi",
    "fake_origin_share",
    "spoilage_rate",
    "stall_rate",
    "consumer_trust",
    "repeat_purchase_rate",
    "active_anchors",
    "gmv",
    "policy_spend",
)
"""Indicators of the wide table that opens ``summary.md`` (and ``docs/governance.md``)."""


def glance_table(
    summary: pd.DataFrame, order: list[str], indicators: tuple[str, ...] = GLANCE
) -> str:
    """Indicators × scenarios: means, and paired differences to the first scenario.

    Each cell holds the mean and, below it, the paired difference to the first scenario with its
    95 % CI (bold when the interval excludes zero).

    Args:
        summary: ``summary.csv`` of a comparison.
        order: Scenario names, the first being the reference.
        indicators: Rows of the table.
    """
    table = summary.set_index(["indicator", "scenario"])
    lines = [
        "Each cell: mean over replicates, and below it the paired difference to "
        f"`{order[0]}` with its 95 % CI (bold when the CI excludes zero).",
        "",
        "| indicator | " + " | ".join(order) + " |",
        "|---|" + "---|" * len(order),
    ]
    for ind in indicators:
        cells = []
        for i, name in enumerate(order):
            if (ind, name) not in table.index:
                cells.append("–")
                continue
            row = table.loc[(ind, name)]
            cell = _short(row["mean"])
            if i > 0:
                low, high = row["diff_ci_low"], row["diff_ci_high"]
                diff = f"{_short(row['diff'])} [{_short(low)}, {_short(high)}]"
                excludes = _finite(low) and _finite(high) and (low > 0 or high < 0)
                cell += "<br>" + (f"**{diff}**" if excludes else diff)
            cells.append(cell)
        lines.append(f"| `{ind}` | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def _finite(value: object) -> bool:
    return isinstance(value, int | float | np.floating) and bool(np.isfinite(value))


def _short(value: object) -> str:
    if not _finite(value):
        return "–"
    number = float(value)  # type: ignore[arg-type]
    if abs(number) >= 1e6:
        return f"{number / 1e6:.2f} M"
    return _fmt(number)
