"""``village-sim patterns``: the paper's stylized facts checked on a run folder or a scenario."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from village_sim.batch.seeds import replicate_seeds
from village_sim.cli.options import add_overrides, non_negative_int, positive_int
from village_sim.metrics.patterns import evaluate, format_table, plot
from village_sim.metrics.targets import load_targets
from village_sim.outputs import atomic_folder
from village_sim.scenario.errors import ScenarioError

DESCRIPTION = (
    "Check the paper's stylized facts (calibration/targets.yaml) on a run folder, or on "
    "replicates of a scenario: each pattern's value with its 95 % interval, band and "
    "pass/fail."
)
"""What ``village-sim patterns --help`` says the command does."""

EXAMPLES = (
    "village-sim patterns runs/baseline",
    "village-sim patterns scenarios/baseline.yaml --replicates 8 --seed 1 --out runs/patterns",
)
"""Shown under ``village-sim patterns --help``."""


def register(sub: argparse._SubParsersAction) -> None:
    """Add the ``patterns`` command."""
    p = sub.add_parser("patterns", help="check the stylized facts on a run folder or a scenario")
    p.add_argument("source", help="a run folder (with summary.json) or a scenario YAML file")
    p.add_argument(
        "--replicates",
        type=positive_int,
        default=5,
        help="replicates when given a scenario (default 5)",
    )
    p.add_argument("--seed", type=non_negative_int, default=0, help="root seed (default 0)")
    p.add_argument("--steps", type=positive_int, default=None, help="weeks per run")
    p.add_argument(
        "--targets", type=Path, default=None, help="targets file (default calibration/targets.yaml)"
    )
    p.add_argument(
        "--out",
        type=Path,
        default=None,
        help="output folder (default: the run folder, or runs/patterns)",
    )
    add_overrides(p)
    p.add_argument("--overwrite", action="store_true", help="replace a non-empty output folder")
    p.set_defaults(handler=handle)


def handle(args: argparse.Namespace) -> int:
    """Evaluate and write ``patterns.csv`` and ``patterns.png``; print the table."""
    targets = load_targets(args.targets)
    source = Path(args.source)
    if source.is_dir():
        summary = source / "summary.json"
        if not summary.is_file():
            raise ScenarioError([("", "expected a run folder with summary.json")], str(source))
        runs = [json.loads(summary.read_text(encoding="utf-8"))["indicators"]]
        table = evaluate(targets, runs)
        out = args.out or source
        out.mkdir(parents=True, exist_ok=True)
        table.to_csv(out / "patterns.csv", index=False)
        plot(table, out / "patterns.png")
    else:
        from village_sim.run import load_scenario, run

        overrides = list(args.overrides)
        if args.steps is not None:
            overrides.append(f"steps={args.steps}")
        scenario = load_scenario(source, overrides=overrides)
        out = args.out or Path("runs") / "patterns"
        with atomic_folder(out, args.overwrite, keep=(source,), kind="patterns") as tmp:
            runs = []
            for r, seed in enumerate(replicate_seeds(args.seed, args.replicates)):
                runs.append(run(scenario, seed=seed).indicators)
                print(f"replicate {r + 1}/{args.replicates}", file=sys.stderr)
            table = evaluate(targets, runs)
            table.to_csv(tmp / "patterns.csv", index=False)
            plot(table, tmp / "patterns.png")
    print(format_table(table))
    print(f"\n{int(table['passed'].sum())}/{len(table)} patterns pass; written to {out}")
    return 0
