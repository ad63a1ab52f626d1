"""Bad input: every kind of invalid scenario or option gets exit code 2 and a message that names the
file, the field path and what was expected — never a traceback, never a run folder."""

from __future__ import annotations

import copy
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml
from conftest import EXPLICIT_WORLD, SMALL_SCENARIO, call_cli, leftovers, small_with, write_yaml

import village_sim
from village_sim.run import load_scenario
from village_sim.scenario.errors import ScenarioError


@dataclass(frozen=True)
class Bad:
    """An invalid scenario file and what its message must say."""

    id: str
    text: str
    path: str  # the field path the message must name ("" = the file as a whole)
    expected: tuple[str, ...]  # fragments of "what was expected"
    line: int | None = None  # the line the message must point at, when known


def _yaml(data: Any) -> str:
    return yaml.safe_dump(data, sort_keys=False)


def _explicit(**changes: Any) -> str:
    world = copy.deepcopy(EXPLICIT_WORLD)
    world.update(changes)
    return _yaml(small_with(world=world))


def _without_edge(index: int) -> list[dict[str, Any]]:
    return [e for i, e in enumerate(EXPLICIT_WORLD["edges"]) if i != index]


def _nodes_with(index: int, **changes: Any) -> list[dict[str, Any]]:
    nodes = copy.deepcopy(EXPLICIT_WORLD["nodes"])
    nodes[index].update(changes)
    return [{k: v for k, v in n.items() if v is not None} for n in nodes]


