"""Property tests: whatever the input, loading gives a Scenario or a ScenarioError, never anything
else; ``village-sim validate`` exits 0 or 2 without a traceback; and the checks that matter (shares,
counts, explicit graphs) reject exactly what they should."""

from __future__ import annotations

import copy
import math
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import annotated_types
import networkx as nx
import pytest
import yaml
from conftest import EXPLICIT_WORLD, SMALL_SCENARIO, call_cli, small_with
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from pydantic import BaseModel

from village_sim.run import load_scenario
from village_sim.scenario.errors import ScenarioError
from village_sim.scenario.load import deep_merge
from village_sim.scenario.schema import Scenario

SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
_DUMPER = getattr(yaml, "CSafeDumper", yaml.SafeDumper)


def dump(data: Any) -> str:
    """YAML text of ``data`` (libyaml when available: the full scenario is large)."""
    return yaml.dump(data, Dumper=_DUMPER, sort_keys=False, allow_unicode=True)


Path_ = tuple[str | int, ...]


# ------------------------------------------------------------------------------------------
# Valid starting points and what can be mutated in them
# ------------------------------------------------------------------------------------------
def _full(data: dict[str, Any]) -> dict[str, Any]:
    """A scenario dict with every default written out (so every field can be mutated)."""
    return deep_merge(Scenario().model_dump(mode="json"), data)


BASES: dict[str, dict[str, Any]] = {
    "county": _full(SMALL_SCENARIO),
    "explicit": _full(small_with(world=copy.deepcopy(EXPLICIT_WORLD))),
    "sparse": copy.deepcopy(SMALL_SCENARIO),  # only what differs from the defaults
}


def _paths(node: Any, prefix: Path_ = ()) -> Iterator[tuple[Path_, Any]]:
    """Every (path, value) in a nested dict/list, containers included."""
    if isinstance(node, dict):
        for key, value in node.items():
            yield (*prefix, key), value
            yield from _paths(value, (*prefix, key))
    elif isinstance(node, list):
        for i, value in enumerate(node):
            yield (*prefix, i), value
            yield from _paths(value, (*prefix, i))


ALL_PATHS = {name: [p for p, _ in _paths(base)] for name, base in BASES.items()}
DICT_PATHS = {
    name: [()] + [p for p, v in _paths(base) if isinstance(v, dict)] for name, base in BASES.items()
}
NUMBER_PATHS = {
    name: [p for p, v in _paths(base) if isinstance(v, int | float) and not isinstance(v, bool)]
    for name, base in BASES.items()
}
UNIT_PATHS = {
    name: [p for p, v in _paths(base) if isinstance(v, float) and 0.0 <= v <= 1.0]
    for name, base in BASES.items()
}


def _get(data: Any, path: Path_) -> Any:
    for part in path:
        data = data[part]
    return data


def _set(data: Any, path: Path_, value: Any) -> None:
    _get(data, path[:-1])[path[-1]] = value


def _delete(data: Any, path: Path_) -> None:
    parent = _get(data, path[:-1])
    del parent[path[-1]]


# Values of every kind, kept small so no mutation makes the world graph huge.
junk = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-1000, 200),
    st.floats(allow_nan=True, allow_infinity=True),
    st.floats(-10.0, 10.0),
    st.text(max_size=12),
    st.sampled_from(
        [
            "plain",
            "hill",
            "mountain",
            "village",
            "city",
            "county",
            "explicit",
            "kiwi",
            "tea",
            "talent",
            "1e400",
            "nan",
            "inf",
            "-1",
            "0",
            "yes",
        ]
    ),
    st.lists(st.integers(-3, 60), max_size=4),
    st.dictionaries(st.text(max_size=6), st.integers(-3, 3), max_size=3),
)
key_text = st.text(min_size=1, max_size=15)


