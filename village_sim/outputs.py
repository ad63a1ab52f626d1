"""The run folder (INTERFACE.md): summary, time series, villages, cohorts, manifest, graph, plots.

Everything is written into a temporary sibling folder which is renamed into place at the end, so a
run folder never looks complete when it is not.
"""

from __future__ import annotations

import hashlib
import json
import os
import platform
import re
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from importlib import metadata
from pathlib import Path
from typing import Any

import networkx as nx
import pandas as pd
import yaml

from village_sim.metrics.indicators import (
    HEADLINE,
    INDICATORS,
    exit_reason_counts,
    markup_by_product,
)
from village_sim.metrics.patterns import evaluate, summary_block
from village_sim.metrics.tables import (
    anchors_table,
    cohort_table,
    flows_table,
    survival_table,
    trade_graph,
    village_table,
    villages_weekly_table,
    youth_weekly_table,
)
from village_sim.metrics.targets import DEFAULT_TARGETS, load_targets
from village_sim.numerics import finite_or_none
from village_sim.scenario.schema import Scenario

RunResult = Any  # a village_sim.run.RunResult (not imported: run.py imports this module)


class OutputExistsError(Exception):
    """The output folder may not be written.

    It exists (and ``--overwrite`` was not given), it is not a folder this program wrote, or the
    location cannot be written at all.
    """


MARKER = ".village_sim"
"""The file that marks a folder as written by village_sim: JSON with its kind (``run``,
``compare``, ``patterns``, ``batch``, ``calibration``) and, for folders written in one go, the
names it holds. Only such a folder is ever replaced by ``--overwrite``."""

_TEMP = re.compile(r"^\.(?P<name>.+)\.(?P<what>tmp|old)-(?P<pid>\d+)-[A-Za-z0-9_]+$")


def write_marker(folder: Path, kind: str, names: list[str] | None = None) -> None:
    """Mark ``folder`` as a ``kind`` folder of village_sim holding ``names`` (``None``: any)."""
    data = {"written_by": "village_sim", "kind": kind, "names": names}
    (folder / MARKER).write_text(json.dumps(data, indent=1) + "\n", encoding="utf-8")


