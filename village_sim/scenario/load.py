"""Loading scenarios: YAML → defaults merged → ``--set`` overrides → validated :class:`Scenario`.

A scenario file only states what differs from the defaults: it is deep-merged onto the defaults
(dictionaries merge key by key, lists replace, ``null`` removes an entry of a catalogue such as
``products``), then validated. Every problem is reported with the file, the line where known, the
dotted field path and what was expected.
"""

from __future__ import annotations

import copy
import math
import re
import types
import typing
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError

from village_sim.scenario.errors import ScenarioError, expected_one_of
from village_sim.scenario.schema import Scenario
from village_sim.scenario.yaml_read import read_yaml


def load_scenario(
    path: str | Path | Scenario | None = None,
    overrides: list[str] | str | dict[str, Any] | None = None,
) -> Scenario:
    """Load and validate a scenario file.

    Args:
        path: A YAML scenario file; ``None`` gives the defaults; a :class:`Scenario` is the
            starting point itself (its overrides are applied and the result validated again). A
            file may start from another with ``extends: OTHER.yaml`` (relative to the file): it
            is merged onto that one.
        overrides: ``["a.b=value", ...]`` (values parsed as YAML), one such string, or
            ``{"a.b": value}``. List items are reached by index or by name
            (``policies.NAME.field``); a policy's measures also directly
            (``policies.NAME.training.seats_per_year``).

    Returns:
        The validated scenario, with the world graph checked.

    Raises:
        ScenarioError: Naming the file, field path and what was expected.
    """
    start = path if isinstance(path, Scenario) else Scenario()
    if isinstance(path, Scenario):
        path = None
    source = str(path) if path is not None else None
    raw: dict[str, Any] = {}
    lines: dict[str, int] = {}
    if path is not None:
        raw, lines = _read_scenario_file(Path(path))
    merged = deep_merge(start.model_dump(mode="json"), raw)
    overridden: dict[str, str] = {}
    for key, value, origin in _parse_overrides(overrides, source):
        resolved = set_path(merged, key, value, source, origin=origin)
        overridden[resolved] = origin
    try:
        _check_bools(merged, source, lines)
        scenario = validate_dict(merged, source, lines)
        _check_finite(scenario.model_dump(), source, lines)
        _check_world(scenario, source, lines)
    except ScenarioError as exc:
        raise _blame_overrides(exc, overridden) from None
    return scenario


def resolve_scenario(
    scenario: str | Path | Scenario | None = None, fields: dict[str, Any] | None = None
) -> Scenario:
    """The scenario a model is built from, as Mesa models take their parameters.

    Args:
        scenario: A :class:`Scenario`, the path of a scenario file, or ``None`` for the defaults
            (the baseline county).
        fields: Scenario fields as keyword arguments, ``__`` standing for a dot
            (``{"training__seats_per_year": 200}``); applied like ``--set`` overrides.

    Returns:
        The validated scenario (``scenario`` itself when it is one and no field is given).

    Raises:
        ScenarioError: An unreadable file, an unknown field or an invalid value.
    """
    overrides = {key.replace("__", "."): value for key, value in (fields or {}).items()}
    if isinstance(scenario, Scenario) and not overrides:
        return scenario
    return load_scenario(scenario, overrides=overrides or None)


def validate_dict(
    data: dict[str, Any], source: str | None = None, lines: dict[str, int] | None = None
) -> Scenario:
    """Validate an already merged dictionary into a :class:`Scenario`."""
    try:
        return Scenario.model_validate(data)
    except ValidationError as exc:
        raise ScenarioError(_problems(exc), source, lines) from None


def _read_scenario_file(
    path: Path, seen: tuple[Path, ...] = ()
) -> tuple[dict[str, Any], dict[str, int]]:
    """Read a scenario file and the files it ``extends`` (merged, the file's own keys last)."""
    raw, lines = _read_yaml(path)
    if "extends" not in raw:
        return raw, lines
    parent_name = raw.pop("extends")
    here = (*seen, path.resolve())
    if not isinstance(parent_name, str) or not parent_name.strip():
        raise ScenarioError(
            [
                (
                    "extends",
                    f"expected the path of a scenario file (relative to this file), got "
                    f"{_short_repr(parent_name)}",
                )
            ],
            str(path),
            dict(lines),
        )
    parent = path.parent / parent_name
    if parent.resolve() in here:
        chain = " -> ".join(p.name for p in (*here, parent.resolve()))
        raise ScenarioError(
            [("extends", f"scenario files extend each other in a circle: {chain}")],
            str(path),
            dict(lines),
        )
    if not parent.is_file():
        raise ScenarioError(
            [
                (
                    "extends",
                    f"file not found: {parent}; expected a scenario file (the path is "
                    f"relative to {path.parent or '.'})",
                )
            ],
            str(path),
            dict(lines),
        )
    base, _ = _read_scenario_file(parent, here)
    return deep_merge(base, raw), lines


