"""Walking the scenario schema's type annotations (models, containers, unions, tags).

Used to reach a field by its dotted path (overrides) and to explain errors; it understands
``Annotated``, ``Literal`` tags of discriminated unions, lists and dicts.

The walks are cached per annotation (they run once per value of a scenario, which may hold
many thousands of policies).
"""

from __future__ import annotations

import functools
import types
import typing
from typing import Any

from pydantic import BaseModel


def allowed_keys(model: type[BaseModel], loc: list[str]) -> list[str]:
    """Field names allowed at ``loc`` inside ``model`` (empty when not a model there)."""
    annotation: Any = model
    for part in loc:
        annotation = descend(annotation, part)
        if annotation is None:
            return []
    return fields_at(annotation) or []


def unwrap(annotation: Any) -> Any:
    """The annotation without its ``Annotated`` layers."""
    while typing.get_origin(annotation) is typing.Annotated:
        annotation = typing.get_args(annotation)[0]
    return annotation


def is_union(annotation: Any) -> bool:
    """Whether the annotation is a union (``A | B``)."""
    return typing.get_origin(annotation) in (typing.Union, types.UnionType)


def is_container(annotation: Any) -> bool:
    """Whether the annotation is a list, tuple or dict."""
    return typing.get_origin(unwrap(annotation)) in (list, tuple, dict)


def models_in(annotation: Any) -> list[type[BaseModel]]:
    """The model classes a value of this annotation can be (one, or the models of a union)."""
    cached = _MODELS.get(id(annotation))
    if cached is not None and cached[0] is annotation:
        return cached[1]
    found = _models_in(annotation)
    _MODELS[id(annotation)] = (annotation, found)  # the annotation is kept alive with it
    return found


_MODELS: dict[int, tuple[Any, list[type[BaseModel]]]] = {}


def _models_in(annotation: Any) -> list[type[BaseModel]]:
    annotation = unwrap(annotation)
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return [annotation]
    if is_union(annotation):
        return [m for arg in typing.get_args(annotation) for m in models_in(arg)]
    return []


@functools.cache
def tags(model: type[BaseModel]) -> dict[str, tuple[Any, ...]]:
    """A model's fields that only take literal values (discriminators such as ``path``)."""
    out = {}
    for name, field in model.model_fields.items():
        annotation = unwrap(field.annotation)
        if typing.get_origin(annotation) is typing.Literal:
            out[name] = typing.get_args(annotation)
    return out


def pick(models: list[type[BaseModel]], data: Any) -> list[type[BaseModel]]:
    """The members of a union of models that ``data`` can be (by their literal tags)."""
    if len(models) <= 1 or not isinstance(data, dict):
        return models
    chosen = [
        m for m in models if all(data[k] in values for k, values in tags(m).items() if k in data)
    ]
    return chosen or models


def fields_at(annotation: Any, data: Any = None) -> list[str] | None:
    """Field names where the annotation is a model (fixed fields), else ``None``."""
    if annotation is None or is_container(annotation):
        return None
    models = pick(models_in(annotation), data)
    if not models:
        return None
    names: dict[str, None] = {}
    for model in models:
        names.update(dict.fromkeys(model.model_fields))
    return list(names)


def descend(annotation: Any, part: str, data: Any = None) -> Any:
    """The annotation one step down: a field, a list item, a dict value or a union's member.

    ``data`` (the value at ``annotation``) picks the member of a discriminated union.
    """
    annotation = unwrap(annotation)
    origin = typing.get_origin(annotation)
    args = typing.get_args(annotation)
    if origin in (list, tuple) and args:
        return args[0]
    if origin is dict and len(args) == 2:
        return args[1]
    models = pick(models_in(annotation), data)
    if models:
        for model in models:
            field = model.model_fields.get(part)
            if field is not None:
                return field.annotation
        if len(models) > 1:  # pydantic names the member of a tagged union by its tag
            for model in models:
                if any(part in values for values in tags(model).values()):
                    return model
        return None
    if is_union(annotation):
        for arg in args:
            found = descend(arg, part, data)
            if found is not None:
                return found
    return None
