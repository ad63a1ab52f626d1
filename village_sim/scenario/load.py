"""Loading scenarios: YAML → defaults merged → ``--set`` overrides → validated :class:`Scenario`.

A scenario file only states what differs from the defaults: it is deep-merged onto the defaults
(dictionaries merge key by key, lists replace, ``null`` removes an entry of a catalogue such as
``products``), then validated. Every problem is reported with the file, the line where known, the
dotted field path and what was expected.
"""

from __future__ import annotations

import copy
import types
import typing
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ValidationError

from village_sim.scenario.errors import ScenarioError
from village_sim.scenario.schema import Scenario


def load_scenario(
    path: str | Path | None = None,
    overrides: list[str] | dict[str, Any] | None = None,
) -> Scenario:
    """Load and validate a scenario file.

    Args:
        path: A YAML scenario file; ``None`` gives the defaults.
        overrides: ``["a.b=value", ...]`` (values parsed as YAML) or ``{"a.b": value}``.
            Policies are reached by name: ``policies.NAME.field``.

    Returns:
        The validated scenario, with the world graph checked.

    Raises:
        ScenarioError: Naming the file, field path and what was expected.
    """
    source = str(path) if path is not None else None
    raw: dict[str, Any] = {}
    lines: dict[str, int] = {}
    if path is not None:
        raw, lines = _read_yaml(Path(path))
    merged = deep_merge(Scenario().model_dump(mode="json"), raw)
    for key, value in _parse_overrides(overrides, source):
        set_path(merged, key, value, source)
    scenario = validate_dict(merged, source, lines)
    _check_world(scenario, source, lines)
    return scenario


def validate_dict(
    data: dict[str, Any], source: str | None = None, lines: dict[str, int] | None = None
) -> Scenario:
    """Validate an already merged dictionary into a :class:`Scenario`."""
    try:
        return Scenario.model_validate(data)
    except ValidationError as exc:
        raise ScenarioError(_problems(exc), source, lines) from None


