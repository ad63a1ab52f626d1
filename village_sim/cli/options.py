"""Option types shared by the commands (argparse turns their errors into exit code 2)."""

from __future__ import annotations

import argparse


def _integer(text: str, minimum: int) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected an integer >= {minimum}, got {text!r}"
        ) from None
    if value < minimum:
        raise argparse.ArgumentTypeError(f"expected an integer >= {minimum}, got {value}")
    return value


def non_negative_int(text: str) -> int:
    """Parse an integer >= 0."""
    return _integer(text, 0)


def positive_int(text: str) -> int:
    """Parse an integer >= 1."""
    return _integer(text, 1)


def add_overrides(
    parser: argparse.ArgumentParser, help_text: str = "override a scenario field (repeatable)"
) -> None:
    """Add the repeatable ``--set PATH=VALUE`` option (stored as ``args.overrides``)."""
    parser.add_argument(
        "--set",
        dest="overrides",
        action="append",
        default=[],
        metavar="PATH=VALUE",
        help=help_text,
    )


def add_cluster_options(parser: argparse.ArgumentParser) -> None:
    """Add ``--workers N`` or ``--scheduler ADDRESS`` (one or the other) and ``--overwrite``.

    The commands that run many simulations on Dask (``batch``, ``calibrate``) share them.
    """
    where = parser.add_mutually_exclusive_group()
    where.add_argument(
        "--workers",
        type=positive_int,
        default=None,
        metavar="N",
        help="local worker processes (default: one per core; 1: in-process)",
    )
    where.add_argument(
        "--scheduler",
        default=None,
        metavar="ADDRESS",
        help="submit to an existing Dask scheduler, e.g. tcp://10.0.0.5:8786",
    )
    parser.add_argument(
        "--overwrite", action="store_true", help="replace an existing non-empty --out folder"
    )
