"""The run folder (INTERFACE.md): summary, time series, villages, cohorts, manifest, graph, plots.

Everything is written into a temporary sibling folder which is renamed into place at the end, so a
run folder never looks complete when it is not.
"""

from __future__ import annotations

import hashlib
import json
import os
import platform
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from importlib import metadata
from pathlib import Path
from typing import TYPE_CHECKING

import networkx as nx
import numpy as np
import pandas as pd
import yaml

from village_sim.metrics.indicators import HEADLINE, INDICATORS
from village_sim.numerics import finite_or_none

if TYPE_CHECKING:
    from village_sim.run import RunResult
    from village_sim.scenario.schema import Scenario


class OutputExistsError(Exception):
    """The output folder exists and is not empty (and overwriting was not asked for)."""


def check_out_dir(directory: Path, overwrite: bool, keep: tuple[Path, ...] = ()) -> None:
    """Refuse an existing, non-empty folder unless ``overwrite``.

    Even with ``overwrite``, a folder is never replaced when that would delete the working
    directory (or a folder holding it), the file system root or home, or one of ``keep``
    (the scenario file being run).

    Raises:
        OutputExistsError: The folder may not be written.
    """
    if not directory.exists():
        return
    if directory.is_dir() and not any(directory.iterdir()):
        return
    if not overwrite:
        raise OutputExistsError(
            f"{directory}: output folder exists and is not empty; expected a new or empty "
            "folder (or give --overwrite to replace it)"
        )
    target = directory.resolve()
    if not directory.is_dir():
        return
    cwd = Path.cwd().resolve()
    protected = {Path(target.anchor), Path.home().resolve()}
    if target in protected or cwd == target or target in cwd.parents:
        raise OutputExistsError(
            f"{directory}: refusing to replace this folder (it holds the working directory or is "
            "a system folder); expected a dedicated run folder"
        )
    for path in keep:
        resolved = Path(path).resolve()
        if resolved == target or target in resolved.parents:
            raise OutputExistsError(
                f"{directory}: refusing to replace this folder: it holds {path}; expected a "
                "dedicated run folder"
            )


def resolved_yaml(scenario: Scenario, steps: int | None = None) -> str:
    """Render the scenario with defaults and overrides applied as YAML text.

    Args:
        scenario: The scenario that was run.
        steps: Weeks actually simulated, if they differ from ``scenario.steps`` (so that the
            file reproduces the run).
    """
    data = scenario.model_dump(mode="json")
    if steps is not None:
        data["steps"] = int(steps)
    return yaml.safe_dump(data, sort_keys=False, allow_unicode=True)


def write_run_folder(result: RunResult, directory: Path, overwrite: bool = False) -> Path:
    """Write every file of a run folder atomically.

    Args:
        result: The run.
        directory: Target folder.
        overwrite: Replace an existing non-empty folder.

    Returns:
        The folder.
    """
    with atomic_folder(directory, overwrite) as tmp:
        _write_all(result, tmp)
    return directory


@contextmanager
def atomic_folder(
    directory: Path, overwrite: bool = False, keep: tuple[Path, ...] = ()
) -> Iterator[Path]:
    """Yield a temporary sibling folder that replaces ``directory`` only when the block succeeds.

    Raises:
        OutputExistsError: ``directory`` may not be written (see :func:`check_out_dir`).
    """
    check_out_dir(directory, overwrite, keep)
    directory.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{directory.name}.tmp-", dir=directory.parent))
    tmp.chmod(0o755)
    try:
        yield tmp
        if directory.exists():
            shutil.rmtree(directory) if directory.is_dir() else directory.unlink()
        os.replace(tmp, directory)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


def _write_all(result: RunResult, out: Path) -> None:
    resolved = resolved_yaml(result.scenario, result.steps)
    (out / "scenario.resolved.yaml").write_text(resolved, encoding="utf-8")
    summary = {
        "scenario": result.scenario.name,
        "seed": result.seed,
        "steps": result.steps,
        "indicators": {k: finite_or_none(v) for k, v in result.indicators.items()},
    }
    extra = getattr(result, "summary_extra", None)
    if extra:
        summary.update(extra)
    patterns = pattern_block(result.indicators)
    if patterns is not None:
        summary["patterns"] = patterns
    (out / "summary.json").write_text(json.dumps(summary, indent=2), encoding="utf-8")
    result.timeseries.to_csv(out / "timeseries.csv", index=False)
    village_table(result.model).to_csv(out / "villages.csv", index=False)
    cohort_table(result.model).to_csv(out / "cohorts.csv", index=False)
    manifest = build_manifest(result, resolved)
    (out / "manifest.json").write_text(json.dumps(manifest, indent=2), encoding="utf-8")
    nx.write_graphml(trade_graph(result.model), out / "trade_graph.graphml")
    plot_headlines(result.timeseries, out / "plots")
    if result.panel is not None:
        result.panel.to_parquet(out / "agents.parquet", index=False)


def pattern_block(indicators: dict[str, float | None]) -> dict | None:
    """Pass/fail of the stylized facts for one run (None when no targets file is at hand)."""
    from village_sim.calibration.patterns import evaluate, summary_block
    from village_sim.calibration.targets import DEFAULT_TARGETS, load_targets

    if not DEFAULT_TARGETS.is_file():
        return None
    return summary_block(evaluate(load_targets(DEFAULT_TARGETS), [indicators]))


