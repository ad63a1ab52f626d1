"""``village-sim compare``: the same seeds through several scenarios (common random numbers)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from village_sim.batch.compare import compare, write
from village_sim.cli.options import add_overrides, non_negative_int, positive_int
from village_sim.outputs import atomic_folder
from village_sim.run import load_scenario
from village_sim.scenario.errors import CombinedScenarioError, ScenarioError

DESCRIPTION = (
    "Run several scenarios over the same replicate seeds (common random numbers) and write "
    "runs.csv, summary.csv (means, paired differences with 95 % intervals, effect per 10,000 "
    "yuan), plots and summary.md."
)
"""What ``village-sim compare --help`` says the command does."""

EXAMPLES = (
    "village-sim compare scenarios/baseline.yaml scenarios/talent.yaml --replicates 5 --out runs/p",
)
"""Shown under ``village-sim compare --help``."""


def register(sub: argparse._SubParsersAction) -> None:
    """Add the ``compare`` command."""
    p = sub.add_parser("compare", help="compare scenarios over replicates with the same seeds")
    p.add_argument("scenarios", nargs="+", help="scenario YAML files (the first is the reference)")
    p.add_argument("--replicates", type=positive_int, default=5, help="replicates (default 5)")
    p.add_argument("--seed", type=non_negative_int, default=0, help="root seed (default 0)")
    p.add_argument("--steps", type=positive_int, default=None, help="weeks per run")
    p.add_argument("--out", type=Path, default=None, help="output folder (default runs/compare)")
    add_overrides(p, "override a field in every scenario (repeatable)")
    p.add_argument(
        "--workers",
        type=positive_int,
        default=1,
        help="local Dask workers on 127.0.0.1 (default 1: in-process)",
    )
    p.add_argument("--overwrite", action="store_true", help="replace a non-empty output folder")
    p.set_defaults(handler=handle)


def handle(args: argparse.Namespace) -> int:
    """Validate every file first (one bad file: exit 2, nothing runs), then run and write."""
    overrides = list(args.overrides)
    if args.steps is not None:
        overrides.append(f"steps={args.steps}")
    scenarios, problems = [], []
    for path in args.scenarios:
        try:
            scenarios.append(load_scenario(path, overrides=overrides))
        except ScenarioError as exc:
            problems.append(exc)
    if problems:
        raise CombinedScenarioError.of(problems)  # each file with its own lines
    names = [s.name for s in scenarios]
    if len(set(names)) != len(names):
        raise ScenarioError(
            [("name", f"scenario names must differ to be compared: {names}")],
            source=", ".join(args.scenarios),
        )
    out = args.out or Path("runs") / "compare"
    with atomic_folder(
        out, args.overwrite, keep=tuple(Path(p) for p in args.scenarios), kind="compare"
    ) as tmp:
        result = compare(
            scenarios,
            args.replicates,
            args.seed,
            progress=lambda msg: print(msg, file=sys.stderr),
            workers=args.workers,
        )
        write(result, tmp)
    print(_table(result))
    print(f"\n{len(result.runs)} runs; results in {out} (summary.md, summary.csv, runs.csv)")
    return 0


def _table(result) -> str:
    from village_sim.batch.compare import _fmt
    from village_sim.metrics.indicators import HEADLINE

    s = result.summary
    lines = [f"{'indicator':<28} {'scenario':<16} {'mean':>12} {'diff vs first [95% CI]':>34}"]
    for ind in HEADLINE:
        for _, row in s[s["indicator"] == ind].iterrows():
            ci = f"{_fmt(row['diff'])} [{_fmt(row['diff_ci_low'])}, {_fmt(row['diff_ci_high'])}]"
            lines.append(f"{ind:<28} {row['scenario']:<16} {_fmt(row['mean']):>12} {ci:>34}")
    return "\n".join(lines)