def _read_yaml(path: Path) -> tuple[dict[str, Any], dict[str, int]]:
    if not path.is_file():
        raise ScenarioError([("", "file not found")], str(path))
    text = path.read_text(encoding="utf-8")
    try:
        data = yaml.safe_load(text)
        node = yaml.compose(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = {"": mark.line + 1} if mark is not None else {}
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise ScenarioError([("", f"YAML syntax error: {problem}")], str(path), where) from None
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise ScenarioError([("", "expected a mapping of sections (name:, world:, ...)")],
                            str(path))
    return data, _line_index(node)


def _line_index(node: yaml.Node | None, prefix: str = "") -> dict[str, int]:
    """Map each dotted path in a YAML document to its 1-based line number."""
    out: dict[str, int] = {}
    if isinstance(node, yaml.MappingNode):
        for key_node, value_node in node.value:
            path = f"{prefix}.{key_node.value}" if prefix else str(key_node.value)
            out[path] = key_node.start_mark.line + 1
            out.update(_line_index(value_node, path))
    elif isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            path = f"{prefix}.{i}"
            out[path] = item.start_mark.line + 1
            out.update(_line_index(item, path))
    return out


def deep_merge(base: Any, override: Any) -> Any:
    """Merge ``override`` onto ``base``: dicts key by key, anything else replaced.

    A ``None`` in ``override`` where ``base`` holds a dict removes that entry.
    """
    if isinstance(base, dict) and isinstance(override, dict):
        out = copy.deepcopy(base)
        for key, value in override.items():
            if value is None and isinstance(out.get(key), dict):
                out.pop(key)
            elif key in out:
                out[key] = deep_merge(out[key], value)
            else:
                out[key] = copy.deepcopy(value)
        return out
    return copy.deepcopy(override)


def _parse_overrides(
    overrides: list[str] | dict[str, Any] | None, source: str | None
) -> list[tuple[str, Any]]:
    if not overrides:
        return []
    if isinstance(overrides, dict):
        return list(overrides.items())
    pairs = []
    for item in overrides:
        key, sep, text = item.partition("=")
        if not sep or not key.strip():
            raise ScenarioError([(item, "expected --set path=value")], source)
        try:
            value = yaml.safe_load(text)
        except yaml.YAMLError:
            value = text
        pairs.append((key.strip(), value))
    return pairs


def set_path(data: dict[str, Any], dotted: str, value: Any, source: str | None = None) -> None:
    """Set ``data[a][b][c] = value`` for ``"a.b.c"``; policies are addressed by name."""
    parts = dotted.split(".")
    node: Any = data
    for i, part in enumerate(parts[:-1]):
        if isinstance(node, list):
            node = _list_item(node, part, ".".join(parts[: i + 1]), source)
            continue
        nxt = node.get(part)
        if nxt is None:
            nxt = node[part] = {}
        node = nxt
    last = parts[-1]
    if isinstance(node, list):
        index = _list_index(node, last, dotted, source)
        node[index] = value
    elif isinstance(node, dict):
        node[last] = value
    else:
        raise ScenarioError([(dotted, "cannot set a field inside a plain value")], source)


def _list_index(items: list[Any], part: str, path: str, source: str | None) -> int:
    if part.isdigit() and int(part) < len(items):
        return int(part)
    for i, item in enumerate(items):
        if isinstance(item, dict) and item.get("name") == part:
            return i
    names = [str(it.get("name")) for it in items if isinstance(it, dict) and "name" in it]
    hint = f"; names: {', '.join(names)}" if names else ""
    raise ScenarioError([(path, f"no list item named or numbered '{part}'{hint}")], source)


def _list_item(items: list[Any], part: str, path: str, source: str | None) -> Any:
    return items[_list_index(items, part, path, source)]


# ------------------------------------------------------------------------------------------
# Turning pydantic errors into plain messages
# ------------------------------------------------------------------------------------------
def _problems(exc: ValidationError) -> list[tuple[str, str]]:
    problems = []
    for err in exc.errors(include_url=False):
        loc = [str(p) for p in err["loc"]]
        path = ".".join(loc)
        if err["type"] == "extra_forbidden":
            allowed = allowed_keys(Scenario, loc[:-1])
            hint = f"; expected one of: {', '.join(allowed)}" if allowed else ""
            message = f"unknown key '{loc[-1]}'{hint}"
        elif err["type"] == "value_error":
            message = str(err["msg"]).removeprefix("Value error, ")
        else:
            got = err.get("input")
            shown = "" if isinstance(got, dict | list) else f" (got {got!r})"
            message = f"{err['msg']}{shown}"
        problems.append((path, message))
    return problems


def allowed_keys(model: type[BaseModel], loc: list[str]) -> list[str]:
    """Field names allowed at ``loc`` inside ``model`` (empty when not a model there)."""
    annotation: Any = model
    for part in loc:
        annotation = _descend(annotation, part)
        if annotation is None:
            return []
    cls = _model_class(annotation)
    return list(cls.model_fields) if cls else []


def _model_class(annotation: Any) -> type[BaseModel] | None:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in typing.get_args(annotation):
        cls = _model_class(arg)
        if cls:
            return cls
    return None


def _descend(annotation: Any, part: str) -> Any:
    cls = _model_class(annotation) if not _is_container(annotation) else None
    if cls is not None:
        field = cls.model_fields.get(part)
        return field.annotation if field else None
    args = typing.get_args(annotation)
    origin = typing.get_origin(annotation)
    if origin in (list, tuple) and args:
        return args[0]
    if origin is dict and len(args) == 2:
        return args[1]
    if origin in (typing.Union, types.UnionType):
        for arg in args:
            found = _descend(arg, part)
            if found is not None:
                return found
    return None


def _is_container(annotation: Any) -> bool:
    return typing.get_origin(annotation) in (list, tuple, dict)


def _check_world(scenario: Scenario, source: str | None, lines: dict[str, int]) -> None:
    """Build the places graph once to catch disconnected graphs and unreachable cities."""
    from village_sim.world.graph import WorldError, build_graph

    try:
        build_graph(scenario, seed=0)
    except WorldError as exc:
        raise ScenarioError([(exc.path, exc.message)], source, lines) from None
