"""The world's check (``world/check.py``): a places graph needs villages, a station, a hub and a
city, all connected; ``village-sim validate``/``run`` report a failing world with exit 2 naming the
file, line and field. The scenario package itself imports nothing of the world."""

from __future__ import annotations

import ast
import copy
from pathlib import Path

import pytest
from conftest import EXPLICIT_WORLD, call_cli, small_with, write_yaml

import village_sim
from village_sim.scenario.errors import ScenarioError
from village_sim.scenario.load import load_scenario as load_schema_only
from village_sim.world.check import WorldError, check_places
from village_sim.world.graph import build_graph

PACKAGE = Path(village_sim.__file__).parent


def _without(kind: str) -> dict:
    """The explicit test world without its places of ``kind`` (roads rerouted around them)."""
    world = copy.deepcopy(EXPLICIT_WORLD)
    gone = {n["id"] for n in world["nodes"] if n["kind"] == kind}
    world["nodes"] = [n for n in world["nodes"] if n["id"] not in gone]
    ids = [n["id"] for n in world["nodes"]]
    # a chain through what is left keeps the graph connected
    world["edges"] = [{"u": a, "v": b, "km": 10} for a, b in zip(ids, ids[1:], strict=False)]
    return world


@pytest.mark.parametrize(("kind", "says"), [("county_hub", "hub"), ("township", "station")])
def test_a_world_without_a_hub_or_station_is_refused(tmp_path: Path, kind: str, says: str) -> None:
    path = write_yaml(tmp_path / "s.yaml", small_with(world=_without(kind)))
    with pytest.raises(ScenarioError) as info:
        village_sim.load_scenario(path)
    assert info.value.problems[0][0] == "world.nodes"
    assert says in info.value.problems[0][1]
    result = call_cli(["run", path, "--steps", "2", "--out", tmp_path / "out"])
    assert result.code == 2 and "Traceback" not in result.err
    assert f"{path}:" in result.err and "world.nodes" in result.err
    assert not (tmp_path / "out").exists()


def test_every_built_graph_is_checked() -> None:
    scenario = load_schema_only(overrides={"world": _without("county_hub")})
    with pytest.raises(WorldError, match="hub"):
        build_graph(scenario, seed=0)


def test_check_places_accepts_the_test_world() -> None:
    scenario = village_sim.load_scenario(overrides={"world": copy.deepcopy(EXPLICIT_WORLD)})
    check_places(build_graph(scenario, seed=0))


def _imports(module: Path) -> set[str]:
    tree = ast.parse(module.read_text(encoding="utf-8"))
    out: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module:
            out.add(node.module)
        elif isinstance(node, ast.Import):
            out.update(alias.name for alias in node.names)
    return out


def test_scenario_imports_nothing_else_of_the_package() -> None:
    for module in sorted((PACKAGE / "scenario").glob("*.py")):
        other = {
            name
            for name in _imports(module)
            if name.startswith("village_sim") and not name.startswith("village_sim.scenario")
        }
        assert not other, (module.name, other)


def test_overrides_live_in_their_own_module_and_old_names_keep_working() -> None:
    from village_sim.scenario import load, overrides

    assert load.set_path is overrides.set_path
    assert "set_path" in load.__all__ and "allowed_keys" in load.__all__
    data = {"population": {"youth": 1}}
    assert overrides.apply_overrides(data, ["population.youth=7"]) == {
        "population.youth": "--set population.youth=7"
    }
    assert data["population"]["youth"] == 7
