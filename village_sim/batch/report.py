"""``village-sim report DIR``: figures, tables and a Markdown summary of a batch or compare folder.

For a batch folder (``results.duckdb``), per design:

- grid: indicator-vs-factor plots with 95 % confidence bands (lines per level of a second factor),
  main-effect plots for larger grids, and heatmaps of the means for two-factor grids;
- paths: side-by-side bars with 95 % error bars, and differences to the first path (paired over
  replicates under common random numbers);
- Latin hypercube: scatter plots and Spearman rank correlations;
- Sobol: first-order and total indices with bootstrap intervals, as a table and a bar chart;
- Morris: μ* with bootstrap intervals and σ, as a table, a bar chart and a μ*–σ plot.

A ``compare`` folder (``runs.csv``, ``summary.csv``, ``compare.json``) is shown like a paths design.
The report goes to ``DIR/report/`` (``summary.md``, ``figures/*.png``, ``tables/*.csv``), replacing
an earlier report there. Every figure has a title, axis labels and units.
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from village_sim.batch.analyze import grid as grid_analysis
from village_sim.batch.analyze import lhs as lhs_analysis
from village_sim.batch.analyze import morris as morris_analysis
from village_sim.batch.analyze import paths as paths_analysis
from village_sim.batch.analyze import sobol as sobol_analysis
from village_sim.batch.compare import value_flow_figure, value_flow_table
from village_sim.batch.design import build
from village_sim.batch.experiment import Experiment, parse_spec
from village_sim.batch.store import STORE_FILE, Store, to_column
from village_sim.metrics.indicators import HEADLINE, INDICATOR_NAMES, INDICATORS
from village_sim.outputs import OutputExistsError, atomic_folder
from village_sim.scenario.errors import ScenarioError

UNITS = {i.name: i.unit for i in INDICATORS}
MARKER = ".village_sim_report"
MAX_TABLE_ROWS = 60


# ------------------------------------------------------------------------------------------------
# Entry point
# ------------------------------------------------------------------------------------------------
def make_report(
    folder: str | Path, out: str | Path | None = None, indicators: Sequence[str] | None = None
) -> Path:
    """Write the report of a batch or compare folder.

    Args:
        folder: A ``batch`` output folder (``results.duckdb``) or a ``compare`` output folder.
        out: Report folder (default ``FOLDER/report``); an earlier report there is replaced.
        indicators: Indicators to plot (default: those the experiment keeps when it lists them,
            else the headline indicators).

    Returns:
        The path of ``summary.md``.

    Raises:
        ScenarioError: The folder is neither, or its store is in use by a running batch.
    """
    folder = Path(folder)
    target = Path(out) if out is not None else folder / "report"
    unknown = [name for name in indicators or [] if name not in INDICATOR_NAMES]
    if unknown:
        raise ScenarioError([("--indicators", f"unknown indicator(s): {', '.join(unknown)}")])
    if not folder.is_dir():
        what = "not a folder" if folder.exists() else "folder not found"
        raise ScenarioError(
            [
                (
                    "",
                    f"{what}; expected a batch folder (results.duckdb) or a compare folder "
                    "(runs.csv, summary.csv, compare.json)",
                )
            ],
            str(folder),
        )
    if (folder / STORE_FILE).exists():
        builder: _Report = _batch_report(folder, indicators)
    elif (folder / "runs.csv").exists() and (folder / "summary.csv").exists():
        builder = _compare_report(folder, indicators)
    else:
        raise ScenarioError(
            [
                (
                    "",
                    "expected a batch folder (results.duckdb) or a compare folder "
                    "(runs.csv, summary.csv, compare.json)",
                )
            ],
            str(folder),
        )
    return builder.write(target)


@dataclass
class _Report:
    """Markdown lines, figures and tables, written into a fresh folder at the end.

    Tables go into ``tables/`` (``table_dir``; empty: beside ``summary.md``).
    """

    title: str
    lines: list[str] = field(default_factory=list)
    table_dir: str = "tables"
    figures: dict[str, Any] = field(default_factory=dict)  # name -> matplotlib Figure
    tables: dict[str, pd.DataFrame] = field(default_factory=dict)

    def figure(self, name: str, fig: Any, caption: str) -> None:
        self.figures[name] = fig
        self.lines += [f"![{caption}](figures/{name}.png)", ""]

    def table(self, name: str, frame: pd.DataFrame) -> None:
        self.tables[name] = frame

    def write(self, target: Path) -> Path:
        if target.exists():
            if not target.is_dir() or (any(target.iterdir()) and not (target / MARKER).exists()):
                raise OutputExistsError(
                    f"{target}: exists and is not a report folder; expected "
                    "a new folder or an earlier report"
                )

        # an earlier report is moved aside, the new one moved in, then the old one deleted
        with atomic_folder(target, overwrite=True, kind="report") as tmp:
            (tmp / "figures").mkdir()
            (tmp / self.table_dir).mkdir(exist_ok=True)
            for name, fig in self.figures.items():
                fig.savefig(tmp / "figures" / f"{name}.png")
            for name, frame in self.tables.items():
                frame.to_csv(tmp / self.table_dir / f"{name}.csv", index=False)
            text = "\n".join([f"# {self.title}", "", *self.lines]).rstrip() + "\n"
            (tmp / "summary.md").write_text(text, encoding="utf-8")
            (tmp / MARKER).write_text("written by village-sim report\n", encoding="utf-8")
        return target / "summary.md"


# ------------------------------------------------------------------------------------------------
# Batch folders
# ------------------------------------------------------------------------------------------------
def _open_store(folder: Path) -> Store:
    import duckdb

    try:
        return Store(folder / STORE_FILE, read_only=True)
    except duckdb.Error as exc:
        if "lock" in str(exc).lower() or "configuration" in str(exc).lower():
            raise ScenarioError(
                [
                    (
                        "",
                        f"the store is in use by a running batch ({exc}); report "
                        "when it has finished",
                    )
                ],
                str(folder),
            ) from None
        raise ScenarioError(
            [
                (
                    "",
                    f"cannot read {folder / STORE_FILE}: {exc}; if the file is damaged, run the "
                    "batch again with --overwrite (its runs are made again) or into a new --out",
                )
            ],
            str(folder),
        ) from None


def _batch_report(folder: Path, wanted: Sequence[str] | None) -> _Report:
    store = _open_store(folder)
    try:
        exp = store.experiment() or {}
        designs = store.table("designs").sort_values("position")
        factors = store.table("factors").set_index("name")
        runs = store.runs()
        wide = store.wide()
        sessions = store.table("sessions")
        stored = set(
            store.con.execute("SELECT DISTINCT indicator FROM indicators")
            .df()["indicator"]
            .tolist()
        )
    finally:
        store.close()
    kept = [n for n in INDICATOR_NAMES if n in stored]
    spec = _spec_from(exp)
    if wanted:
        show = [n for n in wanted if n in kept]
    elif spec is not None and spec.keep.indicators is not None:
        show = kept
    else:
        show = [n for n in HEADLINE if n in kept] or kept[:10]
    rep = _Report(f"Experiment {exp.get('name', folder.name)} — report")
    rep.lines += _batch_header(exp, runs, sessions, folder)
    if not show:
        rep.lines += ["No indicator values are stored (no run succeeded yet).", ""]
    for _, design in designs.iterrows():
        part = wide[wide["design"] == design["name"]] if not wide.empty else wide
        _design_section(rep, design, factors, part, show, kept, exp, spec)
    _failures(rep, runs, factors)
    return rep


def _spec_from(exp: dict[str, Any]) -> Any:
    import yaml

    try:
        return parse_spec(yaml.safe_load(exp.get("design_text") or ""))
    except Exception:  # noqa: BLE001 - an older or foreign store: report without the spec
        return None


def _batch_header(
    exp: dict[str, Any], runs: pd.DataFrame, sessions: pd.DataFrame, folder: Path
) -> list[str]:
    ok = int((runs["status"] == "ok").sum()) if not runs.empty else 0
    failed = int((runs["status"] == "failed").sum()) if not runs.empty else 0
    planned = int(exp.get("n_runs") or 0)
    versions = json.loads(exp.get("versions") or "{}")
    lines = []
    if exp.get("description"):
        lines += [str(exp["description"]).strip(), ""]
    status = exp.get("status")
    if status == "running":
        # a running batch holds the store's lock, so this report could not have opened it
        status = "running when its batch process ended without closing (killed?)"
    if status != "complete":
        lines += [
            f"**Status: {status}** — {ok + failed} of {planned} runs are recorded; "
            f"`village-sim batch {exp.get('design_file')} --out {folder} --resume` "
            "completes it.",
            "",
        ]
    wall = pd.to_numeric(runs["wall_time_s"], errors="coerce") if not runs.empty else None
    mean_wall = float(wall.mean()) if wall is not None and wall.notna().any() else None
    seeds = (
        "replicate r has the same seed at every design point"
        if exp.get("seeds") == "common"
        else "a different seed at every design point"
    )
    digest = str(exp.get("design_hash"))[:16]
    lines += [
        "| | |",
        "|---|---|",
        f"| experiment file | `{exp.get('design_file')}` (sha256 `{digest}…`) |",
        f"| runs | {planned} planned: {ok} ok, {failed} failed "
        f"({exp.get('n_points')} design points × {exp.get('replicates')} replicates) |",
        f"| seeds | root {exp.get('root_seed')}, {exp.get('seeds')} ({seeds}) |",
        f"| weeks per run | {exp.get('steps') or 'as in the scenario'} |",
        f"| run time | mean {_fmt(mean_wall)} s per run |",
        f"| sessions | {len(sessions)} (created {exp.get('created_at')}, last ended "
        f"{exp.get('ended_at')}) |",
        f"| versions | village_sim {versions.get('village_sim')}, mesa {versions.get('mesa')}, "
        f"numpy {versions.get('numpy')}, SALib {versions.get('SALib')}, git "
        f"`{str(exp.get('git_commit'))[:10]}` |",
        "",
        "Intervals are 95 % t intervals over runs unless stated otherwise. Indicator definitions "
        "and units: INTERFACE.md / docs/ODD.md.",
        "",
    ]
    return lines


def _design_section(
    rep: _Report,
    design: pd.Series,
    factors: pd.DataFrame,
    frame: pd.DataFrame,
    show: list[str],
    kept: list[str],
    exp: dict[str, Any],
    spec: Any,
) -> None:
    names = json.loads(design["factors"])
    settings = json.loads(design["settings"] or "{}")
    kind = design["type"]
    dname = str(design["name"])
    rep.lines += [f"## Design `{dname}` — {kind}, {int(design['n_points'])} points", ""]
    if kind != "paths":
        rep.lines += ["| factor | scenario path | values | unit |", "|---|---|---|---|"]
        for name in names:
            if name in ("path", "world"):  # a discovery design's path and world columns
                continue
            f = factors.loc[name]
            if kind == "grid":
                vals = ", ".join(_level_text(factors, name))
            else:
                vals = f"[{_fmt(f['min'])}, {_fmt(f['max'])}]" + (
                    " (integers)" if f["integer"] else ""
                )
            rep.lines.append(f"| {name} | `{f['path']}` | {vals} | {f['unit'] or '–'} |")
        rep.lines.append("")
    if frame.empty or not show:
        rep.lines += ["No successful runs in this design yet.", ""]
        return
    if kind == "grid":
        _grid_section(rep, dname, names, factors, frame, show, kept)
        if len(names) == 1:
            paired = exp.get("seeds") == "common"
            _steps_section(rep, dname, names[0], factors, frame, show, kept, paired)
    elif kind == "paths":
        order = list(settings.get("paths", {}))
        _paths_section(
            rep,
            dname,
            frame,
            show,
            kept,
            order,
            paired=exp.get("seeds") == "common",
            replicates=int(exp.get("replicates") or 0),
        )
    elif kind == "lhs":
        _lhs_section(rep, dname, names, factors, frame, show, kept)
    elif kind in ("sobol", "morris"):
        _sensitivity_section(rep, design, names, factors, frame, show, kept, settings, exp, spec)
    elif kind == "discovery":
        rep.lines += [
            f"{frame['world'].nunique()} sampled worlds × {len(settings.get('path_order', []))} "
            "paths have results. Scenario discovery (PRIM, CART, feature scores) and the "
            "robustness of the paths: `village-sim discover` on this folder.",
            "",
        ]


# -- grid ----------------------------------------------------------------------------------------
def _levels(factors: pd.DataFrame, name: str) -> list[Any]:
    f = factors.loc[name]
    return [to_column(v, f["sql_type"]) for v in json.loads(f["levels"])]


def _level_text(factors: pd.DataFrame, name: str) -> list[str]:
    """The levels as written in the experiment file."""
    return [
        v if isinstance(v, str) else json.dumps(v) for v in json.loads(factors.loc[name]["levels"])
    ]


def _axis(levels: list[Any]) -> tuple[np.ndarray, list[str] | None]:
    numeric = all(isinstance(v, int | float) and not isinstance(v, bool) for v in levels)
    if numeric:
        return np.asarray(levels, dtype=float), None
    return np.arange(len(levels), dtype=float), [str(v) for v in levels]


def _grid_section(
    rep: _Report,
    dname: str,
    names: list[str],
    factors: pd.DataFrame,
    frame: pd.DataFrame,
    show: list[str],
    kept: list[str],
) -> None:
    cells = grid_analysis.cells(frame, names, kept)
    effects = grid_analysis.main_effects(frame, names, kept)
    rep.table(f"{dname}_cells", cells)
    rep.table(f"{dname}_main_effects", effects)
    first = names[0]
    second = names[1] if len(names) == 2 else None
    x_levels = _levels(factors, first)
    xs, xticks = _axis(x_levels)
    if len(names) <= 2:
        fig, axes = _panels(len(show))
        series_levels = _levels(factors, second) if second else [None]
        for ax, ind in zip(axes, show, strict=False):
            part = cells[cells["indicator"] == ind]
            for k, s_level in enumerate(series_levels):
                rows = part if second is None else part[part[second] == s_level]
                rows = rows.set_index(first).reindex(x_levels)
                mean = _floats(rows["mean"])
                lo, hi = _floats(rows["ci_low"]), _floats(rows["ci_high"])
                label = None if second is None else f"{_factor_label(factors, second)} = {s_level}"
                ax.plot(xs, mean, marker="o", color=f"C{k}", label=label)
                ax.fill_between(
                    xs,
                    np.where(np.isfinite(lo), lo, mean),
                    np.where(np.isfinite(hi), hi, mean),
                    color=f"C{k}",
                    alpha=0.2,
                    lw=0,
                )
            _style(ax, _title(ind), _factor_label(factors, first), _unit_label(ind), xs, xticks)
        if second is not None:
            axes[0].legend(fontsize=7, title=None)
        by = f" by {second}" if second else ""
        _finish(
            fig,
            axes,
            len(show),
            f"{dname}: indicators vs {first}{by} (mean over replicates, 95% CI band)",
        )
        rep.figure(f"{dname}_vs_{first}", fig, f"indicators vs {first}")
    else:
        for factor in names:
            levels = _levels(factors, factor)
            fx, fticks = _axis(levels)
            fig, axes = _panels(len(show))
            for ax, ind in zip(axes, show, strict=False):
                rows = effects[(effects["factor"] == factor) & (effects["indicator"] == ind)]
                rows = rows.set_index("level").reindex(levels)
                mean = _floats(rows["mean"])
                lo, hi = _floats(rows["ci_low"]), _floats(rows["ci_high"])
                ax.plot(fx, mean, marker="o")
                ax.fill_between(
                    fx,
                    np.where(np.isfinite(lo), lo, mean),
                    np.where(np.isfinite(hi), hi, mean),
                    alpha=0.2,
                    lw=0,
                )
                _style(
                    ax, _title(ind), _factor_label(factors, factor), _unit_label(ind), fx, fticks
                )
            _finish(
                fig,
                axes,
                len(show),
                f"{dname}: main effect of {factor} (mean over all other factors, 95% CI band)",
            )
            rep.figure(f"{dname}_main_{factor}", fig, f"main effect of {factor}")
    if len(names) == 2:
        y_levels = _levels(factors, names[1])
        fig, axes = _panels(len(show), height=3.4)
        for ax, ind in zip(axes, show, strict=False):
            part = cells[cells["indicator"] == ind]
            grid = np.full((len(x_levels), len(y_levels)), np.nan)
            for i, a in enumerate(x_levels):
                for j, b in enumerate(y_levels):
                    hit = part[(part[first] == a) & (part[names[1]] == b)]
                    if not hit.empty and hit["mean"].iloc[0] is not None:
                        grid[i, j] = float(hit["mean"].iloc[0])
            image = ax.imshow(grid, origin="lower", aspect="auto", cmap="viridis")
            cbar = ax.figure.colorbar(image, ax=ax)
            cbar.set_label(_unit_label(ind), fontsize=8)
            cbar.ax.tick_params(labelsize=7)
            for i in range(grid.shape[0]):
                for j in range(grid.shape[1]):
                    if np.isfinite(grid[i, j]):
                        bright = float(image.norm(grid[i, j])) > 0.6
                        ax.text(
                            j,
                            i,
                            _fmt(grid[i, j]),
                            ha="center",
                            va="center",
                            fontsize=6,
                            color="black" if bright else "white",
                        )
            ax.set_xticks(range(len(y_levels)), _level_text(factors, names[1]), fontsize=7)
            ax.set_yticks(range(len(x_levels)), _level_text(factors, first), fontsize=7)
            ax.set_xlabel(_factor_label(factors, names[1]), fontsize=8)
            ax.set_ylabel(_factor_label(factors, first), fontsize=8)
            ax.set_title(_title(ind), fontsize=9)
        _finish(
            fig,
            axes,
            len(show),
            f"{dname}: mean of each indicator over the {first} × {names[1]} grid",
        )
        rep.figure(f"{dname}_heatmap", fig, f"heatmaps over {first} × {names[1]}")
    table = cells[cells["indicator"].isin(show)]
    rep.lines += [
        f"Means per grid point: `tables/{dname}_cells.csv`; marginal means: "
        f"`tables/{dname}_main_effects.csv`.",
        "",
    ]
    if len(table) <= MAX_TABLE_ROWS:
        rep.lines += _md(table, [*names, "indicator", "n", "mean", "ci_low", "ci_high"])


def _steps_section(
    rep: _Report,
    dname: str,
    factor: str,
    factors: pd.DataFrame,
    frame: pd.DataFrame,
    show: list[str],
    kept: list[str],
    paired: bool,
) -> None:
    """A one-factor grid: each indicator's change from one level to the next, with its interval."""
    table = grid_analysis.steps(frame, factor, _levels(factors, factor), kept, paired=paired)
    rep.table(f"{dname}_steps", table)
    rep.lines += [
        f"Change from each level of `{factor}` to the next (`to − from`), {_pairing(paired)}, 95 % t "
        f"intervals: `tables/{dname}_steps.csv`.",
        "",
    ]
    rep.lines += _md(table[table["indicator"].isin(show)], grid_analysis.STEP_COLUMNS)


