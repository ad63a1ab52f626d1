"""``village-sim discover DIR``: scenario discovery and robustness of a discovery batch.

Until the ``village-sim`` entry point discovers this module, ``python -m
village_sim.cli.discover_cmd DIR`` runs the command on its own.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path


def register(sub: argparse._SubParsersAction) -> None:
    """Add the ``discover`` command."""
    p = sub.add_parser(
        "discover",
        help="scenario discovery (PRIM, CART) and robustness of the paths of a batch",
        description="For a batch of an experiment with a discovery design: find the sampled "
        "conditions under which each case of interest holds (PRIM with peeling and pasting, "
        "the coverage-density trade-off, box limits with quasi-p-values, a CART tree, "
        "feature scores) and how robustly each path beats the baseline (share of worlds "
        "won with a CI over replicates, regret). Writes DIR/discovery/: boxes.csv, "
        "tradeoff.csv, cart.csv, feature_scores.csv, robustness.csv, regret.csv, "
        "figures/*.png, summary.md. Works on a running batch from its "
        "results_wide.parquet.",
        epilog="example: village-sim batch experiments/discovery_talent.yaml --out "
        "runs/discovery_talent && village-sim discover runs/discovery_talent",
    )
    p.add_argument("folder", type=Path, help="a batch --out folder (discovery design)")
    p.add_argument(
        "--out",
        type=Path,
        default=None,
        metavar="DIR",
        help="output folder (default DIR/discovery; an earlier analysis there is replaced)",
    )
    p.add_argument(
        "--experiment",
        type=Path,
        default=None,
        metavar="FILE",
        help="take the cases of interest, robustness indicators and PRIM settings from this "
        "edited copy of the batch's experiment file (its factors, paths and samples must be "
        "the batch's): new questions of the same runs",
    )
    p.set_defaults(handler=handle)


def handle(args: argparse.Namespace) -> int:
    """Write the analysis; print where it is."""
    from village_sim.batch.discover import discover

    summary = discover(args.folder, args.out, args.experiment)
    print(f"discovery: {summary}")
    return 0


if __name__ == "__main__":
    from village_sim.cli import run_standalone

    sys.exit(run_standalone(register))