def own_folder_problem(folder: Path) -> str | None:
    """Why ``folder`` is not recognisably one this program wrote (``None`` when it is).

    It must hold the :data:`MARKER` file and, for a folder written in one go, nothing but the
    names the marker lists.
    """
    try:
        data = json.loads((folder / MARKER).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        data = None
    if data is None and (folder / ".village_sim_report").is_file():
        return None  # a report folder written before the marker existed
    if not isinstance(data, dict) or data.get("written_by") != "village_sim":
        return f"it has no {MARKER} file, so it is not a folder village_sim wrote"
    names = data.get("names")
    if isinstance(names, list):
        extra = sorted(p.name for p in folder.iterdir() if p.name not in {*names, MARKER})
        if extra:
            shown = ", ".join(extra[:5]) + (" ..." if len(extra) > 5 else "")
            return f"it holds files village_sim did not write there: {shown}"
    return None


def check_out_dir(directory: Path, overwrite: bool, keep: tuple[Path, ...] = ()) -> None:
    """Refuse an output location that cannot or may not be written, before any work is done.

    A new location must be creatable (its nearest existing folder writable); an existing one
    must be an empty folder, or — with ``overwrite`` — a folder this program wrote (see
    :func:`own_folder_problem`). Even then it is never replaced when that would delete the
    working directory (or a folder holding it), the file system root or home, or one of
    ``keep`` (the input files).

    Raises:
        OutputExistsError: The location may not be written; the message names it and what would
            have been deleted.
    """
    directory = Path(directory)
    if directory.is_symlink():
        raise OutputExistsError(
            f"--out {directory}: is a symbolic link; expected the path of a folder itself"
        )
    if not directory.exists():
        _probe_writable(directory)
        return
    if not directory.is_dir():
        raise OutputExistsError(
            f"--out {directory}: exists and is not a folder; expected a new or empty folder "
            "(it is never replaced, not even with --overwrite)"
        )
    _probe_writable(directory)
    if not any(directory.iterdir()):
        return
    if not overwrite:
        raise OutputExistsError(
            f"{directory}: output folder exists and is not empty; expected a new or empty "
            "folder (or give --overwrite to replace it)"
        )
    target = directory.resolve()
    cwd = Path.cwd().resolve()
    protected = {Path(target.anchor), Path.home().resolve()}
    if (
        target in protected
        or target in Path.home().resolve().parents
        or cwd == target
        or target in cwd.parents
    ):
        raise OutputExistsError(
            f"{directory}: refusing to replace this folder (it holds the working directory or is "
            "a system or home folder); expected a dedicated run folder"
        )
    for path in keep:
        resolved = Path(path).resolve()
        if resolved == target or target in resolved.parents:
            raise OutputExistsError(
                f"{directory}: refusing to replace this folder: it holds {path}; expected a "
                "dedicated run folder"
            )
    problem = own_folder_problem(directory)
    if problem is not None:
        raise OutputExistsError(
            f"--overwrite {directory}: refusing to delete this folder: {problem}; expected a "
            "folder written by village_sim (delete it yourself, or choose another --out)"
        )


def _probe_writable(directory: Path) -> None:
    """Create and remove a folder where ``directory`` would go (or in it, when it exists)."""
    base = directory
    while not base.exists() and base != base.parent:
        base = base.parent
    try:
        if not base.is_dir():
            raise NotADirectoryError(0, f"{base} is not a folder")
        Path(tempfile.mkdtemp(prefix=".village_sim-probe-", dir=base)).rmdir()
    except OSError as exc:
        raise OutputExistsError(
            f"--out {directory}: cannot write there ({exc.strerror or exc}); expected a folder "
            "that can be created and written"
        ) from None


def remove_own_folder(directory: Path) -> None:
    """Delete a folder this program wrote (checked again), moving it aside first."""
    problem = own_folder_problem(directory)
    if problem is not None:
        raise OutputExistsError(f"{directory}: refusing to delete this folder: {problem}")
    aside = _temp_sibling(directory, "old")
    os.rename(directory, aside)
    shutil.rmtree(aside)


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
        overwrite: Replace an existing run folder (only one this program wrote).

    Returns:
        The folder.
    """
    with atomic_folder(directory, overwrite, kind="run") as tmp:
        _write_all(result, tmp)
    return directory


@contextmanager
def atomic_folder(
    directory: Path, overwrite: bool = False, keep: tuple[Path, ...] = (), kind: str = "run"
) -> Iterator[Path]:
    """Yield a temporary sibling folder that replaces ``directory`` only when the block succeeds.

    The replacement is a sequence of renames: the old folder is moved aside, the new one moved
    in, then the old one deleted. Temporary folders of runs that were killed (their process is
    gone) are cleaned up first; an old folder moved aside by a killed run is put back.

    Args:
        directory: The folder to write.
        overwrite: Replace an existing folder this program wrote.
        keep: Input files that must not be deleted with it.
        kind: What the folder is (``run``, ``compare``, ``patterns``), recorded in its marker.

    Raises:
        OutputExistsError: ``directory`` may not be written (see :func:`check_out_dir`).
    """
    directory = Path(directory)
    _clean_stale(directory)
    check_out_dir(directory, overwrite, keep)
    directory.parent.mkdir(parents=True, exist_ok=True)
    tmp = _temp_sibling(directory, "tmp")
    tmp.mkdir(mode=0o755)
    try:
        yield tmp
        write_marker(tmp, kind, sorted(p.name for p in tmp.iterdir()))
        if directory.exists() and any(directory.iterdir()):
            check_out_dir(directory, overwrite, keep)  # still ours (it may have changed)
            aside = _temp_sibling(directory, "old")
            os.rename(directory, aside)
            os.replace(tmp, directory)
            shutil.rmtree(aside, ignore_errors=True)
        else:
            os.replace(tmp, directory)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


def _temp_sibling(directory: Path, what: str) -> Path:
    """A new name beside ``directory`` for a temporary or moved-aside folder of this process."""
    token = os.urandom(4).hex()
    return directory.parent / f".{directory.name}.{what}-{os.getpid()}-{token}"


def _clean_stale(directory: Path) -> None:
    """Remove temporary folders of killed runs beside ``directory``; put back a moved-aside one."""
    parent = directory.parent
    if not parent.is_dir():
        return
    for path in sorted(parent.iterdir()):
        match = _TEMP.match(path.name)
        if match is None or match["name"] != directory.name or not path.is_dir():
            continue
        if _alive(int(match["pid"])):
            continue
        if match["what"] == "old" and not directory.exists():
            os.rename(path, directory)
        else:
            shutil.rmtree(path, ignore_errors=True)


def _alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:
        return True
    return True


def _write_all(result: RunResult, out: Path) -> None:
    resolved = resolved_yaml(result.scenario, result.steps)
    (out / "scenario.resolved.yaml").write_text(resolved, encoding="utf-8")
    summary = {
        "scenario": result.scenario.name,
        "seed": result.seed,
        "steps": result.steps,
        "indicators": {k: finite_or_none(v) for k, v in result.indicators.items()},
        "anchor_exit_reasons": exit_reason_counts(result.model),
        "markup_by_product": {
            k: finite_or_none(v) for k, v in markup_by_product(result.model).items()
        },
    }
    extra = getattr(result, "summary_extra", None)
    if extra:
        summary.update(extra)
    patterns = pattern_block(result.indicators)
    if patterns is not None:
        summary["patterns"] = patterns
    (out / "summary.json").write_text(json.dumps(summary, indent=2), encoding="utf-8")
    result.timeseries.to_csv(out / "timeseries.csv", index=False)
    if result.value_flows is not None:
        # yuan with two decimals: whole fen, so each row's flows add up to its spending exactly
        result.value_flows.to_csv(out / "value_flows.csv", index=False, float_format="%.2f")
    village_table(result.model).to_csv(out / "villages.csv", index=False)
    cohort_table(result.model).to_csv(out / "cohorts.csv", index=False)
    villages_weekly_table(result.model).to_parquet(out / "villages_weekly.parquet", index=False)
    flows_table(result.model).to_parquet(out / "flows.parquet", index=False)
    if result.anchors_weekly is not None:
        result.anchors_weekly.to_parquet(out / "anchors_weekly.parquet", index=False)
    youth_weekly_table(result.model).to_csv(out / "youth_weekly.csv", index=False)
    anchors_table(result.model).to_csv(out / "anchors.csv", index=False)
    survival_table(result.model).to_csv(out / "survival.csv", index=False)
    manifest = build_manifest(result, resolved)
    (out / "manifest.json").write_text(json.dumps(manifest, indent=2), encoding="utf-8")
    nx.write_graphml(trade_graph(result.model), out / "trade_graph.graphml")
    plot_headlines(result.timeseries, out / "plots")
    if result.panel is not None:
        result.panel.to_parquet(out / "agents.parquet", index=False)


def pattern_block(indicators: dict[str, float | None]) -> dict | None:
    """Pass/fail of the stylized facts for one run (None when no targets file is at hand)."""
    if not DEFAULT_TARGETS.is_file():
        return None
    return summary_block(evaluate(load_targets(DEFAULT_TARGETS), [indicators]))


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