def _pairing(paired: bool) -> str:
    """How differences between runs are taken: paired (common seeds) or Welch (independent)."""
    if paired:
        return "paired over replicates (common random numbers)"
    return "Welch intervals (independent seeds)"


# -- paths ---------------------------------------------------------------------------------------
def _paths_section(
    rep: _Report,
    dname: str,
    frame: pd.DataFrame,
    show: list[str],
    kept: list[str],
    order: list[str],
    paired: bool,
    replicates: int,
) -> None:
    summary = paths_analysis.summary(frame, kept, order, paired=paired)
    rep.table(f"{dname}_summary", summary)
    rep.figure(
        f"{dname}_bars",
        _bars(
            summary, show, order, f"{dname}: mean per path with 95% CI ({replicates} replicates)"
        ),
        "paths side by side",
    )
    rep.lines += [
        f"Differences to `{order[0]}` are {_pairing(paired)}. Full table: "
        f"`tables/{dname}_summary.csv`.",
        "",
    ]
    rep.lines += _md(
        summary[summary["indicator"].isin(show)],
        paths_analysis.COLUMNS,
    )


def _bars(summary: pd.DataFrame, show: list[str], order: list[str], title: str) -> Any:
    fig, axes = _panels(len(show), height=3.3)
    for ax, ind in zip(axes, show, strict=False):
        part = summary[summary["indicator"] == ind].set_index("path").reindex(order)
        mean = _floats(part["mean"])
        lo = mean - _floats(part["ci_low"])
        hi = _floats(part["ci_high"]) - mean
        err = np.nan_to_num(np.vstack([lo, hi]))
        ax.bar(
            range(len(order)),
            np.nan_to_num(mean),
            yerr=err,
            capsize=3,
            color=[f"C{i % 10}" for i in range(len(order))],
        )
        for i in np.flatnonzero(~np.isfinite(mean)):  # undefined: say so, do not draw a zero
            ax.text(i, 0, "n/a", ha="center", va="bottom", fontsize=7, color="0.4")
        ax.set_xticks(range(len(order)), order, rotation=35, ha="right", fontsize=7)
        ax.set_title(_title(ind), fontsize=9)
        ax.set_ylabel(_unit_label(ind), fontsize=8)
        ax.set_xlabel("path", fontsize=8)
        ax.tick_params(axis="y", labelsize=7)
        ax.grid(axis="y", alpha=0.3)
    _finish(fig, axes, len(show), title)
    return fig


