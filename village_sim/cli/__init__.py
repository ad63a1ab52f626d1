"""The ``village-sim`` command line: a thin layer over the Python API.

Exit codes: 0 success; 2 invalid input (scenario, experiment, option) with a message naming the file,
the field path and what was expected — no traceback; 1 an internal error; 3 (batch) some runs failed.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence

from village_sim.cli import run_cmd, validate_cmd
from village_sim.outputs import OutputExistsError
from village_sim.scenario.errors import ScenarioError

COMMANDS: dict[str, Callable] = {}


class UsageError(Exception):
    """A bad option value (exit 2)."""


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="village-sim",
        description="Agent-based simulator of village markets under e-commerce live streaming.")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for module in (run_cmd, validate_cmd):
        module.register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``village-sim`` console script."""
    parser = _parser()
    args = parser.parse_args(argv)
    try:
        code = args.handler(args)
    except (ScenarioError, OutputExistsError, UsageError) as exc:
        print(f"village-sim {args.command}: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    return int(code or 0)


if __name__ == "__main__":
    sys.exit(main())