BAD_FILES = [
    Bad("yaml-syntax", "name: small\nsteps: [1, 2\n", "", ("YAML syntax error",), line=3),
    Bad("yaml-tab-indent", "population:\n\tyouth: 3\n", "", ("YAML syntax error",)),
    Bad("not-a-mapping", "- a\n- b\n", "", ("expected a mapping of sections",)),
    Bad("scalar-document", "just words\n", "", ("expected a mapping of sections",)),
    Bad(
        "unknown-top-key",
        "name: x\nnme: y\n",
        "nme",
        ("unknown key 'nme'", "expected one of:", "name", "population", "world"),
        line=2,
    ),
    Bad(
        "unknown-nested-key",
        "population:\n  farmer_househlds: 3\n",
        "population.farmer_househlds",
        ("unknown key 'farmer_househlds'", "farmer_households", "consumer_units"),
        line=2,
    ),
    Bad(
        "unknown-key-in-catalogue-entry",
        "products:\n  kiwi:\n    colour: green\n",
        "products.kiwi.colour",
        ("unknown key 'colour'", "farm_gate_price"),
        line=3,
    ),
    Bad(
        "unknown-key-in-explicit-node",
        _explicit(nodes=_nodes_with(0, colour="red")),
        "world.nodes.0.colour",
        ("unknown key 'colour'", "terrain", "products"),
    ),
    Bad("wrong-type-int", "steps: many\n", "steps", ("valid integer", "'many'"), line=1),
    Bad("wrong-type-section", "population: 12\n", "population", ("dictionary",), line=1),
    Bad(
        "wrong-type-list",
        "products:\n  kiwi:\n    harvest_weeks: soon\n",
        "products.kiwi.harvest_weeks",
        ("list",),
    ),
    Bad("bool-for-int", "steps: true\n", "steps", ("expected an integer", "boolean")),
    Bad(
        "negative-population",
        "population:\n  farmer_households: -10\n",
        "population.farmer_households",
        ("greater than or equal to 0", "-10"),
        line=2,
    ),
    Bad(
        "share-above-one",
        "farmers:\n  elderly_share: 1.5\n",
        "farmers.elderly_share",
        ("less than or equal to 1", "1.5"),
        line=2,
    ),
    Bad(
        "share-above-one-nested",
        "world:\n  county:\n    cold_chain_village_share: 2\n",
        "world.county.cold_chain_village_share",
        ("less than or equal to 1",),
        line=3,
    ),
    Bad(
        "infinite-number",
        "products:\n  kiwi:\n    city_price: .inf\n",
        "products.kiwi.city_price",
        ("finite number",),
    ),
    Bad(
        "nan-share-mix",
        "world:\n  county:\n    terrain_mix: {plain: .nan, hill: 1}\n",
        "world.county.terrain_mix.plain",
        ("finite number",),
    ),
    Bad("steps-zero", "steps: 0\n", "steps", ("greater than or equal to 1",)),
    Bad(
        "unknown-terrain",
        "world:\n  county:\n    terrain_mix: {desert: 1}\n",
        "world.county.terrain_mix.desert",
        ("plain", "hill", "mountain"),
    ),
    Bad(
        "explicit-without-nodes",
        "world:\n  generator: explicit\n",
        "world",
        ("needs a list of nodes",),
    ),
    Bad(
        "explicit-disconnected", _explicit(edges=_without_edge(1)), "world.edges", ("disconnected",)
    ),
    Bad(
        "explicit-city-unreachable",
        _explicit(
            nodes=[
                *EXPLICIT_WORLD["nodes"],
                {"id": 5, "kind": "city"},
                {"id": 6, "kind": "county_hub"},
            ],
            edges=[*EXPLICIT_WORLD["edges"], {"u": 5, "v": 6, "km": 100}],
        ),
        "world.edges",
        ("city 5 has no route to any village",),
    ),
    Bad(
        "explicit-unknown-node-in-edge",
        _explicit(edges=[*_without_edge(3), {"u": 3, "v": 42, "km": 500}]),
        "world.edges.3.v",
        ("unknown node id 42",),
    ),
    Bad(
        "explicit-duplicate-id",
        _explicit(nodes=_nodes_with(4, id=3)),
        "world.nodes.4.id",
        ("duplicate node id 3",),
    ),
    Bad(
        "explicit-self-loop",
        _explicit(edges=[*_without_edge(1), {"u": 1, "v": 1, "km": 5}]),
        "world.edges.3",
        ("two different places",),
    ),
    Bad(
        "explicit-village-without-terrain",
        _explicit(nodes=_nodes_with(1, terrain=None)),
        "world.nodes.1",
        ("terrain",),
    ),
    Bad(
        "explicit-village-without-products",
        _explicit(nodes=_nodes_with(0, products=None)),
        "world.nodes.0",
        ("at least one product",),
    ),
    Bad(
        "explicit-node-without-id",
        _explicit(nodes=_nodes_with(2, id=None)),
        "world.nodes.2.id",
        ("required",),
    ),
    Bad(
        "explicit-unknown-kind",
        _explicit(nodes=_nodes_with(2, kind="castle")),
        "world.nodes.2.kind",
        ("village", "township", "county_hub", "city"),
    ),
    Bad(
        "explicit-unknown-product",
        _explicit(nodes=_nodes_with(0, products=["mango"])),
        "world.nodes",
        ("unknown product", "mango"),
    ),
    Bad(
        "explicit-negative-km",
        _explicit(edges=[*_without_edge(0), {"u": 0, "v": 2, "km": -3}]),
        "world.edges.3.km",
        ("greater than 0",),
    ),
    Bad(
        "explicit-no-city",
        _explicit(nodes=EXPLICIT_WORLD["nodes"][:4], edges=EXPLICIT_WORLD["edges"][:3]),
        "world.nodes",
        ("at least one city",),
    ),
    Bad(
        "policy-ends-before-start",
        _yaml({"policies": [{"name": "p", "path": "talent", "start_week": 10, "end_week": 5}]}),
        "policies.0",
        ("end_week must be after start_week",),
    ),
    Bad(
        "policy-duplicate-names",
        _yaml({"policies": [{"name": "p", "path": "talent"}, {"name": "p", "path": "talent"}]}),
        "policies",
        ("unique", "p"),
    ),
    Bad(
        "policy-unknown-path",
        _yaml({"policies": [{"name": "p", "path": "magic"}]}),
        "policies.0",
        ("talent", "infrastructure"),
    ),
]


def _check_message(message: str, file: Path, bad: Bad) -> None:
    assert str(file) in message
    assert "Traceback" not in message
    if bad.path:
        assert f": {bad.path}" in message or f" {bad.path}:" in message, message
    for fragment in bad.expected:
        assert fragment in message, f"{fragment!r} not in {message!r}"
    if bad.line is not None:
        assert f"{file}:{bad.line}:" in message, message