# -- lhs -----------------------------------------------------------------------------------------
def _lhs_section(
    rep: _Report,
    dname: str,
    names: list[str],
    factors: pd.DataFrame,
    frame: pd.DataFrame,
    show: list[str],
    kept: list[str],
) -> None:
    corr = lhs_analysis.correlations(frame, names, kept)
    rep.table(f"{dname}_spearman", corr)
    for factor in names:
        fig, axes = _panels(len(show))
        x = pd.to_numeric(frame[factor], errors="coerce").to_numpy(dtype=float)
        for ax, ind in zip(axes, show, strict=False):
            y = pd.to_numeric(frame[ind], errors="coerce").to_numpy(dtype=float)
            ax.scatter(x, y, s=8, alpha=0.6)
            ok = np.isfinite(x) & np.isfinite(y)
            if ok.sum() >= 3 and np.ptp(x[ok]) > 0:
                slope, intercept = np.polyfit(x[ok], y[ok], 1)
                grid = np.linspace(x[ok].min(), x[ok].max(), 20)
                ax.plot(grid, slope * grid + intercept, color="C3", lw=1)
            _style(ax, _title(ind), _factor_label(factors, factor), _unit_label(ind))
        _finish(
            fig,
            axes,
            len(show),
            f"{dname}: indicators vs {factor} over the Latin "
            "hypercube (each point a run; line: least squares)",
        )
        rep.figure(f"{dname}_scatter_{factor}", fig, f"indicators vs {factor}")
    rep.lines += ["Spearman rank correlations (95% Fisher-z intervals):", ""]
    rep.lines += _md(
        corr[corr["indicator"].isin(show)],
        ["indicator", "factor", "n", "rho", "ci_low", "ci_high", "p_value"],
    )