@st.composite
def mutation(draw: st.DrawFn, base: str) -> tuple[str, Any]:
    """One random mutation of a scenario dict, as a (description, function) pair."""
    kinds = ["replace", "unknown_key", "delete"]
    kinds += ["negative"] if NUMBER_PATHS[base] else []
    kinds += ["above_one"] if UNIT_PATHS[base] else []
    kinds += ["explicit"] * 2 if base == "explicit" else []
    kind = draw(st.sampled_from(kinds))
    if kind == "replace":
        path = draw(st.sampled_from(ALL_PATHS[base]))
        value = draw(junk)
        return f"{path} = {value!r}", lambda d: _set(d, path, value)
    if kind == "unknown_key":
        path = draw(st.sampled_from(DICT_PATHS[base]))
        key = draw(key_text)
        value = draw(junk)
        return f"{path}[{key!r}] = {value!r}", lambda d: _get(d, path).setdefault(key, value)
    if kind == "delete":
        path = draw(st.sampled_from(ALL_PATHS[base]))
        return f"del {path}", lambda d: _delete(d, path)
    if kind == "negative":
        path = draw(st.sampled_from(NUMBER_PATHS[base]))
        value = draw(st.one_of(st.integers(-(10**6), -1), st.floats(-1e6, -1e-9)))
        return f"{path} = {value!r}", lambda d: _set(d, path, value)
    if kind == "above_one":
        path = draw(st.sampled_from(UNIT_PATHS[base]))
        value = draw(st.floats(1.0, 1e6, exclude_min=True))
        return f"{path} = {value!r}", lambda d: _set(d, path, value)
    # explicit worlds: break a node or an edge
    nodes = BASES["explicit"]["world"]["nodes"]
    i = draw(st.integers(0, len(nodes) - 1))
    action = draw(st.sampled_from(["drop_field", "drop_edge", "stray_edge", "kind"]))
    if action == "drop_field":
        field = draw(st.sampled_from(["id", "kind", "terrain", "products"]))
        return (f"del nodes[{i}].{field}", lambda d: d["world"]["nodes"][i].pop(field, None))
    if action == "drop_edge":
        j = draw(st.integers(0, len(BASES["explicit"]["world"]["edges"]) - 1))
        return f"del edges[{j}]", lambda d: d["world"]["edges"].pop(j)
    if action == "stray_edge":
        u, v = draw(st.integers(-2, 9)), draw(st.integers(-2, 9))
        edge = {"u": u, "v": v, "km": draw(st.floats(-5, 50))}
        return f"edge {edge}", lambda d: d["world"]["edges"].append(edge)
    kind_ = draw(st.sampled_from(["village", "township", "county_hub", "city", "farm"]))
    return f"nodes[{i}].kind = {kind_}", lambda d: d["world"]["nodes"][i].update(kind=kind_)


@st.composite
def mutated_scenario(draw: st.DrawFn) -> tuple[list[str], dict[str, Any]]:
    base = draw(st.sampled_from(sorted(BASES)))
    data = copy.deepcopy(BASES[base])
    done = []
    for _ in range(draw(st.integers(1, 3))):
        description, apply = draw(mutation(base))
        try:
            apply(data)
        except (KeyError, IndexError, TypeError, AttributeError):
            continue  # an earlier mutation removed what this one needed
        done.append(description)
    return done, data


@pytest.fixture(scope="module")
def case_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("property") / "case.yaml"


def _load(path: Path, overrides: list[str] | None = None) -> Scenario | ScenarioError:
    """Load; a ScenarioError is returned, any other exception fails the test."""
    try:
        return load_scenario(path, overrides=overrides)
    except ScenarioError as exc:
        assert exc.problems, "a ScenarioError must name at least one problem"
        for field_path, message in exc.problems:
            assert isinstance(field_path, str) and isinstance(message, str) and message
        assert str(path) in str(exc)
        return exc