def _read_yaml(path: Path) -> tuple[dict[str, Any], dict[str, int]]:
    if not path.exists():
        raise ScenarioError([("", "file not found; expected a YAML scenario file")], str(path))
    if not path.is_file():
        raise ScenarioError([("", "not a file; expected a YAML scenario file")], str(path))
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise ScenarioError(
            [("", f"not UTF-8 text (byte {exc.start}); expected a YAML scenario file")], str(path)
        ) from None
    except OSError as exc:
        raise ScenarioError(
            [("", f"cannot read the file: {exc.strerror or exc}")], str(path)
        ) from None
    data, lines = read_yaml(text, str(path))
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise ScenarioError(
            [("", f"expected a mapping of sections (name:, world:, ...), got {_type_name(data)}")],
            str(path),
        )
    return data, lines


def _type_name(value: Any) -> str:
    names = {
        dict: "a mapping",
        list: "a list",
        str: "a string",
        bool: "a boolean",
        int: "an integer",
        float: "a number",
    }
    return names.get(type(value), type(value).__name__)


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
            annotation = _descend(annotation, str(index))
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
                        f"'{parent}' is a plain value ({_type_name(node)}), it has no field "
                        f"'{part}'{how}",
                    )
                ],
                source,
            )
        allowed = _fields_at(annotation, node)
        if allowed is not None and part not in allowed and "measures" in allowed:
            # A policy's measures may be named directly: policies.NAME.training.seats_per_year.
            measures = _descend(annotation, "measures", node)
            if part in (_fields_at(measures, node.get("measures")) or []):
                if not isinstance(node.get("measures"), dict):
                    node["measures"] = {}
                resolved.append("measures")
                annotation, node = measures, node["measures"]
                allowed = _fields_at(annotation, node)
        if allowed is not None and part not in allowed:
            raise ScenarioError(
                [(here, f"unknown field '{part}'{how}{expected_one_of(part, allowed)}")],
                source,
            )
        resolved.append(part)
        annotation = _descend(annotation, part, node)
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


def _blame_overrides(exc: ScenarioError, overridden: dict[str, str]) -> ScenarioError:
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


# ------------------------------------------------------------------------------------------
# Turning pydantic errors into plain messages
# ------------------------------------------------------------------------------------------
_PATH_PREFIX = re.compile(r"^([A-Za-z_][\w]*(?:\.[\w\[\]-]+)*): (.+)$", re.DOTALL)


def _problems(exc: ValidationError) -> list[tuple[str, str]]:
    problems = []
    for err in exc.errors(include_url=False):
        loc = _field_loc([str(p) for p in err["loc"]])
        path = ".".join(loc)
        if err["type"] == "extra_forbidden":
            allowed = allowed_keys(Scenario, loc[:-1])
            message = f"unknown key '{loc[-1]}'{expected_one_of(loc[-1], allowed)}"
        elif err["type"] == "value_error":
            message = str(err["msg"]).removeprefix("Value error, ")
            # Cross-field checks name their field themselves: "world.nodes: node 3 ...".
            match = _PATH_PREFIX.match(message)
            if match and match.group(1).split(".")[0] in Scenario.model_fields:
                inner = match.group(1)
                path = f"{path}.{inner}" if path else inner
                message = match.group(2)
        elif err["type"] == "missing":
            message = "required field is missing"
        else:
            got = err.get("input")
            shown = "" if isinstance(got, dict | list) else f" (got {_short_repr(got)})"
            message = f"{err['msg']}{shown}"
        problems.append((path, message))
    return problems


def _field_loc(loc: list[str]) -> list[str]:
    """Drop the tags pydantic puts in locations inside tagged unions (``policies.0.talent.x``).

    What is left is the path a user writes in the file (``policies.0.x``).
    """
    annotation: Any = Scenario
    out: list[str] = []
    for part in loc:
        models = _models_in(annotation) if annotation is not None else []
        is_field = any(part in m.model_fields for m in models)
        if (
            len(models) > 1
            and not is_field
            and any(part in values for m in models for values in _tags(m).values())
        ):
            annotation = _descend(annotation, part)  # the union member named by its tag
            continue
        out.append(part)
        annotation = _descend(annotation, part) if annotation is not None else None
    return out


def _short_repr(value: Any, limit: int = 60) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _check_bools(data: dict[str, Any], source: str | None, lines: dict[str, int]) -> None:
    """Reject ``true``/``false`` where a number is expected (pydantic would take them as 1/0)."""
    problems: list[tuple[str, str]] = []
    _walk_bools(data, Scenario, "", problems)
    if problems:
        raise ScenarioError(problems, source, dict(lines))


def _walk_bools(value: Any, annotation: Any, path: str, problems: list[tuple[str, str]]) -> None:
    if annotation is None:
        return
    if isinstance(value, bool):
        if not _admits_bool(annotation):
            problems.append((path, f"expected {_expected(annotation)}, got a boolean ({value})"))
        return
    if isinstance(value, dict):
        for key, item in value.items():
            if isinstance(key, str):
                _walk_bools(
                    item,
                    _descend(annotation, key, value),
                    f"{path}.{key}" if path else key,
                    problems,
                )
    elif isinstance(value, list):
        inner = _descend(annotation, "0")
        for i, item in enumerate(value):
            _walk_bools(item, inner, f"{path}.{i}" if path else str(i), problems)


