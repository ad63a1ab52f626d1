"""The ODD parameter table, generated from the scenario schema.

Every behavioural default of a scenario is declared with :func:`~village_sim.scenario.fields.param`
or :func:`~village_sim.scenario.fields.share`, which store its unit and provenance in the field's
``json_schema_extra`` and its meaning in the field's description. :func:`parameter_table` walks
the *default* :class:`~village_sim.scenario.schema.Scenario` recursively (nested sections and the
default entries of catalogue fields: ``products``, ``tools.catalogue``, ``world.terrain``, the two
courses of ``training``; where the default scenario holds no instance, such as the measures of a
policy, the model class with its own defaults) and writes one Markdown row per parameter: dotted
path, default, unit, meaning, provenance. ``docs/ODD.md`` carries the table between the marker
lines :data:`START` and :data:`END`; ``tests/test_docs.py`` fails when the two differ.

Where a catalogue entry sets a value that differs from its field's own default (tea's farm-gate
price, the standard course's length ...), the default cell reads ``200.0 † (field: 6.0)``: the
provenance text was written for the field's own default and need not describe the entry's value.

Run ``python -m village_sim.scenario.doc_table`` to print the table, or
``python -m village_sim.scenario.doc_table --write docs/ODD.md`` to replace the block between the
markers in place.
"""

from __future__ import annotations

import argparse
import sys
import typing
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import BaseModel
from pydantic.fields import FieldInfo

from village_sim.scenario.schema import Scenario

START = "<!-- parameter-table:start -->"
END = "<!-- parameter-table:end -->"
COLUMNS = ("name", "default", "unit", "meaning", "provenance")
DAGGER = "†"


@dataclass(frozen=True)
class ParameterRow:
    """One documented parameter of the scenario.

    Attributes:
        name: Dotted path from the scenario root, e.g. ``products.kiwi.city_price``. Items of a
            list are written ``<name>`` (addressed by their ``name``, as ``--set`` does) or
            ``<i>``, entries of an empty dictionary ``<key>``.
        value: The value in the default scenario (the field's own default where the default
            scenario holds no instance, e.g. the measures of a policy).
        field_default: The field's own default (differs from ``value`` inside catalogue entries).
        unit: Unit of measure.
        meaning: The field's description.
        provenance: Where the field's own default comes from.
        owner: The pydantic model class that declares the field.
    """

    name: str
    value: Any
    field_default: Any
    unit: str
    meaning: str
    provenance: str
    owner: type[BaseModel]

    @property
    def overridden(self) -> bool:
        """Whether the default scenario sets a value other than the field's own default."""
        return _comparable(self.value) != _comparable(self.field_default)


def param_metadata(info: FieldInfo) -> dict[str, str] | None:
    """Return the unit and provenance of a ``param``/``share`` field (else ``None``)."""
    extra = info.json_schema_extra
    if isinstance(extra, dict) and ("unit" in extra or "provenance" in extra):
        return {"unit": str(extra.get("unit", "")), "provenance": str(extra.get("provenance", ""))}
    return None


def _field_default(info: FieldInfo) -> Any:
    return info.get_default(call_default_factory=True)