# ------------------------------------------------------------------------------------------
# Loading never fails with anything but ScenarioError
# ------------------------------------------------------------------------------------------
@SETTINGS
@given(case=mutated_scenario())
def test_mutated_scenarios_load_or_raise_scenario_error(case_file: Path, case: Any) -> None:
    _, data = case
    case_file.write_text(dump(data), encoding="utf-8")
    _load(case_file)


yaml_tokens = st.sampled_from(
    [
        "name:",
        "steps:",
        "world:",
        "population:",
        "  ",
        "    ",
        "- ",
        "\n",
        ": ",
        "{",
        "}",
        "[",
        "]",
        ",",
        "'",
        '"',
        "&a ",
        "*a",
        "!!python/object:os.system",
        "---",
        "...",
        "#",
        "|",
        ">",
        "? ",
        "~",
        "null",
        "true",
        "1",
        "-5",
        "1.5",
        ".nan",
        "villages",
        "generator: explicit",
        "nodes:",
        "edges:",
        "\t",
        "%YAML 1.2",
        "<<: ",
        "0x1F",
        "1e3",
        "kiwi:",
        "policies:",
    ]
)


@SETTINGS
@given(text=st.one_of(st.text(max_size=200), st.lists(yaml_tokens, max_size=40).map("".join)))
def test_junk_text_loads_or_raises_scenario_error(case_file: Path, text: str) -> None:
    case_file.write_text(text, encoding="utf-8")
    _load(case_file)


@SETTINGS
@given(blob=st.binary(max_size=64))
def test_junk_bytes_load_or_raise_scenario_error(case_file: Path, blob: bytes) -> None:
    case_file.write_bytes(blob)
    _load(case_file)


# ------------------------------------------------------------------------------------------
# The CLI agrees with the loader: exit 0 (silent stderr) or 2 (a message, no traceback)
# ------------------------------------------------------------------------------------------
@SETTINGS
@given(case=mutated_scenario())
def test_validate_exits_0_or_2_without_traceback(case_file: Path, case: Any) -> None:
    _, data = case
    case_file.write_text(dump(data), encoding="utf-8")
    loaded = _load(case_file)
    result = call_cli(["validate", case_file])
    assert "Traceback" not in result.err
    if isinstance(loaded, ScenarioError):
        assert result.code == 2
        assert str(case_file) in result.err
    else:
        assert result.code == 0
        assert result.err == ""


set_paths = st.one_of(
    st.sampled_from(ALL_PATHS["county"]).map(lambda p: ".".join(map(str, p))),
    st.lists(
        st.sampled_from(
            [
                "population",
                "youth",
                "policies",
                "world",
                "nodes",
                "0",
                "x",
                "",
                "measures",
                "training",
                "steps",
                "kiwi",
                "products",
            ]
        ),
        min_size=1,
        max_size=5,
    ).map(".".join),
    st.text(max_size=20),
)
set_values = st.one_of(
    st.text(max_size=15), junk.map(lambda v: yaml.safe_dump(v, default_flow_style=True).strip())
)


@SETTINGS
@given(path=set_paths, value=set_values, equals=st.booleans())
def test_random_set_overrides(case_file: Path, path: str, value: str, equals: bool) -> None:
    case_file.write_text(dump(SMALL_SCENARIO), encoding="utf-8")
    item = f"{path}={value}" if equals else path
    loaded = _load(case_file, overrides=[item])
    result = call_cli(["validate", case_file, "--set", item])
    assert "Traceback" not in result.err
    assert result.code == (2 if isinstance(loaded, ScenarioError) else 0)


