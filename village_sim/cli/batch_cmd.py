"""``village-sim batch``: a designed experiment on Dask, streamed into a resumable DuckDB store.

Exit codes: 0 every run succeeded; 3 some runs failed (each recorded with its error); 2 invalid
input (the experiment file, an option, a changed file on ``--resume``), before any run starts;
1 an internal error; 130 interrupted.

Until the ``village-sim`` entry point discovers this module, ``python -m village_sim.cli.batch_cmd
EXPERIMENT.yaml ...`` runs the command on its own.
"""

from __future__ import annotations

import argparse
import contextlib
import signal
import sys
from collections.abc import Iterator
from pathlib import Path

from village_sim.cli.options import add_cluster_options, non_negative_int, positive_int

EXAMPLES = (
    "village-sim batch experiments/talent_sweep.yaml --out runs/talent_sweep",
    "village-sim batch experiments/talent_sweep.yaml --out runs/talent_sweep --resume",
    "village-sim batch experiments/sensitivity.yaml --dry-run",
    "village-sim batch experiments/governance_paths.yaml --scheduler tcp://127.0.0.1:8786 --out runs/paths",
)
"""Shown under ``village-sim batch --help``."""


def register(sub: argparse._SubParsersAction) -> None:
    """Add the ``batch`` command."""
    p = sub.add_parser(
        "batch",
        help="run a designed experiment (Dask) into a resumable DuckDB store",
        description="Run every design point and replicate of an experiment file on a local Dask "
        "cluster (default: one worker per core), an existing cluster (--scheduler) "
        "or in-process (--workers 1). Results are committed to DIR/results.duckdb as "
        "runs finish; --resume skips complete runs. Exit 0: all runs succeeded; 3: "
        "some failed (recorded); 2: invalid input.",
    )
    p.add_argument("experiment", help="experiment YAML file (experiments/*.yaml)")
    p.add_argument(
        "--out",
        type=Path,
        default=None,
        metavar="DIR",
        help="batch folder (default runs/<experiment name>)",
    )
    add_cluster_options(p)
    p.add_argument(
        "--resume",
        action="store_true",
        help="continue a batch in --out: skip complete runs, retry failed ones",
    )
    p.add_argument(
        "--max-in-flight",
        type=positive_int,
        default=None,
        metavar="K",
        help="most runs submitted at once (default: twice the worker threads)",
    )
    p.add_argument(
        "--progress",
        choices=("auto", "bar", "log", "none"),
        default="auto",
        help="progress display (default: a bar on a terminal, log lines otherwise)",
    )
    p.add_argument(
        "--parquet", action="store_true", help="also export the tables as Parquet into DIR/parquet/"
    )
    p.add_argument(
        "--wide-every",
        type=non_negative_int,
        default=None,
        metavar="N",
        help="refresh DIR/results_wide.parquet (one row per run) after every N completed runs, "
        "so a running batch can be read (default 50; 0: only when the batch ends)",
    )
    p.add_argument(
        "--dry-run",
        action="store_true",
        help="validate the experiment and print its size; run nothing",
    )
    p.set_defaults(handler=handle)


def handle(args: argparse.Namespace) -> int:
    """Validate the experiment, then run or resume it; print a summary."""
    from village_sim.batch.design import plan as build_plan
    from village_sim.batch.experiment import load_experiment
    from village_sim.batch.runner import BatchOptions, run_batch
    from village_sim.cli.run_cmd import safe_name

    experiment = load_experiment(args.experiment)
    plan = build_plan(experiment)
    spec = experiment.spec
    if args.dry_run:
        print(
            f"{args.experiment}: valid experiment '{spec.name}' — {plan.n_points} design points "
            f"× {spec.replicates} replicates = {plan.n_runs} runs"
        )
        for design in plan.designs:
            print(
                f"  {design.name}: {design.type}, {design.n} points, factors: "
                f"{', '.join(design.factors)}"
            )
        return 0
    out = args.out or Path("runs") / safe_name(spec.name)
    options = BatchOptions(
        out=out,
        workers=args.workers,
        scheduler=args.scheduler,
        resume=args.resume,
        overwrite=args.overwrite,
        max_in_flight=args.max_in_flight,
        progress=args.progress,
        parquet=args.parquet,
        **({"wide_every": args.wide_every} if args.wide_every is not None else {}),
    )
    with _sigterm_as_interrupt():
        summary = run_batch(experiment, options)
    where = {
        "in-process": "in-process",
        "local": f"{summary.workers} local workers",
        "scheduler": f"{args.scheduler} ({summary.workers} worker threads)",
    }[summary.mode]
    print(
        f"{spec.name}: {summary.total} runs — {summary.ok} ok, {summary.failed} failed; this "
        f"session computed {summary.stats.get('computed', 0)}, skipped {summary.skipped} "
        f"complete, reused {summary.reused}; {summary.wall_s:.1f} s on {where}"
    )
    if summary.stale:
        print(
            f"note: {summary.stale} complete runs had a different resolved scenario (a scenario "
            "file or package defaults changed) and were run again"
        )
    print(f"store: {summary.store}")
    print(f"report: village-sim report {out}")
    if summary.failed:
        print(
            f"{summary.failed} runs failed; their errors are in the runs table "
            "(status = 'failed'); --resume retries them",
            file=sys.stderr,
        )
    return summary.exit_code


@contextlib.contextmanager
def _sigterm_as_interrupt() -> Iterator[None]:
    """Turn SIGTERM into KeyboardInterrupt, so the store and local workers close cleanly."""

    def interrupt(signum: int, frame: object) -> None:
        raise KeyboardInterrupt

    try:
        previous = signal.signal(signal.SIGTERM, interrupt)
    except ValueError:  # not the main thread
        yield
        return
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


if __name__ == "__main__":
    from village_sim.cli import run_standalone

    sys.exit(run_standalone(register))
