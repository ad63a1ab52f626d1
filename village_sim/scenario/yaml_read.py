"""Reading the project's YAML files (scenarios, experiments, calibration files, targets) safely.

One reader for every input file, so that each gets the same guarantees:

- **No aliases.** ``&anchor``/``*alias`` let a few hundred bytes stand for billions of values (the
  "billion laughs" file); nothing in these files needs them, so any alias is refused with the
  line it is on, before anything walks the document.
- **No duplicate keys.** YAML's "the last one wins" silently dropped whole sections; a key given
  twice in one mapping is refused, naming both lines.
- **Bounded nesting.** Deeper than :data:`MAX_DEPTH` levels is refused (no input file needs more).
- **Numbers as people write them.** ``2e6`` and ``1.5e-3`` are numbers (YAML 1.1, PyYAML's dialect,
  reads them as text).

libyaml parses the text when PyYAML has it (about ten times faster than the pure-Python parser);
the pure-Python parser is the fallback and gives the clearer message for a syntax error.
"""

from __future__ import annotations

import re
from typing import Any

import yaml

from village_sim.scenario.errors import ScenarioError

MAX_DEPTH = 64
"""Deepest nesting of mappings and lists accepted in an input file."""

_EXPONENT_FLOAT = re.compile(
    r"^[-+]?(?:[0-9][0-9_]*(?:\.[0-9_]*)?|\.[0-9][0-9_]*)[eE][-+]?[0-9]+$", re.X
)


class _MarkedValues:
    """Turn a value that cannot be built (``!!int abc``) into an error carrying its line."""

    def construct_object(self, node: Any, deep: bool = False) -> Any:
        try:
            return super().construct_object(node, deep)  # type: ignore[misc]
        except (ValueError, TypeError, OverflowError) as exc:
            raise yaml.constructor.ConstructorError(
                None, None, f"cannot read this value: {exc}", node.start_mark
            ) from None


class StrictLoader(_MarkedValues, yaml.SafeLoader):
    """PyYAML's safe loader, reading ``2e6`` as a number (pure-Python parser)."""


_FAST_BASE: Any = getattr(yaml, "CSafeLoader", None)
FastLoader: Any = None
if _FAST_BASE is not None:

    class FastLoader(_MarkedValues, _FAST_BASE):  # type: ignore[no-redef]
        """PyYAML's safe loader on libyaml, reading ``2e6`` as a number."""


for _loader in (StrictLoader, FastLoader):
    if _loader is not None:
        _loader.add_implicit_resolver(
            "tag:yaml.org,2002:float", _EXPONENT_FLOAT, list("-+0123456789.")
        )


def read_yaml(text: str, source: str | None = None) -> tuple[Any, dict[str, int]]:
    """Parse one YAML document and index the line of every field.

    Args:
        text: The file's text.
        source: The file, for messages.

    Returns:
        ``(data, lines)``: the document (``None`` when empty) and, for each dotted field path
        (``population.youth``, ``policies.0.name``), its 1-based line.

    Raises:
        ScenarioError: A syntax error, an alias, a duplicate key or too deep a nesting, naming the
            line.
    """
    loader, node = _compose(text, source)
    try:
        lines = _check_and_index(node, text, source)
        data = loader.construct_document(node) if node is not None else None
    except (yaml.YAMLError, ValueError, TypeError, OverflowError) as exc:
        raise _syntax_error(exc, source, "YAML value error") from None
    finally:
        loader.dispose()
    return data, lines


def _compose(text: str, source: str | None) -> tuple[Any, Any]:
    """A loader and the document's node tree (``None`` when empty)."""
    if FastLoader is not None:
        loader = FastLoader(text)
        try:
            return loader, loader.get_single_node()
        except yaml.YAMLError:
            loader.dispose()  # parsed again below for the clearer message
    try:
        loader = StrictLoader(text)
        return loader, loader.get_single_node()
    except yaml.YAMLError as exc:
        raise _syntax_error(exc, source, "YAML syntax error") from None
    except RecursionError:
        raise ScenarioError(
            [("", f"YAML nested too deeply; expected at most {MAX_DEPTH} levels")], source
        ) from None


def _syntax_error(exc: Exception, source: str | None, what: str) -> ScenarioError:
    mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
    where = {"": mark.line + 1} if mark is not None else {}
    problem = getattr(exc, "problem", None) or (str(exc).splitlines() or [type(exc).__name__])[0]
    return ScenarioError([("", f"{what}: {problem}")], source, where)


def _check_and_index(node: Any, text: str, source: str | None) -> dict[str, int]:
    """Refuse aliases, duplicate keys and deep nesting; map each dotted path to its line.

    Walks the node tree once, iteratively; a node met twice is an alias (PyYAML shares aliased
    nodes), so the walk never expands one.
    """
    lines: dict[str, int] = {}
    seen: set[int] = set()
    stack: list[tuple[Any, str, int]] = [(node, "", 0)] if node is not None else []
    while stack:
        current, path, depth = stack.pop()
        if id(current) in seen:
            raise _alias_error(text, path, source)
        seen.add(id(current))
        if depth > MAX_DEPTH:
            raise ScenarioError(
                [(path, f"nested too deeply; expected at most {MAX_DEPTH} levels")],
                source,
                {path: current.start_mark.line + 1},
            )
        children: list[tuple[Any, str]] = []
        if isinstance(current, yaml.MappingNode):
            first: dict[tuple[str, str], int] = {}
            for key_node, value_node in current.value:
                if id(key_node) in seen:
                    raise _alias_error(text, path, source)
                seen.add(id(key_node))
                key = str(key_node.value) if isinstance(key_node, yaml.ScalarNode) else None
                child = f"{path}.{key}" if path else str(key)
                line = key_node.start_mark.line + 1
                if key is not None:
                    ident = (key_node.tag, key)
                    if ident in first:
                        raise ScenarioError(
                            [
                                (
                                    child,
                                    f"key '{key}' given twice in the same mapping (lines "
                                    f"{first[ident]} and {line}); expected each key once",
                                )
                            ],
                            source,
                            {child: line},
                        )
                    first[ident] = line
                lines[child] = line
                if isinstance(key_node, yaml.CollectionNode):
                    children.append((key_node, child))
                children.append((value_node, child))
        elif isinstance(current, yaml.SequenceNode):
            for i, item in enumerate(current.value):
                child = f"{path}.{i}" if path else str(i)
                lines[child] = item.start_mark.line + 1
                children.append((item, child))
        stack.extend((c, p, depth + 1) for c, p in reversed(children))
    return lines


def _alias_error(text: str, path: str, source: str | None) -> ScenarioError:
    """The error for an alias: the first ``*alias`` in the text, with its line."""
    line = None
    name = ""
    try:
        for event in yaml.parse(text, Loader=FastLoader or StrictLoader):
            if isinstance(event, yaml.AliasEvent):
                line, name = event.start_mark.line + 1, event.anchor
                break
    except yaml.YAMLError:
        pass
    shown = f" '*{name}'" if name else ""
    return ScenarioError(
        [
            (
                path,
                f"YAML alias{shown} found; anchors and aliases (&name, *name) are not "
                "accepted in village_sim files: write the value out",
            )
        ],
        source,
        {path: line} if line is not None else {},
    )