# ------------------------------------------------------------------------------------------
# Targeted properties: the checks reject what they must (these can fail on a lax schema)
# ------------------------------------------------------------------------------------------
def _constrained(
    model: BaseModel, prefix: str = ""
) -> Iterator[tuple[str, float | None, float | None]]:
    """(path, lower bound, upper bound) of every bounded number in the default scenario."""
    for name, field in type(model).model_fields.items():
        value = getattr(model, name)
        path = f"{prefix}{name}"
        if isinstance(value, BaseModel):
            yield from _constrained(value, path + ".")
        elif isinstance(value, dict):
            for key, item in value.items():
                if isinstance(item, BaseModel):
                    yield from _constrained(item, f"{path}.{key}.")
        elif isinstance(value, int | float) and not isinstance(value, bool):
            low = high = None
            for meta in field.metadata:
                if isinstance(meta, annotated_types.Ge | annotated_types.Gt):
                    low = float(getattr(meta, "ge", getattr(meta, "gt", 0)))
                if isinstance(meta, annotated_types.Le | annotated_types.Lt):
                    high = float(getattr(meta, "le", getattr(meta, "lt", 0)))
            if low is not None or high is not None:
                yield path, low, high


BOUNDED = list(_constrained(Scenario()))
SHARES = sorted(p for p, low, high in BOUNDED if low == 0.0 and high == 1.0)
NON_NEGATIVE = sorted(p for p, low, _ in BOUNDED if low is not None and low >= 0)
POPULATION = [p for p in NON_NEGATIVE if p.startswith("population.")]


def test_catalogues_are_not_empty() -> None:
    assert len(SHARES) > 20 and len(NON_NEGATIVE) > 50
    assert "population.farmer_households" in POPULATION
    assert "farmers.elderly_share" in SHARES


def _expect_problem_at(path: str, overrides: list[str], source: Path) -> None:
    with pytest.raises(ScenarioError) as info:
        load_scenario(source, overrides=overrides)
    paths = [p for p, _ in info.value.problems]
    assert path in paths, (overrides, paths)


@SETTINGS
@given(path=st.sampled_from(SHARES), value=st.floats(1.0, 1e9, exclude_min=True))
def test_any_share_above_one_is_rejected(case_file: Path, path: str, value: float) -> None:
    case_file.write_text(dump(SMALL_SCENARIO), encoding="utf-8")
    _expect_problem_at(path, [f"{path}={value!r}"], case_file)


@SETTINGS
@given(
    path=st.sampled_from(NON_NEGATIVE),
    value=st.one_of(st.integers(-(10**9), -1), st.floats(-1e9, 0.0, exclude_max=True)),
)
def test_any_negative_bounded_number_is_rejected(case_file: Path, path: str, value: float) -> None:
    case_file.write_text(dump(SMALL_SCENARIO), encoding="utf-8")
    _expect_problem_at(path, [f"{path}={value!r}"], case_file)


@SETTINGS
@given(
    path=st.sampled_from(NON_NEGATIVE + SHARES),
    value=st.sampled_from([".nan", ".inf", "-.inf", "true", "false", "[1]", "{a: 1}", "x"]),
)
def test_non_numbers_in_number_fields_are_rejected(case_file: Path, path: str, value: str) -> None:
    case_file.write_text(dump(SMALL_SCENARIO), encoding="utf-8")
    _expect_problem_at(path, [f"{path}={value}"], case_file)


@SETTINGS
@given(
    node=st.integers(0, 1),
    field=st.sampled_from(["id", "kind", "terrain", "products"]),
    via=st.sampled_from(["delete", "null"]),
)
def test_village_without_required_field_is_rejected(
    case_file: Path, node: int, field: str, via: str
) -> None:
    data = small_with(world=copy.deepcopy(EXPLICIT_WORLD))
    village = data["world"]["nodes"][node]
    assert village["kind"] == "village"
    if via == "delete":
        del village[field]
    else:
        village[field] = None
    case_file.write_text(dump(data), encoding="utf-8")
    with pytest.raises(ScenarioError) as info:
        load_scenario(case_file)
    assert any(
        p == f"world.nodes.{node}" or p.startswith(f"world.nodes.{node}.")
        for p, _ in info.value.problems
    ), info.value.problems