@pytest.mark.parametrize("bad", BAD_FILES, ids=[b.id for b in BAD_FILES])
def test_bad_file_raises_scenario_error(tmp_path: Path, bad: Bad) -> None:
    file = tmp_path / "bad.yaml"
    file.write_text(bad.text, encoding="utf-8")
    with pytest.raises(ScenarioError) as info:
        load_scenario(file)
    error = info.value
    assert error.source == str(file)
    paths = [path for path, _ in error.problems]
    assert any(p == bad.path or p.startswith(bad.path + ".") for p in paths), paths
    _check_message(str(error), file, bad)


@pytest.mark.parametrize("command", ["validate", "run"])
@pytest.mark.parametrize("bad", BAD_FILES, ids=[b.id for b in BAD_FILES])
def test_bad_file_exits_2_without_traceback_or_folder(
    tmp_path: Path, bad: Bad, command: str
) -> None:
    file = tmp_path / "bad.yaml"
    file.write_text(bad.text, encoding="utf-8")
    out = tmp_path / "out"
    extra = ["--out", str(out)] if command == "run" else []
    result = call_cli([command, file, *extra])
    assert result.code == 2
    assert result.out == ""
    assert result.err.startswith(f"village-sim {command}: ")
    _check_message(result.err, file, bad)
    assert not out.exists()
    assert leftovers(tmp_path, "bad.yaml") == []


# ------------------------------------------------------------------------------------------
# Files that cannot be read
# ------------------------------------------------------------------------------------------
@pytest.mark.parametrize("command", ["validate", "run"])
def test_missing_file(tmp_path: Path, command: str) -> None:
    missing = tmp_path / "nowhere.yaml"
    out = tmp_path / "out"
    extra = ["--out", str(out)] if command == "run" else []
    result = call_cli([command, missing, *extra])
    assert result.code == 2
    assert str(missing) in result.err and "file not found" in result.err
    assert "Traceback" not in result.err
    assert not out.exists() and leftovers(tmp_path) == []


def test_directory_instead_of_file(tmp_path: Path) -> None:
    result = call_cli(["validate", tmp_path])
    assert result.code == 2
    assert "not a file" in result.err and "Traceback" not in result.err


def test_binary_file(tmp_path: Path) -> None:
    file = tmp_path / "binary.yaml"
    file.write_bytes(b"\xff\xfe\x00\x01garbage")
    result = call_cli(["validate", file])
    assert result.code == 2
    assert "binary.yaml" in result.err and "UTF-8" in result.err
    assert "Traceback" not in result.err


def test_empty_file_is_the_defaults(tmp_path: Path) -> None:
    file = tmp_path / "empty.yaml"
    file.write_text("# nothing but a comment\n")
    assert load_scenario(file) == load_scenario()


def test_every_problem_is_reported_at_once(tmp_path: Path) -> None:
    file = write_yaml(
        tmp_path / "many.yaml",
        {
            "population": {"youth": -1, "farmer_households": "lots"},
            "farmers": {"elderly_share": 3},
            "bogus": 1,
        },
    )
    with pytest.raises(ScenarioError) as info:
        load_scenario(file)
    paths = {path for path, _ in info.value.problems}
    assert paths == {
        "population.youth",
        "population.farmer_households",
        "farmers.elderly_share",
        "bogus",
    }
    assert "(4 problems)" in str(info.value)


# ------------------------------------------------------------------------------------------
# extends: a scenario file that starts from another
# ------------------------------------------------------------------------------------------
def test_extends_merges_onto_the_parent(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "sub").mkdir()
    write_yaml(
        tmp_path / "parent.yaml",
        {
            **SMALL_SCENARIO,
            "policies": [{"name": "a", "path": "talent"}],
            "farmers": {"elderly_share": 0.4},
        },
    )
    child = write_yaml(
        tmp_path / "sub" / "child.yaml",
        {
            "extends": "../parent.yaml",
            "name": "child",
            "population": {"youth": 7},
            "policies": [{"name": "b", "path": "talent"}],
        },
    )
    monkeypatch.chdir(tmp_path / "sub")  # the path is relative to the file, not the cwd
    scenario = load_scenario(child)
    assert scenario.name == "child"
    assert scenario.population.youth == 7
    assert (
        scenario.population.farmer_households == SMALL_SCENARIO["population"]["farmer_households"]
    )
    assert scenario.farmers.elderly_share == 0.4
    assert [p.name for p in scenario.policies] == ["b"]  # lists replace, they do not append
    assert call_cli(["validate", child]).code == 0


