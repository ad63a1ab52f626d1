"""The import rules of ARCHITECTURE.md, checked over the package's source (an ``ast`` walk).

Data flows one way: scenario → world and agents → market → governance → metrics → model → outputs
→ run → batch, calibration, viz → cli. A module imports only its own package and the layers below.
Imports under ``if TYPE_CHECKING:`` exist for annotations only and are not counted, except that
no mechanism (agents, market, governance) or metric may name the model class at all: they receive
what they need instead of calling the model back.
"""

from __future__ import annotations

import ast
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[2] / "village_sim"

LAYERS = {
    "accounts": 0,
    "malloc": 0,
    "numerics": 0,
    "randomness": 0,
    "units": 0,
    "scenario": 1,
    "world": 2,
    "agents": 3,
    "market": 4,
    "governance": 5,
    "metrics": 6,
    "model": 7,
    "outputs": 8,
    "run": 9,
    "__init__": 10,
    "batch": 11,
    "viz": 11,
    "calibration": 12,
    "cli": 13,
}
"""Each top-level part of the package and its layer: a part imports parts of lower layers only."""

MECHANISMS = ("agents", "market", "governance", "metrics")

LAZY_ALLOWED = {"cli"}
"""Parts that may import the package inside functions: each command loads its own modules when it
runs, so that ``village-sim --help`` and a mistyped command answer without importing Dask, Solara
or the model (a second of start-up)."""


@dataclass(frozen=True)
class Import:
    """One import statement of the package."""

    module: str
    target: str
    line: int
    type_checking: bool
    in_function: bool


def _module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _part(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "__init__"


def _scan() -> list[Import]:
    found = []
    for path in sorted(PACKAGE.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        module = _module_name(path)
        guarded, nested = set(), set()
        for node in ast.walk(tree):
            if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
                guarded.update(id(n) for n in ast.walk(node))
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                nested.update(id(n) for n in ast.walk(node) if n is not node)
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                targets = [f"{node.module}.{a.name}" for a in node.names] + [node.module]
            elif isinstance(node, ast.Import):
                targets = [a.name for a in node.names]
            else:
                continue
            for target in targets:
                if target == "village_sim" or target.startswith("village_sim."):
                    found.append(
                        Import(module, target, node.lineno, id(node) in guarded, id(node) in nested)
                    )
    return found


IMPORTS = _scan()
MODULES = {_module_name(p) for p in PACKAGE.rglob("*.py")}


def _resolve(target: str) -> str | None:
    """The package module an import target names (``from a.b import c``: module a.b.c or a.b)."""
    while target and target not in MODULES:
        target = target.rpartition(".")[0]
    return target or None


def test_each_part_imports_only_lower_layers():
    wrong = []
    for imp in IMPORTS:
        target = _resolve(imp.target)
        if imp.type_checking or target is None:
            continue
        src, dst = _part(imp.module), _part(target)
        if src != dst and LAYERS[dst] >= LAYERS[src]:
            wrong.append(f"{imp.module}:{imp.line} imports {target} ({src} -> {dst})")
    assert not wrong, "\n".join(wrong)


def test_every_part_has_a_layer():
    assert {_part(m) for m in MODULES} <= set(LAYERS)


def test_mechanisms_never_name_the_model_class():
    wrong = [
        f"{imp.module}:{imp.line}"
        for imp in IMPORTS
        if _part(imp.module) in MECHANISMS and _resolve(imp.target) == "village_sim.model"
    ]
    assert not wrong, "agents, market, governance and metrics receive what they need: " + str(wrong)


def test_no_import_cycle_at_import_time_or_at_run_time():
    graph = defaultdict(set)
    for imp in IMPORTS:
        target = _resolve(imp.target)
        if not imp.type_checking and target and target != imp.module:
            graph[imp.module].add(target)
    state: dict[str, int] = {}

    def visit(node: str, path: list[str]) -> list[str] | None:
        state[node] = 1
        for nxt in sorted(graph[node]):
            if state.get(nxt) == 1:
                return [*path, node, nxt]
            if nxt not in state and (cycle := visit(nxt, [*path, node])):
                return cycle
        state[node] = 2
        return None

    for start in sorted(MODULES):
        if start not in state and (cycle := visit(start, [])):
            pytest.fail("import cycle: " + " -> ".join(cycle))


def test_package_imports_sit_at_module_level():
    wrong = [
        f"{imp.module}:{imp.line} imports {imp.target} inside a function"
        for imp in IMPORTS
        if imp.in_function and _part(imp.module) not in LAZY_ALLOWED
    ]
    assert not wrong, "\n".join(wrong)


def test_the_rules_can_fail(tmp_path, monkeypatch):
    """A planted violation is found: agents importing the model inside a function."""
    bad = Import("village_sim.agents.anchor", "village_sim.model", 1, False, True)
    assert _part(bad.module) in MECHANISMS and _resolve(bad.target) == "village_sim.model"
    assert LAYERS[_part(_resolve(bad.target))] > LAYERS["agents"]