@st.composite
def explicit_graph(draw: st.DrawFn) -> dict[str, Any]:
    """A random small explicit world: maybe disconnected, maybe with bad or duplicate ids."""
    n = draw(st.integers(1, 7))
    kinds = draw(
        st.lists(
            st.sampled_from(["village", "township", "county_hub", "city"]), min_size=n, max_size=n
        )
    )
    ids = list(range(n))
    if draw(st.booleans()) and n > 1:
        ids[-1] = ids[0]  # a duplicate id
    nodes = []
    for node_id, kind in zip(ids, kinds, strict=True):
        node: dict[str, Any] = {"id": node_id, "kind": kind}
        if kind == "village":
            node["terrain"] = draw(st.sampled_from(["plain", "hill", "mountain"]))
            node["products"] = [draw(st.sampled_from(["kiwi", "tea", "rice", "shiitake"]))]
        nodes.append(node)
    pairs = draw(st.lists(st.tuples(st.integers(0, n), st.integers(0, n)), max_size=10))
    edges = [{"u": u, "v": v, "km": 10.0} for u, v in pairs]
    return {"generator": "explicit", "nodes": nodes, "edges": edges}


def _graph_is_valid(world: dict[str, Any]) -> bool:
    """The oracle: what an explicit world must satisfy to be accepted."""
    ids = [n["id"] for n in world["nodes"]]
    if len(set(ids)) != len(ids):
        return False
    kinds = {n["id"]: n["kind"] for n in world["nodes"]}
    if not {"village", "township", "county_hub", "city"} <= set(kinds.values()):
        return False  # villages, a station, a hub and a city are needed
    graph = nx.Graph()
    graph.add_nodes_from(ids)
    for edge in world["edges"]:
        if edge["u"] not in kinds or edge["v"] not in kinds or edge["u"] == edge["v"]:
            return False
        graph.add_edge(edge["u"], edge["v"])
    return nx.is_connected(graph)


@SETTINGS
@given(world=explicit_graph())
def test_explicit_world_accepted_exactly_when_connected_and_well_formed(
    case_file: Path, world: dict[str, Any]
) -> None:
    case_file.write_text(dump(small_with(world=world)), encoding="utf-8")
    loaded = _load(case_file)
    valid = _graph_is_valid(world)
    assert isinstance(loaded, Scenario) == valid, (world, loaded)
    if not valid:
        assert all(p.startswith("world") for p, _ in loaded.problems), loaded.problems


@st.composite
def plausible_scenario(draw: st.DrawFn) -> dict[str, Any]:
    """Mutations that often give a valid scenario: plausible numbers, deleted entries."""
    base = draw(st.sampled_from(["county", "explicit"]))
    data = copy.deepcopy(BASES[base])
    for _ in range(draw(st.integers(1, 4))):
        if draw(st.booleans()):
            path = draw(st.sampled_from(ALL_PATHS[base]))
            try:
                _delete(data, path)
            except (KeyError, IndexError, TypeError):
                pass
            continue
        path = draw(st.sampled_from(NUMBER_PATHS[base]))
        try:
            old = _get(data, path)
        except (KeyError, IndexError, TypeError):
            continue
        if isinstance(old, int):
            value: float = draw(st.integers(1, 50))
        elif 0 <= old <= 1:
            value = draw(st.floats(0.0, 1.0))
        else:
            value = draw(st.floats(0.01, 1000.0))
        _set(data, path, value)
    return data


@settings(SETTINGS, suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
@given(data=plausible_scenario())
def test_accepted_scenarios_round_trip(case_file: Path, data: dict[str, Any]) -> None:
    """Whatever is accepted can be written back out and reloads to the same scenario."""
    case_file.write_text(dump(data), encoding="utf-8")
    loaded = _load(case_file)
    assume(isinstance(loaded, Scenario))
    dumped = loaded.model_dump(mode="json")
    assert all(not (isinstance(v, float) and not math.isfinite(v)) for _, v in _paths(dumped))
    case_file.write_text(dump(dumped), encoding="utf-8")
    assert load_scenario(case_file) == loaded