# -- sobol / morris ------------------------------------------------------------------------------
def _sensitivity_section(
    rep: _Report,
    design: pd.Series,
    names: list[str],
    factors: pd.DataFrame,
    frame: pd.DataFrame,
    show: list[str],
    kept: list[str],
    settings: dict[str, Any],
    exp: dict[str, Any],
    spec: Any,
) -> None:
    dname = str(design["name"])
    problem = json.loads(design["problem"])
    first, n = int(design["first_point"]), int(design["n_points"])
    seed = int(exp.get("root_seed") or 0)
    conf = float(settings.get("conf_level", 0.95))
    resamples = int(settings.get("resamples", 1000))
    points_done = frame["point"].nunique()
    rep.lines += [
        f"{points_done} of {n} design points have results; each point's value is the "
        "mean over its replicates.",
        "",
    ]
    small = (
        settings.get("samples", 1 << 30) < 256
        if design["type"] == "sobol"
        else settings.get("trajectories", 1 << 30) < 20
    )
    if small:
        rep.lines += [
            "**A small design** (demonstration size): its bootstrap intervals are wide "
            "and Sobol estimates can fall outside [0, 1]. For research use raise "
            "`samples` (Sobol: 512-1024) or `trajectories` (Morris: 20-50).",
            "",
        ]
    if design["type"] == "sobol":
        table = sobol_analysis.indices(
            frame,
            problem,
            kept,
            first,
            n,
            bool(settings.get("second_order")),
            resamples,
            conf,
            seed,
        )
        rep.table(f"{dname}_sobol", table)
        fig, axes = _panels(len(show))
        for ax, ind in zip(axes, show, strict=False):
            part = table[table["indicator"] == ind].set_index("factor").reindex(names)
            pos = np.arange(len(names))
            for off, col, label in ((-0.2, "S1", "first order S1"), (0.2, "ST", "total ST")):
                ax.bar(
                    pos + off,
                    np.nan_to_num(_floats(part[col])),
                    width=0.4,
                    yerr=np.nan_to_num(_floats(part[f"{col}_conf"])),
                    capsize=2,
                    label=label,
                )
            ax.set_xticks(pos, names, rotation=35, ha="right", fontsize=7)
            note = str(part["note"].dropna().iloc[0]) if part["note"].astype(bool).any() else ""
            _style(
                ax,
                _title(ind) + (" (n/a)" if note else ""),
                "factor",
                "Sobol index (share of variance)",
            )
        axes[0].legend(fontsize=7)
        _finish(fig, axes, len(show), f"{dname}: Sobol indices with {conf:.0%} bootstrap intervals")
        rep.figure(f"{dname}_sobol", fig, "Sobol indices")
        rep.lines += [
            f"Sobol indices (`±` = half-width of the {conf:.0%} bootstrap interval); "
            f"all indicators: `tables/{dname}_sobol.csv`.",
            "",
        ]
        rep.lines += _md(
            table[table["indicator"].isin(show)],
            sobol_analysis.COLUMNS,
        )
        return
    sample = _morris_sample(spec, dname, frame, names, n)
    table = morris_analysis.measures(
        frame, problem, sample, kept, first, int(settings.get("levels", 4)), resamples, conf, seed
    )
    rep.table(f"{dname}_morris", table)
    fig, axes = _panels(len(show))
    for ax, ind in zip(axes, show, strict=False):
        part = table[table["indicator"] == ind].set_index("factor").reindex(names)
        pos = np.arange(len(names))
        ax.bar(
            pos,
            np.nan_to_num(_floats(part["mu_star"])),
            yerr=np.nan_to_num(_floats(part["mu_star_conf"])),
            capsize=2,
            color="C0",
        )
        ax.set_xticks(pos, names, rotation=35, ha="right", fontsize=7)
        _style(ax, _title(ind), "factor", f"μ* ({UNITS.get(ind, '')} per factor range)")
    _finish(fig, axes, len(show), f"{dname}: Morris μ* with {conf:.0%} bootstrap intervals")
    rep.figure(f"{dname}_morris", fig, "Morris mu*")
    fig, axes = _panels(len(show))
    for ax, ind in zip(axes, show, strict=False):
        part = table[table["indicator"] == ind].set_index("factor").reindex(names)
        mu, sigma = _floats(part["mu_star"]), _floats(part["sigma"])
        ax.scatter(mu, sigma, s=14)
        for name, a, b in zip(names, mu, sigma, strict=True):
            if np.isfinite(a) and np.isfinite(b):
                ax.annotate(name, (a, b), fontsize=6, xytext=(2, 2), textcoords="offset points")
        unit = UNITS.get(ind, "")
        _style(ax, _title(ind), f"μ* ({unit} per factor range)", f"σ ({unit} per factor range)")
    _finish(fig, axes, len(show), f"{dname}: Morris μ* against σ (non-linearity and interactions)")
    rep.figure(f"{dname}_morris_sigma", fig, "Morris mu* against sigma")
    rep.lines += [
        f"Morris measures (μ* `±` half-width of the {conf:.0%} bootstrap interval); all "
        f"indicators: `tables/{dname}_morris.csv`.",
        "",
    ]
    rep.lines += _md(
        table[table["indicator"].isin(show)],
        morris_analysis.COLUMNS,
    )