def village_table(model) -> pd.DataFrame:
    """One row per village: terrain, sales, farmer income and share, trust, stalls, spoilage."""
    world = model.world
    vs = model.village_stats
    income = model.farmers.yearly_income()
    n_v = world.n_villages
    farmers_v = model.farmers.village
    income_sum = np.bincount(farmers_v, weights=income, minlength=n_v)
    households = np.bincount(farmers_v, minlength=n_v)
    active = np.zeros(n_v, dtype=int)
    for a in model.anchor_list:
        if a.can_trade(model.week - 1) and a.sessions > 0:
            active[a.base_village] += 1
    terrain_names = ("plain", "hill", "mountain")
    scale = model.consumers.scale.astype(float)
    trust = (model.consumers.brand_trust * scale[:, None]).sum(axis=0) / scale.sum()
    with np.errstate(invalid="ignore", divide="ignore"):
        return pd.DataFrame(
            {
                "village": np.arange(n_v),
                "node_id": world.village_nodes,
                "name": world.village_names(),
                "terrain": [terrain_names[t] for t in world.terrain],
                "households": households,
                "sales_yuan": np.round(vs["gmv_yuan"], 2),
                "farmer_income_mean": np.where(
                    households > 0, income_sum / np.maximum(households, 1), np.nan
                ).round(2),
                "farmer_share": np.where(
                    vs["gmv_yuan"] > 0, vs["farmer_live_yuan"] / vs["gmv_yuan"], np.nan
                ).round(4),
                "brand_trust": trust.round(4),
                "stall_rate": np.where(
                    vs["sessions"] > 0, vs["stalled"] / vs["sessions"], np.nan
                ).round(4),
                "spoilage_rate": np.where(
                    vs["fresh_shipped_kg"] > 0,
                    vs["fresh_spoiled_kg"] / vs["fresh_shipped_kg"],
                    np.nan,
                ).round(4),
                "active_anchors": active,
            }
        )


def cohort_table(model) -> pd.DataFrame:
    """One row per training cohort and week since its course ended."""
    rows = []
    last_week = model.week - 1
    for cohort in model.training.cohorts:
        if cohort.end_week > last_week:
            continue
        for since in range(0, last_week - cohort.end_week + 1):
            at = cohort.end_week + since
            streaming = exited = 0
            for youth in cohort.members:
                start, stop = youth.stream_start_week, youth.stream_exit_week
                if start is None or start > at:
                    continue
                if stop is not None and stop <= at:
                    exited += 1
                else:
                    streaming += 1
            rows.append(
                {
                    "cohort": cohort.cohort_id,
                    "course": cohort.course,
                    "start_week": cohort.start_week,
                    "end_week": cohort.end_week,
                    "weeks_since_course": since,
                    "trainees": len(cohort.members),
                    "streaming": streaming,
                    "exited": exited,
                }
            )
    columns = [
        "cohort",
        "course",
        "start_week",
        "end_week",
        "weeks_since_course",
        "trainees",
        "streaming",
        "exited",
    ]
    return pd.DataFrame(rows, columns=columns)


def git_commit() -> str | None:
    """Return the package's git commit, if it runs from a checkout."""
    root = Path(__file__).resolve().parent.parent
    try:
        out = subprocess.run(
            ["git", "-C", str(root), "rev-parse", "HEAD"],
            capture_output=True,
            text=True,
            timeout=5,
            check=False,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return out.stdout.strip() or None


def package_versions() -> dict[str, str | None]:
    """Versions of the packages that shape results."""
    out: dict[str, str | None] = {"python": platform.python_version()}
    for name in ("village_sim", "mesa", "numpy", "networkx", "pandas", "pydantic"):
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = None
    return out


def build_manifest(result: RunResult, resolved: str) -> dict:
    """Provenance of a run: versions, commit, scenario hash, seed, time, agent counts."""
    return {
        "package_version": package_versions()["village_sim"],
        "git_commit": git_commit(),
        "versions": package_versions(),
        "scenario": result.scenario.name,
        "scenario_sha256": hashlib.sha256(resolved.encode()).hexdigest(),
        "seed": result.seed,
        "steps": result.steps,
        "wall_time_s": round(result.wall_time_s, 3),
        "build_time_s": round(result.build_time_s, 3),
        "agents": result.model.initial_agent_counts,
        "consumer_people": int(result.model.consumers.scale.sum()),
    }


def trade_graph(model) -> nx.Graph:
    """Copy the places graph with its final flows (kg over the run) on edges and nodes."""
    graph = model.world.graph.copy()
    for (u, v), kg in model.logistics.edge_flow_kg.items():
        graph.edges[u, v]["flow_kg"] = round(kg, 3)
    for n in graph.nodes:
        graph.nodes[n]["volume_kg"] = round(
            sum(graph.edges[n, m].get("flow_kg", 0.0) for m in graph.neighbors(n)), 3
        )
    for _, data in graph.nodes(data=True):
        for key, value in list(data.items()):
            if isinstance(value, np.generic):
                data[key] = value.item()
    return graph


UNITS = {ind.name: ind.unit for ind in INDICATORS}


def plot_headlines(timeseries: pd.DataFrame, folder: Path) -> None:
    """Draw one PNG per headline indicator's weekly series.

    Uses bare :class:`~matplotlib.figure.Figure` objects (no pyplot state), so it is safe in
    worker threads and leaves no figures open.
    """
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    folder.mkdir(parents=True, exist_ok=True)
    for name in HEADLINE:
        fig = Figure(figsize=(6, 3.2), dpi=100)
        FigureCanvasAgg(fig)
        ax = fig.add_subplot()
        fig.subplots_adjust(left=0.14, right=0.97, top=0.9, bottom=0.16)
        series = pd.to_numeric(timeseries[name], errors="coerce")
        ax.plot(timeseries["week"], series, lw=1.5)
        ax.set_title(name.replace("_", " "))
        ax.set_xlabel("week")
        ax.set_ylabel(UNITS.get(name, ""))
        ax.grid(alpha=0.3)
        fig.savefig(folder / f"{name}.png")
