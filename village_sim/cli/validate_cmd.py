"""``village-sim validate``: check a scenario without running it."""

from __future__ import annotations

import argparse

from village_sim.cli.options import add_overrides
from village_sim.run import load_scenario

DESCRIPTION = (
    "Check a scenario file (and --set overrides) against the schema and build its world "
    "graph, without running anything; exit 2 names the file, line, field path and what was "
    "expected."
)
"""What ``village-sim validate --help`` says the command does."""

EXAMPLES = (
    "village-sim validate scenarios/baseline.yaml",
    "village-sim validate scenarios/baseline.yaml --set world.county.villages=20",
)
"""Shown under ``village-sim validate --help``."""


def register(sub: argparse._SubParsersAction) -> None:
    """Add the ``validate`` command."""
    p = sub.add_parser("validate", help="check a scenario file without running it")
    p.add_argument("scenario", help="scenario YAML file")
    add_overrides(p)
    p.set_defaults(handler=handle)


def handle(args: argparse.Namespace) -> int:
    """Load and validate (including the world graph); print a one-line summary."""
    scenario = load_scenario(args.scenario, overrides=args.overrides)
    pop = scenario.population
    print(
        f"{args.scenario}: valid scenario '{scenario.name}' — {scenario.steps} weeks, "
        f"{pop.farmer_households} households, {pop.youth} youth, "
        f"{pop.consumer_units} consumer units, {len(scenario.policies)} "
        f"{'policy' if len(scenario.policies) == 1 else 'policies'}"
    )
    for note in scenario.idle_policies():
        print(f"note: {note}")
    return 0
