"""Where a week's time goes: each stage of ``VillageMarket.step``, and the anchors' decisions by kind.

Run from the repository root::

    .venv/bin/python benchmarks/week_breakdown.py                    # baseline, 52 weeks, 3 runs
    .venv/bin/python benchmarks/week_breakdown.py province --steps 20 --runs 1

Two kinds of run, each repeated ``--runs`` times in this process (the smallest time is reported,
as the least disturbed by other load):

1. **Stages.** ``VillageMarket.step`` is compiled again with a clock read around each statement
   of its body (the stages of MODEL.md's causal chain, as ``step`` lists them), so each stage's
   milliseconds a week are measured in place, callees included.
2. **Anchors' decisions by kind.** The anchors' weekly decision methods (planning, the purchase
   in the sourcing stage, imports, traffic/tools/sessions, staying or leaving) are timed per call
   and summed by anchor kind (``local``, ``farmer``, ``external``), with the mean number of calls a
   week. The timers' own cost is a few tenths of a microsecond a call.

Unlike ``profile_step.py`` (cProfile) neither run inflates many small calls, so the milliseconds
compare with ``bench_scale.py``'s; the model's numbers are unchanged (nothing here draws or
reorders anything).
"""

from __future__ import annotations

import argparse
import ast
import inspect
import sys
import textwrap
import time
from collections import defaultdict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from bench_scale import scenario_path  # this folder is on sys.path when run as a script

DECISIONS = (
    ("plan", "agents.anchor", "Anchor", "plan_week"),
    ("purchase", "market.sourcing", "Sourcing", "_buy"),
    ("imports", "agents.anchor", "Anchor", "finish_sourcing"),
    ("traffic, tools, sessions", "agents.anchor", "Anchor", "finish_plan"),
    ("stay or leave", "agents.anchor", "Anchor", "stay_or_leave"),
)
"""The anchors' weekly decisions timed by kind: (column, module, class, method)."""


def _label(source: str, stmt: ast.stmt) -> str:
    """A stage's name: its statement's first line, without arguments' details and comments."""
    first = (ast.get_source_segment(source, stmt) or "").splitlines()[0]
    return first.split("  #")[0].strip()[:60]


def timed_step() -> tuple[Callable[[Any, list[float]], None], list[str]]:
    """``VillageMarket.step`` with a clock around each statement of its body.

    Returns:
        ``(step, labels)``: ``step(model, times)`` runs one week and adds each statement's seconds
        to ``times[i]``; ``labels[i]`` names statement ``i``.
    """
    import village_sim.model as model_module

    source = textwrap.dedent(inspect.getsource(model_module.VillageMarket.step))
    tree = ast.parse(source)
    function = tree.body[0]
    assert isinstance(function, ast.FunctionDef)
    body = [
        s
        for s in function.body
        if not (isinstance(s, ast.Expr) and isinstance(s.value, ast.Constant))  # the docstring
    ]
    labels = [_label(source, s) for s in body]
    timed: list[ast.stmt] = []
    for i, stmt in enumerate(body):
        timed += ast.parse("_start = _clock()").body
        timed.append(stmt)
        timed += ast.parse(f"_times[{i}] += _clock() - _start").body
    function.body = timed
    function.name = "_timed_step"
    function.decorator_list = []
    function.returns = None
    function.args.args.append(ast.arg(arg="_times"))
    namespace = dict(vars(model_module))
    namespace["_clock"] = time.perf_counter
    exec(compile(ast.fix_missing_locations(tree), "<timed VillageMarket.step>", "exec"), namespace)
    return namespace["_timed_step"], labels


def _build(name: str, steps: int, seed: int) -> Any:
    from village_sim import load_scenario
    from village_sim.model import VillageMarket

    return VillageMarket(load_scenario(scenario_path(name), overrides={"steps": steps}), seed=seed)


def stage_times(
    name: str, steps: int, seed: int, runs: int
) -> tuple[list[str], list[float], float]:
    """Milliseconds a week of each stage (smallest of ``runs`` runs) and of the whole week.

    Returns:
        ``(labels, ms_per_week, total_ms_per_week)``; the total is the smallest run's.
    """
    step, labels = timed_step()
    best = [float("inf")] * len(labels)
    total = float("inf")
    for _ in range(runs):
        model = _build(name, steps, seed)
        times = [0.0] * len(labels)
        t0 = time.perf_counter()
        for _ in range(steps):
            step(model, times)
        total = min(total, (time.perf_counter() - t0) * 1000 / steps)
        best = [min(b, t * 1000 / steps) for b, t in zip(best, times, strict=True)]
    return labels, best, total