@pytest.mark.parametrize(
    "extends, expected",
    [
        ("missing.yaml", "file not found"),
        ("self.yaml", "circle"),
        (12, "expected the path of a scenario file"),
        ("", "expected the path of a scenario file"),
        (".", "file not found"),
    ],
)
def test_bad_extends(tmp_path: Path, extends: Any, expected: str) -> None:
    file = write_yaml(tmp_path / "self.yaml", {"extends": extends, "name": "x"})
    result = call_cli(["run", file, "--out", tmp_path / "out"])
    assert result.code == 2
    assert f"{file}:1: extends: " in result.err and expected in result.err
    assert "Traceback" not in result.err
    assert not (tmp_path / "out").exists()


def test_extends_cycle_of_two_and_bad_parent(tmp_path: Path) -> None:
    a = write_yaml(tmp_path / "a.yaml", {"extends": "b.yaml"})
    write_yaml(tmp_path / "b.yaml", {"extends": "a.yaml"})
    with pytest.raises(ScenarioError, match="a.yaml -> b.yaml -> a.yaml"):
        load_scenario(a)
    write_yaml(tmp_path / "b.yaml", {"population": {"youth": -1}, "bogus": 1})
    with pytest.raises(ScenarioError) as info:
        load_scenario(a)  # a valid child of an invalid parent is invalid
    assert {p for p, _ in info.value.problems} == {"population.youth", "bogus"}
    write_yaml(tmp_path / "b.yaml", {"extends": "c.yaml"})
    (tmp_path / "c.yaml").write_text("steps: [\n")
    with pytest.raises(ScenarioError) as info:
        load_scenario(a)
    assert info.value.source == str(tmp_path / "c.yaml")  # the file with the syntax error


# ------------------------------------------------------------------------------------------
# --set
# ------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class BadSet:
    """A bad ``--set`` and what its message must say."""

    id: str
    item: str
    path: str
    expected: tuple[str, ...]


BAD_SETS = [
    BadSet("no-equals", "population.youth", "population.youth", ("expected --set path=value",)),
    BadSet("empty-path", "=3", "", ("expected --set path=value",)),
    BadSet("empty-segment", "population..youth=3", "population..youth", ("empty name",)),
    BadSet(
        "unknown-top",
        "nosuch.path=3",
        "nosuch",
        ("unknown field 'nosuch'", "expected one of:", "population"),
    ),
    BadSet(
        "unknown-nested",
        "population.yuth=3",
        "population.yuth",
        ("unknown field 'yuth'", "youth", "farmer_households"),
    ),
    BadSet(
        "unknown-policy", "policies.nope.budget_yuan=3", "policies.nope", ("'nope'", "rural_talent")
    ),
    BadSet(
        "policy-index-out-of-range",
        "policies.7.budget_yuan=3",
        "policies.7",
        ("'7'", "index below 1"),
    ),
    BadSet("inside-plain-value", "population.youth.x=3", "population.youth.x", ("plain value",)),
    BadSet("deep-inside-plain-value", "steps.a.b=3", "steps.a.b", ("plain value",)),
    BadSet(
        "negative-value",
        "population.youth=-3",
        "population.youth",
        ("greater than or equal to 0", "--set population.youth=-3"),
    ),
    BadSet(
        "share-above-one",
        "farmers.elderly_share=1.01",
        "farmers.elderly_share",
        ("less than or equal to 1", "--set farmers.elderly_share=1.01"),
    ),
    BadSet("wrong-type", "steps=[1, 2]", "steps", ("valid integer",)),
    BadSet(
        "infinite", "products.kiwi.city_price=.inf", "products.kiwi.city_price", ("finite number",)
    ),
    BadSet(
        "policy-value",
        "policies.rural_talent.budget_yuan=-5",
        "policies.0.budget_yuan",
        ("greater than or equal to 0", "--set policies.rural_talent.budget_yuan=-5"),
    ),
]


@pytest.fixture
def policy_scenario(tmp_path: Path) -> Path:
    data = {
        **SMALL_SCENARIO,
        "policies": [{"name": "rural_talent", "path": "talent", "budget_yuan": 1e6}],
    }
    return write_yaml(tmp_path / "policy.yaml", data)