def _morris_sample(
    spec: Any, dname: str, frame: pd.DataFrame, names: list[str], n: int
) -> np.ndarray:
    """The trajectories as drawn (regenerated from the design file), else the stored values."""
    if spec is not None:
        experiment = Experiment(spec, Path("experiment.yaml"), "", "")
        for name, design in spec.named_designs():
            if name == dname and design.type == "morris":
                return np.asarray(build(name, design, experiment).sample)
    stored = frame.drop_duplicates("point").set_index("point").sort_index()
    return stored[names].to_numpy(dtype=float)[:n]


# -- failures ------------------------------------------------------------------------------------
def _failures(rep: _Report, runs: pd.DataFrame, factors: pd.DataFrame) -> None:
    failed = runs[runs["status"] == "failed"] if not runs.empty else runs
    if failed.empty:
        return
    rep.lines += [
        f"## Failed runs ({len(failed)})",
        "",
        "| point | replicate | design | factor values | error |",
        "|---|---|---|---|---|",
    ]
    names = [n for n in factors.index if n in failed.columns]
    for _, row in failed.head(30).iterrows():
        values = ", ".join(f"{n}={row[n]}" for n in names if not _missing(row[n]))
        error = str(row["error"] or "").strip().splitlines()[0][:200].replace("|", "\\|")
        rep.lines.append(
            f"| {row['point']} | {row['replicate']} | {row['design']} | {values} | {error} |"
        )
    if len(failed) > 30:
        rep.lines.append(f"| … | | | | {len(failed) - 30} more in the runs table |")
    rep.lines.append("")


