"""``village-sim calibrate``: fit the free parameters to the calibration targets (rejection ABC).

Exit codes: 0 the calibration finished and every run succeeded; 3 it finished but some runs failed
(recorded in the stores); 2 invalid input (the calibration file, its targets, an option, a changed
file on ``--resume``) before any run starts; 1 an internal error; 130 interrupted.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from village_sim.cli.options import add_cluster_options

EXIT_FAILED_RUNS = 3


EXAMPLES = (
    "village-sim calibrate calibration/config.yaml --out runs/calibration --publish calibration/",
    "village-sim calibrate calibration/config.yaml --dry-run",
)
"""Shown under ``village-sim calibrate --help``."""


def register(sub: argparse._SubParsersAction) -> None:
    """Add the ``calibrate`` command."""
    p = sub.add_parser(
        "calibrate",
        help="fit free parameters to the calibration targets (ABC on the batch runner)",
        description="Search the free parameters of a calibration file (Latin hypercube over their "
        "priors, replicates with common random numbers, on Dask into a resumable "
        "DuckDB store), accept the parameter sets closest to the calibrate patterns "
        "(rejection ABC), verify the point estimate on fresh seeds and write "
        "REPORT.md with the accepted sets, posterior and pattern table.",
    )
    p.add_argument("config", help="calibration file (calibration/config.yaml)")
    p.add_argument(
        "--out",
        type=Path,
        default=None,
        metavar="DIR",
        help="output folder (default runs/calibration-<name>)",
    )
    add_cluster_options(p)
    p.add_argument(
        "--resume",
        action="store_true",
        help="continue a calibration in --out (complete runs are skipped)",
    )
    p.add_argument(
        "--publish",
        type=Path,
        default=None,
        metavar="DIR",
        help="also copy REPORT.md, accepted.csv, posterior.csv, estimate.yaml, "
        "verification.csv and the figures into DIR (e.g. calibration/)",
    )
    p.add_argument(
        "--progress",
        choices=("auto", "bar", "log", "none"),
        default="auto",
        help="progress display of the batches",
    )
    p.add_argument(
        "--dry-run",
        action="store_true",
        help="validate the calibration file and print its size; run nothing",
    )
    p.set_defaults(handler=handle)


def handle(args: argparse.Namespace) -> int:
    """Validate the file, run the calibration, print the estimate and the pattern table."""
    from village_sim.calibration.calibrate import publish, run_calibration, terminal_summary
    from village_sim.calibration.config import load_config
    from village_sim.cli.batch_cmd import _sigterm_as_interrupt

    config = load_config(args.config)
    spec = config.spec
    if args.dry_run:
        print(
            f"{args.config}: valid calibration '{spec.name}' — {len(spec.parameters)} "
            f"parameters, {spec.search.samples} points × {spec.replicates} replicates = "
            f"{spec.search.samples * spec.replicates} search runs, then "
            f"{2 * spec.verify.replicates} verification runs"
        )
        return 0
    out = args.out or Path("runs") / f"calibration-{spec.name}"
    with _sigterm_as_interrupt():
        result = run_calibration(
            config,
            out,
            workers=args.workers,
            scheduler=args.scheduler,
            resume=args.resume,
            overwrite=args.overwrite,
            progress=args.progress,
        )
    print(terminal_summary(result))
    print(f"\nreport: {out / 'REPORT.md'}")
    if args.publish is not None:
        for path in publish(out, args.publish):
            print(f"published {path}")
    if result.failed_runs:
        print(
            f"{result.failed_runs} runs failed; see the stores' runs tables; --resume retries them"
        )
        return EXIT_FAILED_RUNS
    return 0
