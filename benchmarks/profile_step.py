"""Profile ``VillageMarket.step`` with cProfile: where does a week's time go?

Run from the repository root::

    .venv/bin/python benchmarks/profile_step.py                       # baseline, 52 steps
    .venv/bin/python benchmarks/profile_step.py province --steps 10 --top 30
    .venv/bin/python benchmarks/profile_step.py baseline --include-build --output /tmp/b.prof

The model is built outside the profiler (unless ``--include-build``); then ``--steps`` weeks are
profiled and the top functions are printed by cumulative time (where the time goes, callees
included) and by internal time (the hotspots themselves). Open a saved ``--output`` file with
``python -m pstats`` or snakeviz. Times under cProfile are inflated, most for code with many small
Python calls; compare shares, not absolute seconds, with ``bench_scale.py``.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import pstats
import sys
import sysconfig
import time
from pathlib import Path

from bench_scale import ROOT, scenario_path  # this folder is on sys.path when run as a script


def profile(name: str, steps: int, seed: int, include_build: bool) -> pstats.Stats:
    """Build a scenario's model and profile ``steps`` weeks.

    Args:
        name: Scenario name or path.
        steps: Weeks to profile.
        seed: Run seed.
        include_build: Also profile the model's construction.

    Returns:
        The collected statistics.
    """
    from village_sim import load_scenario
    from village_sim.model import VillageMarket

    scenario = load_scenario(scenario_path(name))
    profiler = cProfile.Profile()
    t0 = time.perf_counter()
    if include_build:
        profiler.enable()
    model = VillageMarket(scenario, seed=seed)
    t1 = time.perf_counter()
    if not include_build:
        profiler.enable()
    for _ in range(steps):
        model.step()
    profiler.disable()
    t2 = time.perf_counter()
    counts = model.initial_agent_counts
    print(
        f"# {Path(name).stem}: {counts['total']:,} individuals, build {t1 - t0:.2f} s, "
        f"{steps} steps {t2 - t1:.2f} s under cProfile ({1000 * (t2 - t1) / steps:.0f} ms/step)"
    )
    return pstats.Stats(profiler)


def short_path(filename: str) -> str:
    """Shorten a code path: from ``village_sim/``, after ``site-packages/``, or stdlib-relative."""
    import village_sim

    package_parent = str(Path(village_sim.__file__).resolve().parent.parent)
    for base in (package_parent, str(ROOT)):
        if filename.startswith(base + "/") and "site-packages/" not in filename:
            return filename[len(base) + 1 :]
    if "site-packages/" in filename:
        return filename.split("site-packages/", 1)[1]
    stdlib = sysconfig.get_paths()["stdlib"]
    if filename.startswith(stdlib + "/"):
        return filename[len(stdlib) + 1 :]
    return filename


def shorten_paths(stats: pstats.Stats) -> pstats.Stats:
    """Like ``Stats.strip_dirs`` but keep enough of each path to tell packages apart."""

    def short(func: tuple[str, int, str]) -> tuple[str, int, str]:
        return short_path(func[0]), func[1], func[2]

    old: dict = stats.stats  # type: ignore[attr-defined]
    new: dict = {}
    for func, (cc, nc, tt, ct, callers) in old.items():
        key = short(func)
        entry = (cc, nc, tt, ct, {short(f): c for f, c in callers.items()})
        new[key] = pstats.add_func_stats(new[key], entry) if key in new else entry
    stats.stats = new  # type: ignore[attr-defined]
    stats.top_level = {short(f) for f in stats.top_level}  # type: ignore[attr-defined]
    stats.fcn_list = None  # type: ignore[attr-defined]
    stats.all_callees = None  # type: ignore[attr-defined]
    return stats


def top(stats: pstats.Stats, sort: str, n: int) -> str:
    """The ``n`` top rows of ``stats`` sorted by ``sort``, as text."""
    buffer = io.StringIO()
    stats.stream = buffer  # type: ignore[attr-defined]
    stats.sort_stats(sort).print_stats(n)
    text = buffer.getvalue()
    # Drop pstats' preamble (timestamp, totals) above the column header.
    header = text.find("   ncalls")
    return text[header:].rstrip() if header >= 0 else text.rstrip()


def main(argv: list[str] | None = None) -> int:
    """Parse options, profile and print the top functions."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "scenario",
        nargs="?",
        default="baseline",
        help="scenario name (scenarios/NAME.yaml) or path (default: baseline)",
    )
    parser.add_argument("--steps", type=int, default=52, help="weeks to profile (default 52)")
    parser.add_argument("--seed", type=int, default=0, help="run seed (default 0)")
    parser.add_argument("--top", type=int, default=25, help="rows per table (default 25)")
    parser.add_argument(
        "--include-build", action="store_true", help="also profile the model's construction"
    )
    parser.add_argument(
        "--output", type=Path, metavar="PATH", help="save the raw statistics (pstats format)"
    )
    args = parser.parse_args(argv)
    if args.steps < 1:
        parser.error("--steps must be at least 1")

    stats = profile(args.scenario, args.steps, args.seed, args.include_build)
    if args.output:
        stats.dump_stats(args.output)
        print(f"wrote {args.output}", file=sys.stderr)
    shorten_paths(stats)
    print(f"\n## Top {args.top} by cumulative time\n")
    print(top(stats, "cumulative", args.top))
    print(f"\n## Top {args.top} by internal time (tottime)\n")
    print(top(stats, "tottime", args.top))
    return 0


if __name__ == "__main__":
    sys.exit(main())