# ------------------------------------------------------------------------------------------------
# Compare folders
# ------------------------------------------------------------------------------------------------
def _compare_report(folder: Path, wanted: Sequence[str] | None) -> _Report:
    summary = pd.read_csv(folder / "summary.csv")
    meta: dict[str, Any] = {}
    if (folder / "compare.json").exists():
        meta = json.loads((folder / "compare.json").read_text(encoding="utf-8"))
    order = list(meta.get("scenarios") or dict.fromkeys(summary["scenario"]))
    summary = summary.rename(columns={"scenario": "path"})
    present = [n for n in INDICATOR_NAMES if n in set(summary["indicator"])]
    show = [n for n in (wanted or HEADLINE) if n in present]
    replicates = meta.get("replicates", "?")
    rep = _Report(f"Comparison of {', '.join(order)} — report")
    rep.lines += [
        f"{replicates} replicates per scenario, root seed {meta.get('root_seed', '?')}, "
        "common random numbers (replicate r has the same seed in every scenario); "
        f"differences are paired against `{order[0]}`; 95 % t intervals.",
        "",
    ]
    rep.table("summary", summary)
    rep.figure(
        "scenarios_bars",
        _bars(summary, show, order, f"Scenario means with 95% CI ({replicates} replicates)"),
        "scenarios side by side",
    )
    rep.lines += _md(
        summary[summary["indicator"].isin(show)],
        ["path", "indicator", "mean", "ci_low", "ci_high", "diff", "diff_ci_low", "diff_ci_high"],
    )
    runs_csv = folder / "runs.csv"
    runs = pd.read_csv(runs_csv) if runs_csv.exists() else pd.DataFrame()
    figure = value_flow_figure(runs, order) if "scenario" in runs.columns else None
    if figure is not None:
        rep.figure("value_flows", figure, "where each yuan of live-stream spending goes, by path")
        rep.lines += ["", value_flow_table(runs, order), ""]
    return rep