def _kind_of(column: str, args: tuple) -> str:
    """The anchor kind of a timed call: the purchase's anchor (``Sourcing._buy(purchase, …)``),
    else the anchor whose method it is."""
    anchor = args[1].anchor if column == "purchase" else args[0]
    return str(anchor.kind)


@contextmanager
def decision_timers(totals: dict, calls: dict) -> Iterator[None]:
    """Time :data:`DECISIONS` per call into ``totals[(kind, column)]`` (s) and ``calls``."""
    import importlib

    saved = []
    for column, module, cls_name, method in DECISIONS:
        cls = getattr(importlib.import_module(f"village_sim.{module}"), cls_name)
        original = getattr(cls, method)
        saved.append((cls, method, original))

        def timed(*args: Any, _f: Callable = original, _c: str = column, **kwargs: Any) -> Any:
            t0 = time.perf_counter()
            out = _f(*args, **kwargs)
            key = (_kind_of(_c, args), _c)
            totals[key] += time.perf_counter() - t0
            calls[key] += 1
            return out

        setattr(cls, method, timed)
    try:
        yield
    finally:
        for cls, method, original in saved:
            setattr(cls, method, original)


def decision_times(
    name: str, steps: int, seed: int, runs: int
) -> tuple[dict[tuple[str, str], float], dict[tuple[str, str], float], float]:
    """Milliseconds a week and calls a week of each anchor kind's decisions (smallest run).

    Returns:
        ``(ms_per_week, calls_per_week, total_ms_per_week)`` keyed by ``(kind, column)``.
    """
    best: dict[tuple[str, str], float] = {}
    calls_per_week: dict[tuple[str, str], float] = {}
    total = float("inf")
    for _ in range(runs):
        model = _build(name, steps, seed)
        totals: dict = defaultdict(float)
        calls: dict = defaultdict(int)
        with decision_timers(totals, calls):
            t0 = time.perf_counter()
            for _ in range(steps):
                model.step()
            total = min(total, (time.perf_counter() - t0) * 1000 / steps)
        for key, seconds in totals.items():
            best[key] = min(best.get(key, float("inf")), seconds * 1000 / steps)
            calls_per_week[key] = calls[key] / steps
    return best, calls_per_week, total


def stage_table(labels: list[str], ms: list[float], total: float) -> str:
    """Markdown table of the stages, slowest first."""
    rows = ["| stage (statement of `VillageMarket.step`) | ms a week | share |", "|---|---:|---:|"]
    for label, value in sorted(zip(labels, ms, strict=True), key=lambda kv: -kv[1]):
        rows.append(f"| `{label}` | {value:.2f} | {value / total:.1%} |")
    rows.append(f"| whole week | {total:.2f} | |")
    return "\n".join(rows)


def decision_table(ms: dict, calls: dict, total: float) -> str:
    """Markdown table of the anchors' decisions: kinds as rows, decisions as columns."""
    columns = [c for c, *_ in DECISIONS]
    kinds = sorted({kind for kind, _ in ms})
    rows = [
        "| kind (anchors a week) | " + " | ".join(columns) + " | total ms | share of week |",
        "|---|" + "---:|" * (len(columns) + 2),
    ]
    for kind in kinds:
        values = [ms.get((kind, c), 0.0) for c in columns]
        n = calls.get((kind, "stay or leave"), calls.get((kind, "plan"), 0.0))
        cells = " | ".join(f"{v:.2f}" for v in values)
        rows.append(
            f"| {kind} ({n:.0f}) | {cells} | {sum(values):.2f} | {sum(values) / total:.1%} |"
        )
    every = sum(ms.values())
    rows.append(
        f"| all anchors | {' | '.join('' for _ in columns)} | {every:.2f} | {every / total:.1%} |"
    )
    return "\n".join(rows)


def main(argv: list[str] | None = None) -> int:
    """Print both tables for a scenario."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("scenario", nargs="?", default="baseline", help="name or path")
    parser.add_argument("--steps", type=int, default=52, help="weeks per run (default 52)")
    parser.add_argument("--runs", type=int, default=3, help="runs of each kind (default 3)")
    parser.add_argument("--seed", type=int, default=0, help="run seed (default 0)")
    args = parser.parse_args(argv)
    labels, ms, total = stage_times(args.scenario, args.steps, args.seed, args.runs)
    print(
        f"# {Path(args.scenario).stem}: {args.steps} weeks, seed {args.seed}, smallest of {args.runs}\n"
    )
    print(stage_table(labels, ms, total) + "\n")
    decisions, calls, total_timed = decision_times(args.scenario, args.steps, args.seed, args.runs)
    print("Anchors' decisions by kind (ms a week):\n")
    print(decision_table(decisions, calls, total_timed))
    return 0


if __name__ == "__main__":
    sys.exit(main())