@pytest.mark.parametrize("bad", BAD_SETS, ids=[b.id for b in BAD_SETS])
def test_bad_set(tmp_path: Path, policy_scenario: Path, bad: BadSet) -> None:
    with pytest.raises(ScenarioError) as info:
        load_scenario(policy_scenario, overrides=[bad.item])
    assert [p for p, _ in info.value.problems][0] == bad.path
    out = tmp_path / "out"
    result = call_cli(["run", policy_scenario, "--set", bad.item, "--out", out])
    assert result.code == 2
    assert "Traceback" not in result.err
    assert str(policy_scenario) in result.err
    for fragment in bad.expected:
        assert fragment in result.err, f"{fragment!r} not in {result.err!r}"
    assert not out.exists()
    assert leftovers(tmp_path, "policy.yaml") == []


def test_set_problem_has_no_misleading_file_line(policy_scenario: Path) -> None:
    # population is on a line of the file, but the bad value came from --set
    result = call_cli(["validate", policy_scenario, "--set", "population.youth=-3"])
    assert result.code == 2
    assert f"{policy_scenario}: population.youth:" in result.err
    assert re.search(rf"{re.escape(str(policy_scenario))}:\d+: population", result.err) is None


def test_good_sets_are_applied(policy_scenario: Path) -> None:
    scenario = load_scenario(
        policy_scenario,
        overrides=[
            "policies.rural_talent.budget_yuan=2e6",
            "population.youth=33",
            "world.county.terrain_mix={plain: 1}",
            "name=renamed",
            "products.kiwi.harvest_weeks.0=30",
        ],
    )
    assert scenario.policies[0].budget_yuan == 2e6
    assert scenario.population.youth == 33
    assert scenario.world.county.terrain_mix == {"plain": 1}
    assert scenario.name == "renamed"
    assert 30 in scenario.products["kiwi"].harvest_weeks
    result = call_cli(["validate", policy_scenario, "--set", "policies.0.start_week=4"])
    assert (result.code, result.err) == (0, "")


def test_set_reaches_policy_measures_by_name(policy_scenario: Path) -> None:
    """``policies.NAME.MEASURE.FIELD`` is short for ``policies.NAME.measures.MEASURE.FIELD``."""
    policies = pytest.importorskip("village_sim.scenario.policies")
    measures = policies.TalentPolicy.model_fields["measures"].annotation
    measure, info = next(iter(measures.model_fields.items()))
    inner = next(a for a in info.annotation.__args__ if a is not type(None))
    field = next(n for n, f in inner.model_fields.items() if f.annotation in (int, float))
    default = inner.model_fields[field].default
    value = 1 if default != 1 else 2
    short = load_scenario(
        policy_scenario, overrides=[f"policies.rural_talent.{measure}.{field}={value}"]
    )
    long = load_scenario(
        policy_scenario, overrides=[f"policies.rural_talent.measures.{measure}.{field}={value}"]
    )
    assert short == long
    assert getattr(getattr(short.policies[0].measures, measure), field) == value


def test_explicit_world_fields_by_index(explicit_scenario: Path) -> None:
    scenario = load_scenario(explicit_scenario, overrides=["world.nodes.1.terrain=hill"])
    assert scenario.world.nodes[1].terrain == "hill"
    with pytest.raises(ScenarioError) as info:
        load_scenario(explicit_scenario, overrides=["world.edges.1.v=99"])
    assert info.value.problems[0][0] == "world.edges.1.v"


# ------------------------------------------------------------------------------------------
# The Python API takes the same overrides, in several shapes
# ------------------------------------------------------------------------------------------
def test_override_shapes_agree(small_scenario: Path) -> None:
    as_list = load_scenario(small_scenario, overrides=["population.youth=12", "steps=3"])
    as_dict = load_scenario(small_scenario, overrides={"population.youth": 12, "steps": 3})
    assert as_list == as_dict
    assert load_scenario(small_scenario, overrides="steps=3").steps == 3
    with pytest.raises(ScenarioError):
        load_scenario(small_scenario, overrides={"population.nope": 1})


def test_scenario_error_is_importable_and_structured() -> None:
    with pytest.raises(village_sim.scenario.errors.ScenarioError) as info:
        village_sim.load_scenario(overrides={"population.youth": -1, "farmers.elderly_share": 2})
    error = info.value
    assert isinstance(error.problems, list)
    assert all(isinstance(p, str) and isinstance(m, str) and m for p, m in error.problems)
    assert error.source is None
    assert "<input>" in str(error)
