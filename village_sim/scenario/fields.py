"""A pydantic ``Field`` that carries a parameter's unit and provenance.

Every behavioural default in the scenario schema is declared with :func:`param`, so that the ODD
parameter table (``docs/ODD.md``) can be generated from the schema itself and never drifts from it.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field


class Strict(BaseModel):
    """Base for every scenario section: unknown keys are errors, assignments are validated."""

    model_config = ConfigDict(extra="forbid", validate_assignment=True, allow_inf_nan=False)


def param(
    default: Any,
    unit: str,
    provenance: str,
    description: str,
    **constraints: Any,
) -> Any:
    """Declare a scenario parameter with its unit and provenance.

    Args:
        default: The default value (immutable values only; use ``default_factory`` otherwise).
        unit: Unit of measure, e.g. ``"yuan/kg"``, ``"share"``, ``"1/week"``.
        provenance: Where the default comes from: ``"paper §3.1"``, ``"literature: <source>"``,
            ``"derived: <how>"``, ``"assumed"`` or ``"calibrated"``.
        description: What the parameter means, one sentence.
        **constraints: Pydantic constraints such as ``ge``, ``le``, ``gt``.

    Returns:
        A pydantic ``FieldInfo``.
    """
    extra = {"unit": unit, "provenance": provenance}
    if callable(default) and not isinstance(default, type):
        return Field(
            default_factory=default,
            description=description,
            json_schema_extra=extra,
            **constraints,
        )
    return Field(default, description=description, json_schema_extra=extra, **constraints)


def share(default: float, provenance: str, description: str) -> Any:
    """A parameter that is a share in [0, 1]."""
    return param(default, "share", provenance, description, ge=0.0, le=1.0)
