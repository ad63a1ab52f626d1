"""Scenario overrides (``--set path=value``, experiment factors, calibration parameters).

An override names a field by its dotted path; list items are reached by index or by their
``name`` (``policies.rural_talent.budget_yuan``), and a policy's measures also directly
(``policies.rural_talent.training.seats_per_year``). Problems that come from an override are
blamed on it, not on a line of the file.
"""

from __future__ import annotations

from typing import Any

from village_sim.scenario.annotations import descend, fields_at
from village_sim.scenario.errors import ScenarioError, expected_one_of, type_name
from village_sim.scenario.schema import Scenario
from village_sim.scenario.yaml_read import read_yaml


def apply_overrides(
    data: dict[str, Any],
    overrides: list[str] | str | dict[str, Any] | None,
    source: str | None = None,
) -> dict[str, str]:
    """Apply overrides to a merged scenario dictionary in place.

    Args:
        data: The merged scenario dictionary (defaults filled in).
        overrides: ``["a.b=value", ...]`` (values parsed as YAML), one such string, or
            ``{"a.b": value}``.
        source: The scenario file, for messages.

    Returns:
        For each overridden field (resolved path, list items as indices), how it was given;
        pass it to :func:`blame_overrides`.
    """
    overridden: dict[str, str] = {}
    for key, value, origin in parse_overrides(overrides, source):
        overridden[set_path(data, key, value, source, origin=origin)] = origin
    return overridden


def parse_overrides(
    overrides: list[str] | str | dict[str, Any] | None, source: str | None
) -> list[tuple[str, Any, str]]:
    """``(dotted path, value, original text)`` for each override."""
    if not overrides:
        return []
    if isinstance(overrides, dict):
        out = []
        for key, value in overrides.items():
            if not isinstance(key, str) or not key.strip():
                raise ScenarioError(
                    [(str(key), "expected a dotted field path as override key")], source
                )
            out.append((key.strip(), value, f"{key}={value!r}"))
        return out
    if isinstance(overrides, str):
        overrides = [overrides]
    pairs = []
    for item in overrides:
        if not isinstance(item, str):
            raise ScenarioError([(str(item), "expected --set path=value (a string)")], source)
        key, sep, text = item.partition("=")
        key = key.strip()
        if not sep or not key:
            raise ScenarioError([(key, f"--set {item!r}: expected --set path=value")], source)
        if any(not part for part in key.split(".")):
            raise ScenarioError(
                [
                    (
                        key,
                        f"--set {item!r}: empty name in the field path; "
                        "expected names joined by dots (population.youth)",
                    )
                ],
                source,
            )
        try:
            value, _ = read_yaml(text)
        except ScenarioError:
            value = text
        pairs.append((key, value, f"--set {item}"))
    return pairs


def set_path(
    data: dict[str, Any],
    dotted: str,
    value: Any,
    source: str | None = None,
    origin: str | None = None,
) -> str:
    """Set ``data[a][b][c] = value`` for ``"a.b.c"``; policies are addressed by name.

    Args:
        data: A merged scenario dictionary (defaults already filled in).
        dotted: The dotted field path; list items by index or by their ``name``.
        value: The new value.
        source: The scenario file, for messages.
        origin: How the override was given (``--set a.b=1``), for messages.

    Returns:
        The path with list items as indices (``policies.0.budget_yuan``).

    Raises:
        ScenarioError: An unknown field or list item, or a field inside a plain value.
    """
    parts = dotted.split(".")
    how = f" ({origin})" if origin else ""
    node: Any = data
    annotation: Any = Scenario
    resolved: list[str] = []
    for i, part in enumerate(parts):
        here = ".".join(parts[: i + 1])
        last = i == len(parts) - 1
        if isinstance(node, list):
            index = _list_index(node, part, here, source, how)
            resolved.append(str(index))
            annotation = descend(annotation, str(index))
            if last:
                node[index] = value
            else:
                node = node[index]
            continue
        if not isinstance(node, dict):
            parent = ".".join(parts[:i])
            raise ScenarioError(
                [
                    (
                        dotted,
                        f"'{parent}' is a plain value ({type_name(node)}), it has no field "
                        f"'{part}'{how}",
                    )
                ],
                source,
            )
        allowed = fields_at(annotation, node)
        if allowed is not None and part not in allowed and "measures" in allowed:
            # A policy's measures may be named directly: policies.NAME.training.seats_per_year.
            measures = descend(annotation, "measures", node)
            if part in (fields_at(measures, node.get("measures")) or []):
                if not isinstance(node.get("measures"), dict):
                    node["measures"] = {}
                resolved.append("measures")
                annotation, node = measures, node["measures"]
                allowed = fields_at(annotation, node)
        if allowed is not None and part not in allowed:
            raise ScenarioError(
                [(here, f"unknown field '{part}'{how}{expected_one_of(part, allowed)}")],
                source,
            )
        resolved.append(part)
        annotation = descend(annotation, part, node)
        if last:
            node[part] = value
            break
        nxt = node.get(part)
        if nxt is None:
            nxt = node[part] = {}
        node = nxt
    return ".".join(resolved)


def _list_index(items: list[Any], part: str, path: str, source: str | None, how: str = "") -> int:
    if part.isdigit() and int(part) < len(items):
        return int(part)
    for i, item in enumerate(items):
        if isinstance(item, dict) and item.get("name") == part:
            return i
    names = [str(it.get("name")) for it in items if isinstance(it, dict) and "name" in it]
    if names:
        hint = f"; expected an index below {len(items)} or a name" + expected_one_of(part, names)
    elif items:
        hint = f"; expected an index below {len(items)}"
    else:
        hint = "; the list is empty"
    raise ScenarioError([(path, f"no item named or numbered '{part}'{how}{hint}")], source)


def blame_overrides(exc: ScenarioError, overridden: dict[str, str]) -> ScenarioError:
    """Point problems that come from ``--set`` at the override, not at a line of the file."""
    if not overridden:
        return exc
    problems = []
    lines: dict[str, int | None] = dict(exc.lines)
    for path, message in exc.problems:
        origin = next(
            (o for p, o in overridden.items() if path == p or path.startswith(p + ".")), None
        )
        if origin is not None:
            message = f"{message} ({origin})"
            lines[path] = None  # the problem is not on a line of the file
        problems.append((path, message))
    return ScenarioError(problems, exc.source, lines)