def _admits_bool(annotation: Any) -> bool:
    """Tell whether a boolean is acceptable (pydantic would quietly make it 1 or 0)."""
    annotation = _unwrap(annotation)
    if annotation in (int, float, type(None)):
        return False
    if typing.get_origin(annotation) in (typing.Union, types.UnionType):
        return any(_admits_bool(a) for a in typing.get_args(annotation))
    # bool, models, containers, strings, literals: pydantic decides by itself.
    return True


def _expected(annotation: Any) -> str:
    annotation = _unwrap(annotation)
    if annotation is int:
        return "an integer"
    if annotation is float:
        return "a number"
    args = [a for a in typing.get_args(annotation) if a is not type(None)]
    return " or ".join(_expected(a) for a in args) if args else str(annotation)


def _check_finite(value: Any, source: str | None, lines: dict[str, int]) -> None:
    """Reject ``.nan``/``.inf`` anywhere: no parameter is meaningful at infinity."""
    problems: list[tuple[str, str]] = []

    def walk(item: Any, where: str) -> None:
        if isinstance(item, float) and not math.isfinite(item):
            problems.append((where, f"expected a finite number, got {item}"))
        elif isinstance(item, dict):
            for key, sub in item.items():
                walk(sub, f"{where}.{key}" if where else str(key))
        elif isinstance(item, list | tuple):
            for i, sub in enumerate(item):
                walk(sub, f"{where}.{i}" if where else str(i))

    walk(value, "")
    if problems:
        raise ScenarioError(problems, source, dict(lines))


def allowed_keys(model: type[BaseModel], loc: list[str]) -> list[str]:
    """Field names allowed at ``loc`` inside ``model`` (empty when not a model there)."""
    annotation: Any = model
    for part in loc:
        annotation = _descend(annotation, part)
        if annotation is None:
            return []
    return _fields_at(annotation) or []


# Walking the schema's type annotations (models, containers, unions, Annotated, Literal tags).
def _unwrap(annotation: Any) -> Any:
    while typing.get_origin(annotation) is typing.Annotated:
        annotation = typing.get_args(annotation)[0]
    return annotation


def _is_union(annotation: Any) -> bool:
    return typing.get_origin(annotation) in (typing.Union, types.UnionType)


def _is_container(annotation: Any) -> bool:
    return typing.get_origin(_unwrap(annotation)) in (list, tuple, dict)


def _models_in(annotation: Any) -> list[type[BaseModel]]:
    """The model classes a value of this annotation can be (one, or the models of a union)."""
    annotation = _unwrap(annotation)
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return [annotation]
    if _is_union(annotation):
        return [m for arg in typing.get_args(annotation) for m in _models_in(arg)]
    return []


def _tags(model: type[BaseModel]) -> dict[str, tuple[Any, ...]]:
    """A model's fields that only take literal values (discriminators such as ``path``)."""
    out = {}
    for name, field in model.model_fields.items():
        annotation = _unwrap(field.annotation)
        if typing.get_origin(annotation) is typing.Literal:
            out[name] = typing.get_args(annotation)
    return out


def _pick(models: list[type[BaseModel]], data: Any) -> list[type[BaseModel]]:
    """The members of a union of models that ``data`` can be (by their literal tags)."""
    if len(models) <= 1 or not isinstance(data, dict):
        return models
    chosen = [
        m for m in models if all(data[k] in values for k, values in _tags(m).items() if k in data)
    ]
    return chosen or models


def _fields_at(annotation: Any, data: Any = None) -> list[str] | None:
    """Field names where the annotation is a model (fixed fields), else ``None``."""
    if annotation is None or _is_container(annotation):
        return None
    models = _pick(_models_in(annotation), data)
    if not models:
        return None
    names: dict[str, None] = {}
    for model in models:
        names.update(dict.fromkeys(model.model_fields))
    return list(names)


def _descend(annotation: Any, part: str, data: Any = None) -> Any:
    """The annotation one step down: a field, a list item, a dict value or a union's member.

    ``data`` (the value at ``annotation``) picks the member of a discriminated union.
    """
    annotation = _unwrap(annotation)
    origin = typing.get_origin(annotation)
    args = typing.get_args(annotation)
    if origin in (list, tuple) and args:
        return args[0]
    if origin is dict and len(args) == 2:
        return args[1]
    models = _pick(_models_in(annotation), data)
    if models:
        for model in models:
            field = model.model_fields.get(part)
            if field is not None:
                return field.annotation
        if len(models) > 1:  # pydantic names the member of a tagged union by its tag
            for model in models:
                if any(part in values for values in _tags(model).values()):
                    return model
        return None
    if _is_union(annotation):
        for arg in args:
            found = _descend(arg, part, data)
            if found is not None:
                return found
    return None


def _check_world(scenario: Scenario, source: str | None, lines: dict[str, int]) -> None:
    """Build the places graph once to catch disconnected graphs and unreachable cities."""
    from village_sim.world.graph import WorldError, build_graph

    try:
        build_graph(scenario, seed=0)
    except WorldError as exc:
        raise ScenarioError([(exc.path, exc.message)], source, lines) from None