def _model_classes(annotation: Any) -> list[type[BaseModel]]:
    """Model classes inside an annotation (``M | None``, ``list[A | B]``, ``Annotated[...]``)."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return [annotation]
    out: list[type[BaseModel]] = []
    for arg in typing.get_args(annotation):
        for cls in _model_classes(arg):
            if cls not in out:
                out.append(cls)
    return out


def _item_placeholder(annotation: Any, classes: list[type[BaseModel]]) -> str:
    origin = typing.get_origin(annotation)
    if origin is dict:
        return ".<key>"
    if origin in (list, tuple, set):
        named = all("name" in cls.model_fields for cls in classes)
        return ".<name>" if named else ".<i>"
    return ""


def iter_parameters(model: BaseModel | None = None, prefix: str = "") -> Iterator[ParameterRow]:
    """Every ``param``/``share`` field reachable from a model instance, depth first.

    Nested models are entered; so is every model held in a dictionary (catalogue entries, keyed by
    name in the dictionary's own order). Where the default scenario holds no instance (an optional
    section left out, the items of an empty list such as ``policies``), the model *class* is
    walked instead and its fields' own defaults are shown.

    Args:
        model: The instance to walk (default: ``Scenario()``, the default scenario).
        prefix: Dotted path of ``model`` (empty at the root).

    Yields:
        One :class:`ParameterRow` per documented parameter, each dotted name once.
    """
    if model is None:
        model = Scenario()
    seen: set[str] = set()
    for row in _walk(type(model), model, prefix, ()):
        if row.name not in seen:
            seen.add(row.name)
            yield row


def _walk(
    cls: type[BaseModel],
    instance: BaseModel | None,
    prefix: str,
    stack: tuple[type[BaseModel], ...],
) -> Iterator[ParameterRow]:
    stack = (*stack, cls)
    for name, info in cls.model_fields.items():
        path = f"{prefix}.{name}" if prefix else name
        default = _field_default(info)
        value = getattr(instance, name) if instance is not None else default
        meta = param_metadata(info)
        if meta is not None:
            yield ParameterRow(
                name=path,
                value=value,
                field_default=default,
                unit=meta["unit"],
                meaning=info.description or "",
                provenance=meta["provenance"],
                owner=cls,
            )
        elif isinstance(value, BaseModel):
            yield from _walk(type(value), value, path, stack)
        elif (
            isinstance(value, dict)
            and value
            and all(isinstance(v, BaseModel) for v in value.values())
        ):
            for key, entry in value.items():
                yield from _walk(type(entry), entry, f"{path}.{key}", stack)
        else:
            classes = [c for c in _model_classes(info.annotation) if c not in stack]
            suffix = _item_placeholder(info.annotation, classes)
            for sub in classes:
                yield from _walk(sub, None, path + suffix, stack)


def _comparable(value: Any) -> Any:
    if isinstance(value, tuple | list):
        return [_comparable(v) for v in value]
    if isinstance(value, dict):
        return {k: _comparable(v) for k, v in value.items()}
    if isinstance(value, bool):
        return value
    if isinstance(value, int | float):
        return float(value)
    return value


def _ranges(numbers: list[int]) -> str:
    """``[0, 1, 2, 5]`` → ``0..2, 5`` (runs of consecutive integers, in sorted order)."""
    runs: list[list[int]] = []
    for n in sorted(numbers):
        if runs and n == runs[-1][1] + 1:
            runs[-1][1] = n
        else:
            runs.append([n, n])
    return ", ".join(str(a) if a == b else f"{a}..{b}" for a, b in runs)


def format_value(value: Any) -> str:
    """Format a default value as a short, stable string (YAML-like spelling for booleans)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, int):
        return str(value)
    if isinstance(value, str):
        return value
    if isinstance(value, tuple):
        return "(" + ", ".join(format_value(v) for v in value) + ")"
    if isinstance(value, list):
        if len(value) > 3 and all(isinstance(v, int) and not isinstance(v, bool) for v in value):
            return "[" + _ranges(value) + "]"
        return "[" + ", ".join(format_value(v) for v in value) + "]"
    if isinstance(value, dict):
        return "; ".join(f"{k}: {_dict_item(v)}" for k, v in value.items())
    return str(value)


def _dict_item(value: Any) -> str:
    if isinstance(value, list):
        return ", ".join(format_value(v) for v in value)
    return format_value(value)


def _cell(text: str) -> str:
    return " ".join(str(text).split()).replace("|", "\\|")


def parameter_table() -> str:
    """Build the Markdown parameter table of the default scenario.

    Returns:
        A header, a separator and one row per parameter (columns name, default, unit, meaning,
        provenance), joined by newlines, without a trailing newline.
    """
    lines = ["| " + " | ".join(COLUMNS) + " |", "|" + "---|" * len(COLUMNS)]
    for row in iter_parameters():
        default = format_value(row.value)
        if row.overridden:
            default = f"{default} {DAGGER} (field: {format_value(row.field_default)})"
        cells = (f"`{row.name}`", default, row.unit, row.meaning, row.provenance)
        lines.append("| " + " | ".join(_cell(c) for c in cells) + " |")
    return "\n".join(lines)


def table_in_document(text: str) -> str | None:
    """Return the text between a document's table markers (stripped), or ``None``."""
    start = text.find(START)
    end = text.find(END)
    if start < 0 or end < start:
        return None
    return text[start + len(START) : end].strip()


def replace_table(text: str, table: str) -> str:
    """Return the document with the block between the markers replaced by ``table``.

    Raises:
        ValueError: When the document lacks the marker lines.
    """
    start = text.find(START)
    end = text.find(END)
    if start < 0 or end < start:
        raise ValueError(f"markers {START!r} and {END!r} not found in order")
    return text[: start + len(START)] + "\n" + table + "\n" + text[end:]


def main(argv: list[str] | None = None) -> int:
    """Print the parameter table, or write it into a document between its markers."""
    parser = argparse.ArgumentParser(
        prog="python -m village_sim.scenario.doc_table",
        description="Print the ODD parameter table generated from the scenario schema.",
    )
    parser.add_argument(
        "--write",
        type=Path,
        metavar="DOC",
        help="replace the table between the markers of DOC (e.g. docs/ODD.md)",
    )
    args = parser.parse_args(argv)
    table = parameter_table()
    if args.write is None:
        print(table)
        return 0
    doc: Path = args.write
    doc.write_text(replace_table(doc.read_text(encoding="utf-8"), table), encoding="utf-8")
    print(f"parameter table written to {doc}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
