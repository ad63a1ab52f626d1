"""Errors raised for bad input: they name the file, the field path and what was expected."""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from typing import Any


class ScenarioError(Exception):
    """Invalid input; the CLI prints it without a traceback and exits with code 2.

    Attributes:
        problems: ``(field_path, message)`` pairs; the path is dotted (``world.county.villages``).
        source: The file the input came from, if any.
        lines: 1-based line of a field path in ``source``; ``None`` marks a path that is not on
            a line of the file (set by ``--set``), so no line is shown for it or below it.
    """

    def __init__(
        self,
        problems: list[tuple[str, str]],
        source: str | None = None,
        lines: dict[str, int | None] | None = None,
    ) -> None:
        self.problems = problems
        self.source = source
        self.lines = lines or {}
        super().__init__(self.render())

    def line_of(self, path: str) -> int | None:
        """Return the line of ``path`` in the file, else that of its nearest enclosing field."""
        parts = path.split(".") if path else []
        for n in range(len(parts), -1, -1):
            key = ".".join(parts[:n])
            if key in self.lines:
                return self.lines[key]
            if n == 0:
                break
        return None

    def render(self) -> str:
        """Human-readable message, one line per problem."""
        head = f"{self.source}: " if self.source else ""
        count = len(self.problems)
        out = [f"{head}invalid input ({count} problem{'s' if count != 1 else ''})"]
        for path, message in self.problems:
            where = self.source or "<input>"
            line = self.line_of(path)
            if line is not None:
                where = f"{where}:{line}"
            out.append(f"  {where}: {path or '<top level>'}: {message}")
        return "\n".join(out)


def type_name(value: Any) -> str:
    """How a value's type is named in messages (``a mapping``, ``an integer``)."""
    names = {
        dict: "a mapping",
        list: "a list",
        str: "a string",
        bool: "a boolean",
        int: "an integer",
        float: "a number",
    }
    return names.get(type(value), type(value).__name__)


def short_repr(value: Any, limit: int = 60) -> str:
    """``repr`` cut to ``limit`` characters, for messages."""
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


class CombinedScenarioError(ScenarioError):
    """Problems in several files, each shown with its own file and lines.

    ``source`` is the first file's: for ``extends:`` chains, the file where the fault lies.
    """

    def __init__(self, errors: list[ScenarioError]) -> None:
        self.errors = errors
        problems = [p for e in errors for p in e.problems]
        super().__init__(problems, errors[0].source)  # the first file is the one at fault

    def render(self) -> str:
        """Each file's message in turn."""
        return "\n".join(e.render() for e in self.errors)

    @classmethod
    def of(cls, errors: list[ScenarioError]) -> ScenarioError:
        """One error as it is, several combined."""
        return errors[0] if len(errors) == 1 else cls(errors)


def expected_one_of(word: str, options: Iterable[str]) -> str:
    """The tail of an "unknown name" message: the nearest valid name first, then all of them.

    Returns:
        ``"; did you mean 'seats_per_year'? (expected one of: a, b)"`` when a name is close
        (:func:`difflib.get_close_matches`), else ``"; expected one of: a, b"``; ``""`` when
        there are no options.
    """
    names = [str(o) for o in options]
    if not names:
        return ""
    close = difflib.get_close_matches(str(word), names, n=1, cutoff=0.6)
    listed = ", ".join(names)
    if close:
        return f"; did you mean '{close[0]}'? (expected one of: {listed})"
    return f"; expected one of: {listed}"