# ------------------------------------------------------------------------------------------------
# Drawing and formatting helpers
# ------------------------------------------------------------------------------------------------
def _panels(n: int, height: float = 3.0) -> tuple[Any, list[Any]]:
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    n = max(n, 1)
    cols = min(3, n)
    rows = math.ceil(n / cols)
    fig = Figure(figsize=(4.4 * cols, height * rows + 0.6), dpi=100)
    FigureCanvasAgg(fig)
    axes = [fig.add_subplot(rows, cols, i + 1) for i in range(rows * cols)]
    return fig, axes


def _finish(fig: Any, axes: list[Any], used: int, title: str) -> None:
    for ax in axes[max(used, 1) :]:
        ax.axis("off")
    fig.suptitle(title, fontsize=10)
    height = fig.get_figheight()
    fig.tight_layout(rect=(0, 0, 1, 1 - 0.4 / height))  # room for the title


def _style(
    ax: Any,
    title: str,
    xlabel: str,
    ylabel: str,
    xs: np.ndarray | None = None,
    xticks: list[str] | None = None,
) -> None:
    ax.set_title(title, fontsize=9)
    ax.set_xlabel(xlabel, fontsize=8)
    ax.set_ylabel(ylabel, fontsize=8)
    ax.tick_params(labelsize=7)
    if xs is not None and xticks is not None:
        ax.set_xticks(xs, xticks, rotation=30, ha="right")
    ax.grid(alpha=0.3)


