"""``village-sim run``: one simulation; writes the run folder and prints headline indicators."""

from __future__ import annotations

import argparse
import re
from pathlib import Path

from village_sim.cli.options import non_negative_int, positive_int
from village_sim.metrics.indicators import HEADLINE, INDICATOR_NAMES
from village_sim.outputs import check_out_dir
from village_sim.run import run
from village_sim.scenario.load import load_scenario


def register(sub: argparse._SubParsersAction) -> None:
    """Add the ``run`` command."""
    p = sub.add_parser("run", help="run one simulation and write its run folder")
    p.add_argument("scenario", help="scenario YAML file")
    p.add_argument("--seed", type=non_negative_int, default=0, help="run seed (default 0)")
    p.add_argument(
        "--steps",
        type=positive_int,
        default=None,
        help="weeks to simulate (default: the scenario's steps)",
    )
    p.add_argument(
        "--out", type=Path, default=None, help="run folder (default runs/<scenario>-seed<N>)"
    )
    p.add_argument(
        "--set",
        dest="overrides",
        action="append",
        default=[],
        metavar="PATH=VALUE",
        help="override a scenario field (repeatable)",
    )
    p.add_argument("--agents", action="store_true", help="also write agents.parquet")
    p.add_argument(
        "--overwrite", action="store_true", help="replace an existing non-empty output folder"
    )
    p.set_defaults(handler=handle)


def handle(args: argparse.Namespace) -> int:
    """Validate, run, write, print."""
    overrides = list(args.overrides)
    if args.steps is not None:
        # Through the scenario, so that --steps is validated and scenario.resolved.yaml
        # reproduces the run.
        overrides.append(f"steps={args.steps}")
    scenario = load_scenario(args.scenario, overrides=overrides)
    out = args.out or Path("runs") / f"{safe_name(scenario.name)}-seed{args.seed}"
    check_out_dir(out, args.overwrite, keep=(Path(args.scenario),))
    result = run(scenario, seed=args.seed, record_agents=args.agents)
    result.save(out, overwrite=args.overwrite)
    print(headline_table(result.indicators))
    print(f"\n{result.steps} weeks in {result.wall_time_s:.1f} s; run folder: {out}")
    return 0


def safe_name(name: str) -> str:
    """Make a scenario name usable as a folder name (no separators, no leading dots)."""
    cleaned = re.sub(r"[^A-Za-z0-9._-]+", "_", name).lstrip(".")
    return cleaned or "scenario"


def headline_table(
    indicators: dict[str, float | None],
    names: tuple[str, ...] = HEADLINE,
) -> str:
    """Format indicators as a plain-text table."""
    width = max(len(n) for n in INDICATOR_NAMES)
    lines = [f"{'indicator':<{width}}  value", f"{'-' * width}  {'-' * 12}"]
    for name in names:
        lines.append(f"{name:<{width}}  {format_value(indicators.get(name))}")
    return "\n".join(lines)


def format_value(value: float | None) -> str:
    """Numbers for humans: null as 'null', large values with separators."""
    if value is None:
        return "null"
    if abs(value) >= 1000:
        return f"{value:,.0f}"
    return f"{value:.4g}"
