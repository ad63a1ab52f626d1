"""Running an experiment: Dask (a local cluster or an existing one) or in-process, into the store.

The client process is the store's only writer. It walks the design points in a fixed order,
resolves each point's scenario (``load_scenario``), derives every run's seed from the root seed
(:func:`~village_sim.batch.seeds.run_seed`) and key (hash of the resolved scenario and the seed),
skips runs already complete in the store, submits the rest with a bounded number in flight and
commits each result as it arrives — so memory stays flat however many runs there are, and a
killed batch loses only the runs that were in flight.

Local workers (``--workers N``) are separate processes of the batch's process group, one thread
each, with NumPy's thread pools set to one thread; they exit when the batch process dies (Dask's
nanny pipe), so a ``kill -9`` leaves no orphans. ``--workers 1`` runs in-process (for debugging).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import os
import shutil
import signal
import socket
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from village_sim import __version__
from village_sim.batch.dask_setup import SimulationWorkerSetup
from village_sim.batch.design import Plan, Point
from village_sim.batch.design import plan as build_plan
from village_sim.batch.experiment import Experiment, field_unit
from village_sim.batch.seeds import run_seed
from village_sim.batch.store import (
    STORE_FILE,
    WIDE_FILE,
    RunRow,
    Store,
    column_type,
    interrupted,
    now,
)
from village_sim.batch.worker import SINGLE_THREAD_ENV, RunTask, execute, worker_info
from village_sim.outputs import (
    check_out_dir,
    git_commit,
    package_versions,
    remove_own_folder,
    write_marker,
)
from village_sim.run import load_scenario
from village_sim.scenario.errors import ScenarioError

PROGRESS_FILE = "progress.json"
WIDE_EVERY = 50
"""Completed runs between two refreshes of ``results_wide.parquet`` while a batch runs."""
EXIT_OK = 0
EXIT_FAILED_RUNS = 3

log = logging.getLogger(__name__)


@dataclass
class BatchOptions:
    """How to run a batch.

    Attributes:
        out: The batch folder (``results.duckdb``, ``progress.json``, ``experiment.yaml``).
        workers: Local workers (``None``: one per core; 1: in-process).
        scheduler: Address of an existing Dask scheduler (``tcp://host:8786``).
        resume: Skip runs already complete in ``out``.
        overwrite: Replace an existing, non-empty ``out``.
        max_in_flight: Most runs submitted at once (default: twice the worker threads, at least 4).
        progress: ``auto`` (a bar on a terminal, else a line every few seconds), ``bar``, ``log``,
            ``none``.
        parquet: Export the tables as Parquet into ``out/parquet`` at the end.
        worker_wait_s: With ``scheduler``, how long to wait for a first worker.
        wide_every: Refresh ``out/results_wide.parquet`` after this many completed runs (0: only
            at the end); it is always written when the batch ends.
    """

    out: Path
    workers: int | None = None
    scheduler: str | None = None
    resume: bool = False
    overwrite: bool = False
    max_in_flight: int | None = None
    progress: str = "auto"
    parquet: bool = False
    worker_wait_s: float = 120.0
    wide_every: int = WIDE_EVERY


@dataclass
class BatchSummary:
    """What a batch did."""

    total: int
    ok: int
    failed: int
    skipped: int
    reused: int
    stale: int
    session: int
    mode: str
    workers: int
    wall_s: float
    store: Path
    stats: dict[str, float] = field(default_factory=dict)

    @property
    def exit_code(self) -> int:
        """0 when every run of the experiment succeeded, 3 when some failed."""
        return EXIT_FAILED_RUNS if self.failed else EXIT_OK


@dataclass
class Job:
    """One run of the plan (a design point and replicate), resolved."""

    point: Point
    replicate: int
    seed: int
    run_key: str
    scenario: Any  # Scenario | None (None when the point is invalid)
    error: str | None = None

    def row(self, status: str, **extra: Any) -> RunRow:
        """The ``runs`` row for this job."""
        return RunRow(
            self.point.index,
            self.replicate,
            self.point.design,
            self.run_key,
            self.seed,
            self.point.values,
            status,
            **extra,
        )


def default_workers() -> int:
    """Local workers by default: the cores this process may use."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - not Linux
        return max(1, os.cpu_count() or 1)


def scenario_hash(scenario: Any) -> str:
    """SHA-256 of a resolved scenario (canonical JSON of every field)."""
    text = json.dumps(scenario.model_dump(mode="json"), sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()


def run_key(resolved_hash: str, seed: int) -> str:
    """A run's key: hash of its resolved scenario's hash and its seed (32 hex digits)."""
    return hashlib.sha256(f"{resolved_hash}:{int(seed)}".encode()).hexdigest()[:32]


# ------------------------------------------------------------------------------------------------
# The batch
# ------------------------------------------------------------------------------------------------
def run_batch(
    experiment: Experiment, options: BatchOptions, echo: Callable[[str], None] | None = None
) -> BatchSummary:
    """Run (or resume) an experiment into ``options.out``.

    Args:
        experiment: A validated experiment (:func:`~village_sim.batch.experiment.load_experiment`).
        options: Where and how.
        echo: Where to print notes (default: stderr).

    Returns:
        The summary; its ``exit_code`` is 3 when some runs failed.

    Raises:
        ScenarioError: The folder holds another or a changed experiment (``--resume``), or the
            store is in use by another batch.
        OutputExistsError: ``out`` exists and is not empty (without ``--resume``/``--overwrite``).
    """
    say = echo or (lambda text: print(text, file=sys.stderr, flush=True))
    started = time.perf_counter()
    cpu_start = time.process_time()
    plan = build_plan(experiment)
    if options.scheduler:
        check_scheduler(options.scheduler)
    store, resumed = open_store(experiment, plan, options)

    versions = _versions()
    mode, n_workers = _mode(options)
    for stale, pid, host in store.close_stale_sessions():
        say(
            f"note: session {stale} of this batch (process {pid} on {host}) ended without "
            "closing (killed?); recorded as killed"
        )
    session = store.start_session(
        mode,
        n_workers if mode != "scheduler" else None,
        options.scheduler,
        resumed,
        versions,
        git_commit(),
    )
    previous = store.experiment() or {}
    if resumed and previous.get("git_commit") not in (None, git_commit()):
        say(
            f"note: resuming a batch started at git commit {previous.get('git_commit')}; "
            f"now at {git_commit()}"
        )
    store.update_experiment(started_at=now(), status="running")
    counts = store.counts()
    progress = Progress(options, experiment.spec.name, plan.n_runs, counts.get("ok", 0), session)
    state = _State(wide_every=options.wide_every, wide_path=options.out / WIDE_FILE)
    status = "interrupted"
    try:
        jobs = _jobs(plan, store, resumed, state)
        if mode == "in-process":
            _run_in_process(jobs, store, session, experiment, progress, state)
        else:
            _run_dask(jobs, store, session, experiment, progress, state, options, n_workers, say)
            n_workers = state.workers or n_workers
        status = "finished"
    except Exception as exc:
        if interrupted(exc):  # Ctrl-C while DuckDB was busy: it says "Query interrupted"
            raise KeyboardInterrupt from None
        raise
    finally:
        progress.close(status)
        counts = store.counts()
        complete = counts.get("ok", 0) + counts.get("failed", 0) >= plan.n_runs
        stats = {
            "wall_s": round(time.perf_counter() - started, 3),
            "client_cpu_s": round(time.process_time() - cpu_start, 3),
            **state.timings(),
        }
        store.end_session(
            session,
            status,
            state.ok,
            state.failed,
            state.skipped,
            stats,
            workers=state.workers or None,
        )
        store.update_experiment(
            ended_at=now(), status="complete" if status == "finished" and complete else status
        )
        store.write_wide(options.out / WIDE_FILE)
        if options.parquet and status == "finished":
            store.export_parquet(options.out / "parquet")
        store.close()
    return BatchSummary(
        total=plan.n_runs,
        ok=counts.get("ok", 0),
        failed=counts.get("failed", 0),
        skipped=state.skipped,
        reused=state.reused,
        stale=state.stale,
        session=session,
        mode=mode,
        workers=n_workers,
        wall_s=time.perf_counter() - started,
        store=options.out / STORE_FILE,
        stats=stats,
    )


def open_store(experiment: Experiment, plan: Plan, options: BatchOptions) -> tuple[Store, bool]:
    """Open the store of a resumed batch, or create the folder and store of a new one.

    Returns:
        The store and whether it is resumed.
    """
    out = options.out
    path = out / STORE_FILE
    if options.resume and path.exists():
        store = _connect_store(path, experiment)
        row = store.experiment()
        if row is None:
            store.close()
            raise ScenarioError(
                [
                    (
                        "",
                        f"{path} holds no experiment; expected a batch folder "
                        "(start again without --resume, with --overwrite)",
                    )
                ],
                str(experiment.source),
            )
        if row["design_hash"] != experiment.sha256:
            store.close()
            raise ScenarioError(
                [
                    (
                        "",
                        f"the experiment file changed since {out} was started (hash "
                        f"{str(row['design_hash'])[:12]}… then, {experiment.sha256[:12]}… now); "
                        "expected the same file to resume — restore it, or run the new version "
                        "into a new --out folder",
                    )
                ],
                str(experiment.source),
                experiment.lines,
            )
        return store, True
    # --resume of a batch killed before its store existed starts it afresh
    if options.resume and _only_own_files(out):
        shutil.rmtree(out)
    check_out_dir(out, options.overwrite, keep=(experiment.source,))
    if out.exists() and any(out.iterdir()):
        if path.exists():  # never delete the store of a batch that is still running
            try:
                _connect_store(path, experiment).close()
            except ScenarioError as exc:
                if "in use" in str(exc):
                    raise
                # a damaged store: --overwrite is how to start again
        remove_own_folder(out)
    out.mkdir(parents=True, exist_ok=True)
    write_marker(out, "batch")
    (out / "experiment.yaml").write_text(experiment.text, encoding="utf-8")
    store = _connect_store(path, experiment)
    store.create(_factor_types(plan))
    store.write_metadata(*_metadata(experiment, plan))
    return store, False


def _connect_store(path: Path, experiment: Experiment) -> Store:
    import duckdb

    try:
        return Store(path)
    except duckdb.Error as exc:
        if "lock" not in str(exc).lower():
            raise ScenarioError(
                [
                    (
                        "",
                        f"cannot open the store {path}: {exc}; if the file is damaged, run the "
                        "batch again with --overwrite (its runs are made again) or into a new "
                        "--out, keeping the damaged folder aside",
                    )
                ],
                str(experiment.source),
            ) from None
        raise ScenarioError(
            [
                (
                    "",
                    f"{path} is in use by another process ({exc}); wait for the "
                    "batch that writes it to finish, or stop it",
                )
            ],
            str(experiment.source),
        ) from None


_OWN_FILES = frozenset(
    {"experiment.yaml", PROGRESS_FILE, f".{PROGRESS_FILE}.tmp", f"{STORE_FILE}.wal", ".village_sim"}
)


def _only_own_files(folder: Path) -> bool:
    """Whether a folder holds nothing but what a batch writes before its store exists."""
    return folder.is_dir() and all(p.name in _OWN_FILES for p in folder.iterdir())


def _factor_types(plan: Plan) -> dict[str, str]:
    spec = plan.experiment.spec
    types: dict[str, list[Any]] = {}
    for design in plan.designs:
        for name in design.factors:
            if name == "path":  # a path's name ('path' cannot name a factor)
                types.setdefault(name, []).append("text")
            elif name == "world":  # a discovery design's world index
                types.setdefault(name, []).append(0)
            elif design.type == "grid":
                types.setdefault(name, []).extend(spec.factors[name].levels or [])
            else:
                types.setdefault(name, []).append(0.0)
    return {name: column_type(values) for name, values in types.items()}


def _metadata(experiment: Experiment, plan: Plan) -> tuple[dict, list[dict], list[dict]]:

    spec = experiment.spec
    created = now()
    exp_row = {
        "name": spec.name,
        "description": spec.description,
        "design_file": str(experiment.source),
        "design_text": experiment.text,
        "design_hash": experiment.sha256,
        "root_seed": spec.seed,
        "seeds": spec.seeds,
        "replicates": spec.replicates,
        "steps": spec.steps,
        "n_points": plan.n_points,
        "n_runs": plan.n_runs,
        "versions": json.dumps(_versions()),
        "git_commit": git_commit(),
        "created_at": created,
        "started_at": created,
        "status": "running",
        "store_version": 1,
    }
    designs = []
    for position, design in enumerate(plan.designs):
        designs.append(
            {
                "name": design.name,
                "type": design.type,
                "first_point": design.offset,
                "n_points": design.n,
                "factors": json.dumps(design.factors),
                "settings": json.dumps(design.settings),
                "position": position,
                "problem": json.dumps(design.problem) if design.problem else None,
            }
        )
    factors = []
    types = _factor_types(plan)
    units = _factor_units(experiment)
    for position, name in enumerate(plan.factor_columns()):
        if name == "path" and name not in spec.factors:
            factors.append(
                {
                    "name": "path",
                    "path": None,
                    "kind": "path",
                    "levels": json.dumps(
                        list(
                            dict.fromkeys(
                                n
                                for d in plan.designs
                                if d.type in ("paths", "discovery")
                                for n in d.settings.get("path_order", d.settings.get("paths", {}))
                            )
                        )
                    ),
                    "unit": None,
                    "label": "governance path",
                    "sql_type": types[name],
                    "position": position,
                    "integer": False,
                }
            )
            continue
        if name == "world" and name not in spec.factors:
            factors.append(
                {
                    "name": "world",
                    "path": None,
                    "kind": "world",
                    "unit": None,
                    "label": "sampled world",
                    "sql_type": types[name],
                    "position": position,
                    "integer": True,
                }
            )
            continue
        f = spec.factors[name]
        kind = "+".join(
            k
            for k, present in (("levels", f.levels is not None), ("range", f.has_range()))
            if present
        )
        factors.append(
            {
                "name": name,
                "path": f.path,
                "kind": kind,
                "levels": json.dumps(f.levels) if f.levels is not None else None,
                "min": f.min,
                "max": f.max,
                "integer": f.integer,
                "unit": f.unit or units.get(name),
                "label": f.label or name,
                "sql_type": types[name],
                "position": position,
            }
        )
    return exp_row, designs, factors


def _factor_units(experiment: Experiment) -> dict[str, str]:
    """Units of the factors from the scenario schema (where the factor spec gives none)."""
    base = experiment.base_scenario()
    if base is None or not experiment.spec.factors:
        return {}
    try:
        scenario = load_scenario(base, overrides=experiment.common_overrides())
    except ScenarioError:
        return {}
    out = {}
    for name, factor in experiment.spec.factors.items():
        unit = field_unit(scenario, factor.path)
        if unit:
            out[name] = unit
    return out


def _versions() -> dict[str, Any]:
    from importlib import metadata

    out: dict[str, Any] = dict(package_versions())
    for name in ("dask", "distributed", "duckdb", "SALib", "scipy"):
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = None
    return out


def _mode(options: BatchOptions) -> tuple[str, int]:
    if options.scheduler:
        return "scheduler", 0
    workers = options.workers if options.workers is not None else default_workers()
    return ("in-process", 1) if workers <= 1 else ("local", workers)


# ------------------------------------------------------------------------------------------------
# The plan, resolved lazily
# ------------------------------------------------------------------------------------------------
@dataclass
class _State:
    ok: int = 0
    failed: int = 0
    skipped: int = 0
    reused: int = 0
    stale: int = 0
    workers: int = 0
    worker_info: list[dict[str, Any]] = field(default_factory=list)
    resolve_s: float = 0.0
    store_s: float = 0.0
    run_s: float = 0.0
    computed: int = 0
    session_start: float = field(default_factory=time.time)
    first_start: float | None = None
    gap_s: float = 0.0  # worker idle between consecutive runs (scheduling and transfer)
    last_finish: dict[str, float] = field(default_factory=dict)
    wide_every: int = 0
    wide_path: Path | None = None
    since_wide: int = 0
    wide_s: float = 0.0
    wide_writes: int = 0

    def completed(self, store: Store, n: int) -> None:
        """Count completed runs; refresh ``results_wide.parquet`` every ``wide_every`` of them."""
        self.since_wide += n
        if self.wide_every and self.wide_path is not None and self.since_wide >= self.wide_every:
            self.since_wide = 0
            t0 = time.perf_counter()
            store.write_wide(self.wide_path)
            self.wide_s += time.perf_counter() - t0
            self.wide_writes += 1

    def record(self, result: dict[str, Any]) -> None:
        """Note when a run started and finished on its worker."""
        started, finished = result.get("started"), result.get("finished")
        worker = result.get("worker")
        if started is None or finished is None or worker is None:
            return
        if self.first_start is None or started < self.first_start:
            self.first_start = started
        previous = self.last_finish.get(worker)
        if previous is not None and started >= previous:
            self.gap_s += started - previous
        self.last_finish[worker] = max(finished, previous or finished)

    def timings(self) -> dict[str, Any]:
        end = time.time()
        out: dict[str, Any] = {
            "resolve_s": round(self.resolve_s, 4),
            "store_s": round(self.store_s, 4),
            "run_s_sum": round(self.run_s, 4),
            "computed": self.computed,
            "reused": self.reused,
            "stale_rerun": self.stale,
            "scheduling_gap_s": round(self.gap_s, 4),
            "wide_refresh_s": round(self.wide_s, 4),
            "wide_refreshes": self.wide_writes,
            "to_first_run_s": (
                round(self.first_start - self.session_start, 3)
                if self.first_start is not None
                else None
            ),
            "tail_idle_s": round(sum(end - t for t in self.last_finish.values()), 3),
        }
        if self.worker_info:
            out["workers"] = self.worker_info
        return out


def _jobs(plan: Plan, store: Store, resumed: bool, state: _State) -> Iterator[Job]:
    """Every run still to do, in the plan's order, each with its seed, key and scenario."""
    spec = plan.experiment.spec
    for point in plan.points():
        t0 = time.perf_counter()
        scenario = None
        error = None
        try:
            scenario = load_scenario(point.scenario, overrides=point.overrides)
            resolved = scenario_hash(scenario)
        except ScenarioError as exc:
            problems = "; ".join(
                f"{path}: {message}" if path else message for path, message in exc.problems
            )
            error = f"ScenarioError: invalid design point {point.values}: {problems}\n\n{exc}"
            text = json.dumps(
                {"scenario": str(point.scenario), "overrides": point.overrides},
                sort_keys=True,
                default=str,
            )
            resolved = hashlib.sha256(text.encode()).hexdigest()
        done = store.done_at_point(point.index) if resumed else {}
        state.resolve_s += time.perf_counter() - t0
        for r in range(spec.replicates):
            seed = run_seed(spec.seed, point.seed_index, r, spec.seeds)
            key = run_key(resolved, seed)
            if r in done:
                if done[r] == key:
                    state.skipped += 1
                    continue
                state.stale += 1  # complete, but its inputs changed (scenario file, defaults)
            yield Job(point, r, seed, key, scenario, error)


def _task(job: Job, experiment: Experiment) -> RunTask:
    keep = experiment.spec.keep
    return RunTask(
        job.run_key,
        job.scenario,
        job.seed,
        tuple(keep.indicator_names()),
        tuple(keep.series_names()),
    )


def _commit(
    store: Store,
    session: int,
    experiment: Experiment,
    jobs: list[Job],
    result: dict[str, Any] | None,
    state: _State,
    progress: Progress,
    reused: bool = False,
) -> None:
    """Commit the runs of ``jobs`` (that share one key) with ``result``."""
    keep = experiment.spec.keep
    t0 = time.perf_counter()
    if result is None or result["status"] != "ok":
        error = result["error"] if result is not None else jobs[0].error
        rows = [
            j.row(
                "failed",
                error=error,
                wall_time_s=(result or {}).get("wall_time_s"),
                worker=(result or {}).get("worker"),
            )
            for j in jobs
        ]
        store.commit_runs(rows, session, None, (), ())
        state.failed += len(rows)
        progress.advance(0, len(rows))
    else:
        rows = [
            j.row(
                "ok",
                wall_time_s=result.get("wall_time_s"),
                worker=result.get("worker"),
                reused=reused or i > 0,
            )
            for i, j in enumerate(jobs)
        ]
        store.commit_runs(
            rows, session, None if reused else result, keep.indicator_names(), keep.series_names()
        )
        state.ok += len(rows)
        state.reused += len(rows) - (0 if reused else 1)
        progress.advance(len(rows), 0)
    state.store_s += time.perf_counter() - t0
    state.completed(store, len(rows))
    if result is not None and not reused and result.get("wall_time_s"):
        state.run_s += float(result["wall_time_s"])
        state.computed += 1
        state.record(result)


def _run_in_process(
    jobs: Iterator[Job],
    store: Store,
    session: int,
    experiment: Experiment,
    progress: Progress,
    state: _State,
) -> None:
    for job in jobs:
        if job.error is not None:
            _commit(store, session, experiment, [job], None, state, progress)
        elif store.key_done(job.run_key):
            _commit(
                store, session, experiment, [job], {"status": "ok"}, state, progress, reused=True
            )
        else:
            result = execute(_task(job, experiment))
            _commit(store, session, experiment, [job], result, state, progress)


# ------------------------------------------------------------------------------------------------
# Dask
# ------------------------------------------------------------------------------------------------
def start_local_cluster(n_workers: int) -> Any:
    """A local Dask cluster on 127.0.0.1: ``n_workers`` processes of one thread each.

    The workers are child processes of this one (same process group); NumPy's thread pools are
    limited to one thread in each. The cluster is closed to other processes: scheduler, workers
    and client talk TLS with temporary credentials made for this cluster alone (a process
    without them cannot connect, so cannot run code in the workers), and the scheduler's HTTP
    server serves nothing, on a free port (no dashboard, no fixed port two batches collide on).
    """
    import dask
    from distributed import LocalCluster
    from distributed.security import Security

    environ = dict(dask.config.get("distributed.nanny.pre-spawn-environ", default={}) or {})
    environ.update(SINGLE_THREAD_ENV)
    # glibc's adaptive malloc thresholds, not Dask's trimming default (see dask_setup)
    environ.pop("MALLOC_TRIM_THRESHOLD_", None)
    for key, value in SINGLE_THREAD_ENV.items():
        os.environ.setdefault(key, value)
    quiet = {  # fewer wake-ups of the scheduler, nannies and workers: they share the cores
        "distributed.admin.tick.interval": "1s",
        "distributed.admin.system-monitor.interval": "2s",
        "distributed.worker.memory.monitor-interval": "1s",
        "distributed.scheduler.work-stealing": False,
    }
    closed = {  # no HTTP routes: no dashboard, health, metrics or info pages
        "distributed.scheduler.http.routes": [],
        "distributed.worker.http.routes": [],
    }
    with (
        dask.config.set(
            {
                "distributed.nanny.pre-spawn-environ": environ,
                "distributed.worker.profile.enabled": False,
                "distributed.worker.daemon": True,
                # the workers ignore Ctrl-C: the batch process stops them (dask_setup.dask_setup)
                "distributed.worker.preload": ["village_sim.batch.dask_setup"],
                **quiet,
                **closed,
            }
        ),
        _ctrl_c_ignored(),
    ):  # the worker processes inherit it (see dask_setup.dask_setup)
        return LocalCluster(
            n_workers=n_workers,
            threads_per_worker=1,
            processes=True,
            host="127.0.0.1",
            protocol="tls://",
            security=Security.temporary(),
            dashboard_address=None,
            scheduler_kwargs={"dashboard": False, "dashboard_address": "127.0.0.1:0"},
            silence_logs=logging.ERROR,
        )


@contextlib.contextmanager
def _ctrl_c_ignored() -> Iterator[None]:
    """Ignore Ctrl-C while the local cluster starts (its processes are spawned meanwhile).

    A process started while SIGINT is ignored keeps ignoring it, so the workers never turn a
    Ctrl-C in the terminal into tracebacks of their own; the batch process handles it once the
    cluster is up (a Ctrl-C during the few seconds of start-up is lost).
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)


def check_scheduler(address: str, timeout_s: float = 10.0) -> None:
    """Fail early when nothing listens at a scheduler's address (before any folder is made).

    Only opens and closes a TCP connection (``tcp://`` and ``tls://`` addresses; others are left
    to Dask), so it takes no time when the scheduler is there.

    Raises:
        ScenarioError: The address is malformed or nothing accepts a connection there.
    """
    from distributed.comm.addressing import parse_address, parse_host_port

    try:
        scheme, location = parse_address(address)
        if scheme not in ("tcp", "tls"):
            return
        host, port = parse_host_port(location, default_port=8786)
    except ValueError as exc:
        raise ScenarioError(
            [("--scheduler", f"{address!r}: {exc}; expected an address like tcp://HOST:8786")]
        ) from None
    try:
        socket.create_connection((host, int(port)), timeout=timeout_s).close()
    except OSError as exc:
        raise ScenarioError(
            [
                (
                    "--scheduler",
                    f"cannot reach the Dask scheduler at {address}: {exc.strerror or exc}; "
                    "expected a running scheduler (dask scheduler ...) at that address",
                )
            ]
        ) from None


def connect(
    options: BatchOptions, n_workers: int, say: Callable[[str], None]
) -> tuple[Any, Any, int, list[dict[str, Any]]]:
    """Connect a client to a new local cluster or to ``options.scheduler``.

    Returns:
        ``(client, cluster or None, worker threads, each worker's description)``.

    Raises:
        ScenarioError: The scheduler cannot be reached, no worker joins, or a worker cannot import
            village_sim.
    """
    from distributed import Client

    cluster = None
    where = options.scheduler or "local cluster"
    if options.scheduler:
        try:
            client = Client(options.scheduler, timeout="20s", set_as_default=False)
        except OSError as exc:
            raise ScenarioError(
                [("--scheduler", f"cannot reach the Dask scheduler at {options.scheduler}: {exc}")]
            ) from None
        if not client.scheduler_info().get("workers"):
            say(
                f"waiting up to {options.worker_wait_s:.0f} s for a worker to join "
                f"{options.scheduler} ..."
            )
            try:
                client.wait_for_workers(1, timeout=options.worker_wait_s)
            except TimeoutError:
                client.close()
                raise ScenarioError(
                    [
                        (
                            "--scheduler",
                            f"no worker joined {options.scheduler} "
                            f"within {options.worker_wait_s:.0f} s; "
                            "start some with 'dask worker ADDRESS "
                            "--nthreads 1'",
                        )
                    ]
                ) from None
    else:
        cluster = start_local_cluster(n_workers)
        client = Client(cluster, set_as_default=False)
    try:
        client.register_plugin(SimulationWorkerSetup())
        infos = client.run(worker_info)
    except KeyboardInterrupt:
        _close(client, cluster)
        raise
    except Exception as exc:  # noqa: BLE001 - usually: village_sim is not installed on a worker
        _close(client, cluster)
        raise ScenarioError(
            [
                (
                    "--scheduler" if options.scheduler else "--workers",
                    f"a worker of the {where} cannot load village_sim ({type(exc).__name__}:"
                    f" {exc}); install village_sim on every machine",
                )
            ]
        ) from None

    odd = {
        addr: info["village_sim"]
        for addr, info in infos.items()
        if info["village_sim"] != __version__
    }
    if odd:
        say(
            f"warning: workers run other village_sim versions than this client ({__version__}): "
            f"{odd}"
        )
    threads = sum(client.nthreads().values()) or 1
    described = [{"address": addr, **info} for addr, info in sorted(infos.items())]
    return client, cluster, threads, described


def _close(client: Any, cluster: Any) -> None:
    with contextlib.suppress(Exception):
        client.close(timeout=10)
    if cluster is not None:
        with contextlib.suppress(Exception):
            cluster.close(timeout=10)


def _run_dask(
    jobs: Iterator[Job],
    store: Store,
    session: int,
    experiment: Experiment,
    progress: Progress,
    state: _State,
    options: BatchOptions,
    n_workers: int,
    say: Callable[[str], None],
) -> None:
    from distributed import as_completed

    client, cluster, threads, state.worker_info = connect(options, n_workers, say)
    state.workers = threads
    limit = options.max_in_flight or max(4, 2 * threads)
    waiting: dict[str, list[Job]] = {}  # run key -> jobs that wait on its result
    futures: dict[Any, str] = {}
    queue = as_completed(loop=client.loop)
    exhausted = False

    def fill() -> None:
        nonlocal exhausted
        while not exhausted and len(futures) < limit:
            job = next(jobs, None)
            if job is None:
                exhausted = True
                return
            if job.error is not None:
                _commit(store, session, experiment, [job], None, state, progress)
            elif job.run_key in waiting:
                waiting[job.run_key].append(job)
            elif store.key_done(job.run_key):
                _commit(
                    store,
                    session,
                    experiment,
                    [job],
                    {"status": "ok"},
                    state,
                    progress,
                    reused=True,
                )
            else:
                future = client.submit(
                    execute,
                    _task(job, experiment),
                    pure=False,
                    key=f"village-sim-run-{job.run_key}",
                )
                futures[future] = job.run_key
                waiting[job.run_key] = [job]
                queue.add(future)

    try:
        fill()
        for future in queue:
            key = futures.pop(future)
            try:
                result = future.result()
            except Exception as exc:  # noqa: BLE001 - a lost worker, a killed task ...
                result = {
                    "run_key": key,
                    "status": "failed",
                    "wall_time_s": None,
                    "worker": None,
                    "error": f"{type(exc).__name__}: {exc}",
                }
            future.release()
            _commit(store, session, experiment, waiting.pop(key), result, state, progress)
            fill()
    except BaseException:
        with contextlib.suppress(Exception):
            client.cancel(list(futures))
        raise
    finally:
        _close(client, cluster)


# ------------------------------------------------------------------------------------------------
# Progress: a bar (terminal), log lines, and progress.json (the store is locked while running)
# ------------------------------------------------------------------------------------------------
class Progress:
    """Runs done and failed, and the time left: a tqdm bar, log lines and ``progress.json``."""

    def __init__(
        self, options: BatchOptions, name: str, total: int, already: int, session: int
    ) -> None:
        self.path = options.out / PROGRESS_FILE
        self.name = name
        self.total = total
        self.already = already
        self.done = 0
        self.failed = 0
        self.session = session
        self.start = time.time()
        self.last_write = 0.0
        self.last_log = time.time()
        mode = options.progress
        if mode == "auto":
            mode = "bar" if sys.stderr.isatty() else "log"
        self.mode = mode
        self.bar = None
        if mode == "bar":
            from tqdm import tqdm

            self.bar = tqdm(
                total=total,
                initial=already,
                unit="run",
                desc=name,
                dynamic_ncols=True,
                file=sys.stderr,
                smoothing=0.1,
            )
            self.bar.set_postfix_str("failed=0")
        self._write("running", force=True)

    def eta_s(self) -> float | None:
        """Seconds left at this session's pace."""
        finished = self.done + self.failed
        left = self.total - self.already - finished
        elapsed = time.time() - self.start
        if finished == 0 or left <= 0:
            return 0.0 if left <= 0 else None
        return elapsed / finished * left

    def advance(self, ok: int, failed: int) -> None:
        """Count finished runs."""
        self.done += ok
        self.failed += failed
        if self.bar is not None:
            self.bar.update(ok + failed)
            if failed:
                self.bar.set_postfix_str(f"failed={self.failed}")
        elif self.mode == "log" and time.time() - self.last_log >= 10:
            self.last_log = time.time()
            eta = self.eta_s()
            left = f", ~{_duration(eta)} left" if eta is not None else ""
            print(
                f"{self.name}: {self.already + self.done + self.failed}/{self.total} runs done, "
                f"{self.failed} failed{left}",
                file=sys.stderr,
                flush=True,
            )
        self._write("running")

    def _write(self, state: str, force: bool = False) -> None:
        if not force and time.time() - self.last_write < 0.5:
            return
        self.last_write = time.time()
        data = {
            "experiment": self.name,
            "pid": os.getpid(),
            "session": self.session,
            "state": state,
            "total": self.total,
            "complete_before": self.already,
            "ok": self.done,
            "failed": self.failed,
            "done": self.already + self.done + self.failed,
            "eta_s": self.eta_s(),
            "updated_at": now().isoformat(timespec="seconds") + "Z",
        }
        tmp = self.path.with_name(f".{self.path.name}.tmp")
        with contextlib.suppress(OSError):
            tmp.write_text(json.dumps(data, indent=1), encoding="utf-8")
            os.replace(tmp, self.path)

    def close(self, state: str) -> None:
        """Final state (``finished`` or ``interrupted``)."""
        if self.bar is not None:
            self.bar.close()
        self._write(state, force=True)


def _duration(seconds: float) -> str:
    seconds = int(round(seconds))
    if seconds < 60:
        return f"{seconds}s"
    if seconds < 3600:
        return f"{seconds // 60}m{seconds % 60:02d}s"
    return f"{seconds // 3600}h{seconds % 3600 // 60:02d}m"
