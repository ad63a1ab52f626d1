"""Named alternatives (governance paths): one point per path, each its own scenario/overrides."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from village_sim.batch.design.base import DesignPoints
from village_sim.batch.experiment import Experiment, PathsDesign


def build(name: str, design: PathsDesign, experiment: Experiment, offset: int = 0) -> DesignPoints:
    """One point per path, in the file's order; the factor column ``path`` holds its name."""
    names = list(design.paths)
    base = experiment.base_scenario()

    def values(i: int) -> dict[str, Any]:
        return {"path": names[i]}

    def locate(i: int) -> tuple[Path, dict[str, Any]]:
        spec = design.paths[names[i]]
        file = experiment.resolve_file(spec.scenario) if spec.scenario else base
        if not (file is not None):
            raise RuntimeError("internal error: expected file is not None")
        return file, dict(spec.overrides)

    return DesignPoints(
        name,
        "paths",
        ["path"],
        len(names),
        offset,
        values,
        locate,
        experiment,
        settings=design.model_dump(mode="json"),
    )
