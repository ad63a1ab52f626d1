"""``village-sim report DIR``: plots, tables and a Markdown summary of a batch or compare folder.

Until the ``village-sim`` entry point discovers this module, ``python -m village_sim.cli.report_cmd
DIR`` runs the command on its own.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

EXAMPLES = (
    "village-sim report runs/talent_sweep",
    "village-sim report runs/paths --indicators farmer_income_mean,traffic_hhi",
)
"""Shown under ``village-sim report --help``."""


def register(sub: argparse._SubParsersAction) -> None:
    """Add the ``report`` command."""
    p = sub.add_parser(
        "report",
        help="plots and a Markdown summary from a batch or compare folder",
        description="Write DIR/report/summary.md with figures (figures/*.png) and tables "
        "(tables/*.csv): indicator-vs-factor plots with confidence bands and heatmaps "
        "for grids, bars with error bars for paths and compare folders, Sobol and "
        "Morris indices with intervals for sensitivity designs.",
    )
    p.add_argument("folder", type=Path, help="a batch --out folder or a compare --out folder")
    p.add_argument(
        "--out",
        type=Path,
        default=None,
        metavar="DIR",
        help="report folder (default DIR/report; an earlier report there is replaced)",
    )
    p.add_argument(
        "--indicators",
        default=None,
        metavar="NAME,NAME",
        help="indicators to plot (default: the experiment's kept list, else headline)",
    )
    p.add_argument(
        "--parquet",
        action="store_true",
        help="also export a batch store's tables as Parquet into DIR/parquet/",
    )
    p.set_defaults(handler=handle)


def handle(args: argparse.Namespace) -> int:
    """Write the report; print where it is."""
    from village_sim.batch.report import make_report

    wanted = (
        [n.strip() for n in args.indicators.split(",") if n.strip()] if args.indicators else None
    )
    summary = make_report(args.folder, args.out, wanted)
    print(f"report: {summary}")
    if args.parquet:
        from village_sim.batch.report import _open_store

        store = _open_store(args.folder)
        try:
            files = store.export_parquet(args.folder / "parquet")
        finally:
            store.close()
        print(f"parquet: {len(files)} files in {args.folder / 'parquet'}")
    return 0


if __name__ == "__main__":
    from village_sim.cli import run_standalone

    sys.exit(run_standalone(register))
