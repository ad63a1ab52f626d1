"""Option types shared by the commands (argparse turns their errors into exit code 2)."""

from __future__ import annotations

import argparse


def _integer(text: str, minimum: int) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected an integer >= {minimum}, got {text!r}") from None
    if value < minimum:
        raise argparse.ArgumentTypeError(f"expected an integer >= {minimum}, got {value}")
    return value


def non_negative_int(text: str) -> int:
    """Parse an integer >= 0."""
    return _integer(text, 0)


def positive_int(text: str) -> int:
    """Parse an integer >= 1."""
    return _integer(text, 1)
