"""``village-sim run``: one simulation; writes the run folder and prints headline indicators."""

from __future__ import annotations

import argparse
import re
import sys
import time
from pathlib import Path
from typing import Any, TextIO

from village_sim.cli.options import add_overrides, non_negative_int, positive_int
from village_sim.metrics.indicators import HEADLINE, INDICATOR_NAMES
from village_sim.outputs import check_out_dir
from village_sim.run import load_scenario, run

DESCRIPTION = (
    "Run one simulation of a scenario file: the county is built and stepped week by week, the "
    "run folder (summary.json, timeseries.csv, value_flows.csv, villages, manifest, plots) is "
    "written and the headline indicators are printed. Progress goes to stderr on a terminal or "
    "for long runs."
)
"""What ``village-sim run --help`` says the command does."""

EXAMPLES = (
    "village-sim run scenarios/baseline.yaml --out runs/baseline",
    "village-sim run scenarios/talent.yaml --seed 7 --steps 52 --set training.seats_per_year=200 --agents",
)
"""Shown under ``village-sim run --help``."""


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
    add_overrides(p)
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
    for note in scenario.idle_policies():
        print(f"note: {note}", file=sys.stderr)
    out = args.out or Path("runs") / f"{safe_name(scenario.name)}-seed{args.seed}"
    check_out_dir(out, args.overwrite, keep=(Path(args.scenario),))
    with WeekProgress() as progress:
        result = run(scenario, seed=args.seed, record_agents=args.agents, progress=progress)
    result.save(out, overwrite=args.overwrite)
    print(headline_table(result.indicators))
    print(f"\n{result.steps} weeks in {result.wall_time_s:.1f} s; run folder: {out}")
    return 0


class WeekProgress:
    """Weeks done, on stderr, for runs long enough to need it.

    On a terminal a bar (once a run takes over 2 s), else a line every :attr:`every_s` seconds,
    so that a long run in a log is not silent and a short one prints nothing. Stdout (the
    indicator table) is left alone.
    """

    every_s = 15.0

    def __init__(self, stream: TextIO | None = None) -> None:
        self.stream = stream or sys.stderr
        self.terminal = self.stream.isatty()
        self.started = time.monotonic()
        self.last = self.started
        self.bar: Any = None

    def __enter__(self) -> WeekProgress:
        return self

    def __exit__(self, *exc: object) -> None:
        if self.bar is not None:
            self.bar.close()

    def __call__(self, week: int, steps: int) -> None:
        """Report that ``week`` of ``steps`` weeks are done."""
        if self.terminal:
            if self.bar is None:
                from tqdm import tqdm

                self.bar = tqdm(total=steps, unit="week", file=self.stream, delay=2, leave=False)
            self.bar.update(week - self.bar.n)
            return
        now = time.monotonic()
        if now - self.last >= self.every_s and week < steps:
            self.last = now
            print(
                f"village-sim run: week {week} of {steps} ({now - self.started:.0f} s)",
                file=self.stream,
                flush=True,
            )


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