def _title(indicator: str) -> str:
    return indicator.replace("_", " ")


def _unit_label(indicator: str) -> str:
    unit = UNITS.get(indicator)
    return f"{_title(indicator)} ({unit})" if unit else _title(indicator)


def _factor_label(factors: pd.DataFrame, name: str) -> str:
    if name not in factors.index:
        return name
    row = factors.loc[name]
    label = row["label"] if isinstance(row["label"], str) and row["label"] else name
    unit = row["unit"] if isinstance(row["unit"], str) and row["unit"] else None
    return f"{label} ({unit})" if unit else label


def _floats(series: pd.Series) -> np.ndarray:
    return pd.to_numeric(series, errors="coerce").to_numpy(dtype=float)


def _missing(value: Any) -> bool:
    return value is None or (isinstance(value, float) and not math.isfinite(value))


def _fmt(value: Any) -> str:
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return "–"
    if isinstance(value, bool | str):
        return str(value)
    if isinstance(value, int | np.integer):
        return f"{int(value):,}" if abs(int(value)) >= 10000 else str(int(value))
    value = float(value)
    if abs(value) >= 1000:
        return f"{value:,.0f}"
    return f"{value:.3g}"


def _md(frame: pd.DataFrame, columns: list[str]) -> list[str]:
    columns = [c for c in columns if c in frame.columns]
    if frame.empty:
        return []
    lines = ["| " + " | ".join(columns) + " |", "|" + "---|" * len(columns)]
    for _, row in frame.iterrows():
        lines.append(
            "| "
            + " | ".join(_fmt(row[c]) if not isinstance(row[c], str) else row[c] for c in columns)
            + " |"
        )
    return [*lines, ""]
