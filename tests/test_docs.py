"""The ODD document stays in step with the scenario schema.

- The parameter table in ``docs/ODD.md`` is exactly what the schema generates.
- Every ``param``/``share`` field carries a unit, a provenance and a meaning.
- Every field that carries them reaches the table (none hides where the walk cannot reach).
- Every ``PARAMETERS.md §N`` a provenance cites has its sources listed in the ODD "Sources" section.
"""

from __future__ import annotations

import difflib
import re
import types
import typing
from pathlib import Path
from typing import Any

import pytest
from pydantic import BaseModel

from village_sim.scenario.doc_table import (
    END,
    START,
    format_value,
    iter_parameters,
    param_metadata,
    parameter_table,
    replace_table,
    table_in_document,
)
from village_sim.scenario.schema import Scenario

ODD = Path(__file__).resolve().parents[1] / "docs" / "ODD.md"
REGENERATE = ".venv/bin/python -m village_sim.scenario.doc_table --write docs/ODD.md"


def _model_classes(root: type[BaseModel]) -> list[type[BaseModel]]:
    """Every pydantic model class reachable from ``root`` through field annotations."""
    seen: list[type[BaseModel]] = []

    def visit(annotation: Any) -> None:
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            if annotation in seen:
                return
            seen.append(annotation)
            for info in annotation.model_fields.values():
                visit(info.annotation)
            return
        origin = typing.get_origin(annotation)
        if origin is not None or isinstance(annotation, types.UnionType):
            for arg in typing.get_args(annotation):
                visit(arg)

    visit(root)
    return seen


def _param_fields() -> list[tuple[type[BaseModel], str]]:
    return [
        (cls, name)
        for cls in _model_classes(Scenario)
        for name, info in cls.model_fields.items()
        if param_metadata(info) is not None
    ]


def test_parameter_table_matches_odd() -> None:
    text = ODD.read_text(encoding="utf-8")
    in_doc = table_in_document(text)
    assert in_doc is not None, (
        f"{ODD} lacks the marker lines {START!r} and {END!r} around the parameter table"
    )
    expected = parameter_table()
    if in_doc != expected:
        diff = "\n".join(
            difflib.unified_diff(
                in_doc.splitlines(),
                expected.splitlines(),
                "docs/ODD.md",
                "parameter_table()",
                lineterm="",
                n=0,
            )
        )
        lines = diff.splitlines()
        shown = "\n".join(lines[:40]) + ("\n..." if len(lines) > 40 else "")
        pytest.fail(
            "The parameter table in docs/ODD.md differs from the scenario schema. "
            f"Regenerate it with:\n    {REGENERATE}\n{shown}"
        )


def test_every_param_has_unit_provenance_and_meaning() -> None:
    fields = _param_fields()
    assert len(fields) > 100, "expected the scenario schema to declare its parameters with param()"
    problems = []
    for cls, name in fields:
        info = cls.model_fields[name]
        meta = param_metadata(info)
        assert meta is not None
        empty = [
            what
            for what, text in (
                ("unit", meta["unit"]),
                ("provenance", meta["provenance"]),
                ("description", info.description or ""),
            )
            if not text.strip()
        ]
        if empty:
            problems.append(f"{cls.__name__}.{name}: empty {', '.join(empty)}")
    assert not problems, "param()/share() fields without " + "; ".join(problems)


def test_table_reaches_every_param_field() -> None:
    """A param declared in a model the walk cannot reach would silently miss the table."""
    reached = {(row.owner, row.name.rsplit(".", 1)[-1]) for row in iter_parameters()}
    missing = [
        f"{cls.__name__}.{name}" for cls, name in _param_fields() if (cls, name) not in reached
    ]
    assert not missing, f"param fields missing from the parameter table: {', '.join(missing)}"
    names = [row.name for row in iter_parameters()]
    assert len(names) == len(set(names)), "duplicate dotted names in the parameter table"


def test_parameters_md_references_have_sources() -> None:
    text = ODD.read_text(encoding="utf-8")
    _, sep, sources = text.partition("\n## 10 Sources")
    assert sep, "docs/ODD.md has no '## 10 Sources' section"
    cited = {
        m for row in iter_parameters() for m in re.findall(r"PARAMETERS\.md §(\d+)", row.provenance)
    }
    assert cited
    listed = set(re.findall(r"^### PARAMETERS\.md §(\d+)", sources, flags=re.MULTILINE))
    missing = sorted(cited - listed, key=int)
    assert not missing, (
        "provenances cite PARAMETERS.md sections whose sources are not listed in the ODD "
        f"'Sources' section: {', '.join('§' + m for m in missing)}"
    )


def test_format_and_replace() -> None:
    assert format_value(list(range(36, 48))) == "[36..47]"
    assert format_value(list(range(0, 3)) + list(range(40, 52))) == "[0..2, 40..51]"
    assert format_value(True) == "true"
    assert format_value((300.0, 1200.0)) == "(300.0, 1200.0)"
    doc = f"intro\n{START}\nold\n{END}\noutro\n"
    new = replace_table(doc, "| a |")
    assert table_in_document(new) == "| a |"
    assert new.startswith("intro\n") and new.endswith(f"{END}\noutro\n")
    with pytest.raises(ValueError):
        replace_table("no markers", "| a |")
