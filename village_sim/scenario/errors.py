"""Errors raised for bad input: they name the file, the field path and what was expected."""

from __future__ import annotations


class ScenarioError(Exception):
    """Invalid input; the CLI prints it without a traceback and exits with code 2.

    Attributes:
        problems: ``(field_path, message)`` pairs; the path is dotted (``world.county.villages``).
        source: The file the input came from, if any.
    """

    def __init__(
        self,
        problems: list[tuple[str, str]],
        source: str | None = None,
        lines: dict[str, int] | None = None,
    ) -> None:
        self.problems = problems
        self.source = source
        self.lines = lines or {}
        super().__init__(self.render())

    def render(self) -> str:
        """Human-readable message, one line per problem."""
        head = f"{self.source}: " if self.source else ""
        out = [f"{head}invalid input ({len(self.problems)} problem(s))"]
        for path, message in self.problems:
            where = self.source or "<input>"
            line = self.lines.get(path)
            if line is not None:
                where = f"{where}:{line}"
            out.append(f"  {where}: {path or '<top level>'}: {message}")
        return "\n".join(out)
