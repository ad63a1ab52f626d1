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
from collections.abc import Callable
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from village_sim.scenario.annotations import (
    allowed_keys,
    descend,
    models_in,
    tags,
    unwrap,
)
from village_sim.scenario.errors import (
    CombinedScenarioError,
    ScenarioError,
    expected_one_of,
    short_repr,
    type_name,
)
from village_sim.scenario.overrides import apply_overrides, blame_overrides, set_path
from village_sim.scenario.schema import Scenario
from village_sim.scenario.yaml_read import read_yaml

__all__ = [
    "Check",
    "allowed_keys",
    "deep_merge",
    "load_scenario",
    "resolve_scenario",
    "set_path",
    "validate_dict",
]

Check = Callable[[Scenario], list[tuple[str, str]]]
"""A check of a validated scenario beyond its schema: ``(field path, message)`` problems."""


def load_scenario(
    path: str | Path | Scenario | None = None,
    overrides: list[str] | str | dict[str, Any] | None = None,
    check: Check | None = None,
) -> Scenario:
    """Load and validate a scenario file (the schema; ``check`` for more).

    :func:`village_sim.load_scenario` is this with the world's check
    (:func:`village_sim.world.check.world_problems`): use that one for a scenario to run.

    Args:
        path: A YAML scenario file; ``None`` gives the defaults; a :class:`Scenario` is the
            starting point itself (its overrides are applied and the result validated again). A
            file may start from another with ``extends: OTHER.yaml`` (relative to the file): it
            is merged onto that one.
        overrides: ``["a.b=value", ...]`` (values parsed as YAML), one such string, or
            ``{"a.b": value}``. List items are reached by index or by name
            (``policies.NAME.field``); a policy's measures also directly
            (``policies.NAME.training.seats_per_year``).
        check: Run on the validated scenario; its problems are reported like the schema's
            (file, line, field; blamed on an override when one set the field).

    Returns:
        The validated scenario.

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
    overridden = apply_overrides(merged, overrides, source)
    try:
        _check_bools(merged, source, lines)
        scenario = validate_dict(merged, source, lines)
        _check_finite(scenario.model_dump(), source, lines)
        if check is not None:
            problems = check(scenario)
            if problems:
                raise ScenarioError(problems, source, lines)
    except ScenarioError as exc:
        raise blame_overrides(exc, overridden) from None
    return scenario


def resolve_scenario(
    scenario: str | Path | Scenario | None = None,
    fields: dict[str, Any] | None = None,
    check: Check | None = None,
) -> Scenario:
    """The scenario a model is built from, as Mesa models take their parameters.

    Args:
        scenario: A :class:`Scenario`, the path of a scenario file, or ``None`` for the defaults
            (the baseline county).
        fields: Scenario fields as keyword arguments, ``__`` standing for a dot
            (``{"training__seats_per_year": 200}``); applied like ``--set`` overrides.
        check: As for :func:`load_scenario`.

    Returns:
        The validated scenario (``scenario`` itself when it is one and no field is given).

    Raises:
        ScenarioError: An unreadable file, an unknown field or an invalid value.
    """
    overrides = {key.replace("__", "."): value for key, value in (fields or {}).items()}
    if isinstance(scenario, Scenario) and not overrides:
        return scenario
    return load_scenario(scenario, overrides=overrides or None, check=check)


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
                    f"{short_repr(parent_name)}",
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
    try:
        base, _ = _read_scenario_file(parent, here)
    except ScenarioError as exc:
        extended_by = ScenarioError(
            [("extends", f"the file this scenario extends ({parent_name}) is invalid (above)")],
            str(path),
            dict(lines),
        )
        raise CombinedScenarioError([exc, extended_by]) from None
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
            [("", f"expected a mapping of sections (name:, world:, ...), got {type_name(data)}")],
            str(path),
        )
    return data, lines


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
            shown = "" if isinstance(got, dict | list) else f" (got {short_repr(got)})"
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
        models = models_in(annotation) if annotation is not None else []
        is_field = any(part in m.model_fields for m in models)
        if (
            len(models) > 1
            and not is_field
            and any(part in values for m in models for values in tags(m).values())
        ):
            annotation = descend(annotation, part)  # the union member named by its tag
            continue
        out.append(part)
        annotation = descend(annotation, part) if annotation is not None else None
    return out


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
                    descend(annotation, key, value),
                    f"{path}.{key}" if path else key,
                    problems,
                )
    elif isinstance(value, list):
        inner = descend(annotation, "0")
        for i, item in enumerate(value):
            _walk_bools(item, inner, f"{path}.{i}" if path else str(i), problems)


def _admits_bool(annotation: Any) -> bool:
    """Tell whether a boolean is acceptable (pydantic would quietly make it 1 or 0)."""
    annotation = unwrap(annotation)
    if annotation in (int, float, type(None)):
        return False
    if typing.get_origin(annotation) in (typing.Union, types.UnionType):
        return any(_admits_bool(a) for a in typing.get_args(annotation))
    # bool, models, containers, strings, literals: pydantic decides by itself.
    return True


def _expected(annotation: Any) -> str:
    annotation = unwrap(annotation)
    if annotation is int:
        return "an integer"
    if annotation is float:
        return "a number"
    args = [a for a in typing.get_args(annotation) if a is not type(None)]
    return " or ".join(_expected(a) for a in args) if args else str(annotation)


LARGEST = 1e12
"""No scenario number may exceed this in magnitude (larger ones overflow the model's sums)."""
SMALLEST = 1e-12
"""No scenario number other than 0 may be smaller than this in magnitude (subnormal numbers
and their like turn into infinities once divided by)."""


def _check_finite(value: Any, source: str | None, lines: dict[str, int]) -> None:
    """Reject ``.nan``/``.inf`` and numbers beyond what a run can compute with, anywhere."""
    problems: list[tuple[str, str]] = []

    def walk(item: Any, where: str) -> None:
        if isinstance(item, bool):
            return
        if isinstance(item, float) and not math.isfinite(item):
            problems.append((where, f"expected a finite number, got {item}"))
        elif isinstance(item, int | float) and abs(item) > LARGEST:
            problems.append((where, f"expected a number of at most {LARGEST:g}, got {item:g}"))
        elif isinstance(item, float) and 0 < abs(item) < SMALLEST:
            problems.append(
                (where, f"expected 0 or a number of at least {SMALLEST:g} in size, got {item:g}")
            )
        elif isinstance(item, dict):
            for key, sub in item.items():
                walk(sub, f"{where}.{key}" if where else str(key))
        elif isinstance(item, list | tuple):
            for i, sub in enumerate(item):
                walk(sub, f"{where}.{i}" if where else str(i))

    walk(value, "")
    if problems:
        raise ScenarioError(problems, source, dict(lines))
