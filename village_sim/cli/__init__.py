"""The ``village-sim`` command line: a thin layer over the Python API.

Exit codes: 0 success; 2 invalid input (scenario, experiment, option) with a message naming the
file, the field path and what was expected — no traceback; 1 an internal error; 3 (batch) some runs
failed.
"""

from __future__ import annotations

import argparse
import importlib
import pkgutil
import sys
import traceback
from collections.abc import Callable, Sequence
from types import ModuleType

from village_sim.outputs import OutputExistsError
from village_sim.scenario.errors import ScenarioError

EXIT_OK = 0
EXIT_INTERNAL = 1
EXIT_INVALID = 2

#: Command modules (``village_sim/cli/NAME_cmd.py``, each with ``register(subparsers)`` that sets a
#: ``handler``) in the order of ``village-sim --help``; any other ``*_cmd`` module is added after
#: them, so a new command only needs its module. A module may list extra exception classes that
#: mean invalid input (exit 2) in ``INVALID_INPUT``.
COMMAND_ORDER = (
    "run_cmd",
    "validate_cmd",
    "compare_cmd",
    "batch_cmd",
    "report_cmd",
    "discover_cmd",
    "patterns_cmd",
    "calibrate_cmd",
    "viz_cmd",
)


class UsageError(Exception):
    """A bad option value (exit 2)."""


#: Exceptions that mean invalid input in every command (exit 2, a message, no traceback).
INVALID_INPUT: tuple[type[BaseException], ...] = (ScenarioError, OutputExistsError, UsageError)


def _command_names() -> list[str]:
    found = {m.name for m in pkgutil.iter_modules(__path__) if m.name.endswith("_cmd")}
    return [n for n in COMMAND_ORDER if n in found] + sorted(found - set(COMMAND_ORDER))


def _broken_command(sub: argparse._SubParsersAction, name: str, error: BaseException) -> None:
    """Keep the other commands usable when one command's module cannot be imported."""
    command = name.removesuffix("_cmd")
    p = sub.add_parser(command, help=f"(unavailable: {type(error).__name__})", add_help=False)
    p.add_argument("rest", nargs=argparse.REMAINDER)

    def handler(args: argparse.Namespace) -> int:
        raise RuntimeError(f"the '{command}' command cannot be loaded") from error

    p.set_defaults(handler=handler)


class _HelpFormatter(argparse.HelpFormatter):
    """Argparse's formatter that keeps the example lines of the epilog as they are."""

    def _fill_text(self, text: str, width: int, indent: str) -> str:
        return "\n".join(
            indent + line
            if line.startswith("  ")
            else super(_HelpFormatter, self)._fill_text(line, width, indent)
            for line in text.splitlines()
        )


def _describe(parser: argparse.ArgumentParser | None, module: ModuleType) -> None:
    """Give a command's ``--help`` its module's ``DESCRIPTION`` (if it has none) and ``EXAMPLES``."""
    if parser is None:
        return
    description = getattr(module, "DESCRIPTION", None)
    if description and not parser.description:
        parser.description = description
    examples = getattr(module, "EXAMPLES", ())
    if examples:
        parser.epilog = "examples:\n" + "\n".join(f"  {line}" for line in examples)
        parser.formatter_class = _HelpFormatter


def _parser() -> tuple[argparse.ArgumentParser, tuple[type[BaseException], ...]]:
    """The argument parser and the exception classes that mean invalid input."""
    from village_sim import __version__

    parser = argparse.ArgumentParser(
        prog="village-sim",
        description="Agent-based simulator of village markets under e-commerce live streaming.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    invalid: list[type[BaseException]] = list(INVALID_INPUT)
    for name in _command_names():
        try:
            module: ModuleType = importlib.import_module(f"{__name__}.{name}")
            module.register(sub)
        except Exception as exc:  # noqa: BLE001 - reported when that command is used
            _broken_command(sub, name, exc)
            continue
        _describe(sub.choices.get(name.removesuffix("_cmd")), module)
        invalid += list(getattr(module, "INVALID_INPUT", ()))
    return parser, tuple(invalid)


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``village-sim`` console script; returns the exit code.

    Args:
        argv: The arguments (default ``sys.argv[1:]``).

    Returns:
        0 success, 2 invalid input or options (a message on stderr, no traceback), 1 an internal
        error (with its traceback, to report), 130 interrupted.
    """
    parser, invalid_input = _parser()
    return run_parsed(parser, argv, invalid_input)


def run_parsed(
    parser: argparse.ArgumentParser,
    argv: Sequence[str] | None,
    invalid_input: tuple[type[BaseException], ...],
) -> int:
    """Parse ``argv`` and run the chosen command's handler; returns the exit code.

    Args:
        parser: The parser, its subcommands registered (each sets ``handler``).
        argv: The arguments (default ``sys.argv[1:]``).
        invalid_input: Exception classes that mean invalid input (exit 2, a message, no
            traceback).
    """
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # argparse: bad options (2) or --help/--version (0)
        if exc.code is None:
            return EXIT_OK
        return exc.code if isinstance(exc.code, int) else EXIT_INVALID
    try:
        code = args.handler(args)
    except invalid_input as exc:
        print(f"village-sim {args.command}: {exc}", file=sys.stderr)
        return EXIT_INVALID
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except Exception as exc:  # noqa: BLE001 - an internal error: report it, exit 1
        traceback.print_exc(file=sys.stderr)
        print(
            f"village-sim {args.command}: internal error: {type(exc).__name__}: {exc}\n"
            "This is a bug in village_sim; please report it with the command and scenario.",
            file=sys.stderr,
        )
        return EXIT_INTERNAL
    return int(code or 0)


def run_standalone(
    register_fn: Callable[[argparse._SubParsersAction], None], argv: Sequence[str] | None = None
) -> int:
    """Run one command on its own with the CLI's exit codes (``python -m village_sim.cli.X``).

    Args:
        register_fn: The command module's ``register``.
        argv: The arguments after the command name (default ``sys.argv[1:]``).
    """
    parser = argparse.ArgumentParser(prog="village-sim")
    sub = parser.add_subparsers(dest="command", required=True)
    register_fn(sub)
    command = next(iter(sub.choices))
    module = sys.modules[register_fn.__module__]
    invalid = (*INVALID_INPUT, *getattr(module, "INVALID_INPUT", ()))
    return run_parsed(parser, [command, *(sys.argv[1:] if argv is None else argv)], invalid)


if __name__ == "__main__":
    sys.exit(main())
