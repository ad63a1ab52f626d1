"""Batch runner benchmark: speed-up on local Dask workers, per-run overhead, flat memory.

Run from the repository root::

    .venv/bin/python benchmarks/bench_batch.py                      # all three parts
    .venv/bin/python benchmarks/bench_batch.py --runs 40 --steps 104 --json bench_batch.json
    .venv/bin/python benchmarks/bench_batch.py --skip-speedup       # memory and overhead only

1. **Speed-up.** A 40-run experiment (the baseline county, 156 weeks by default, 40 replicates of
   one design point) runs with ``village-sim batch --workers 1`` (in-process) and ``--workers 2``
   (a local Dask cluster), each in a fresh process; the wall time of the whole command (cluster
   start and shutdown included) is compared. Target: >= 1.8x with two workers on two cores. For
   reference, two plain processes running simulations side by side (no Dask) measure the bound
   the hardware sets: each run is slower when the other core is busy too.
2. **Overhead per run.** From the sessions table, for both modes: the client's time per run
   (resolving the scenario, committing to the store), the workers' idle time between consecutive
   runs (scheduling and transfer), and the fixed costs (time to the first run: cluster start and
   imports; idle time at the end). Per-run costs are compared with the time of one baseline run
   (``scenarios/baseline.yaml``, 156 weeks), measured here. Target: < 5 %.
3. **Flat memory.** The same tiny experiment with 50 and 500 real runs (in-process, every weekly
   series kept): the peak RSS of each batch process (read by the process itself). Target: the
   larger batch needs no more than a few MB more.

The machine's load average is printed with the results: other work on the machine slows both
modes and lowers the measured speed-up.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

import duckdb
import yaml

REPO = Path(__file__).resolve().parent.parent
SCENARIOS = REPO / "scenarios"

RUNNER = textwrap.dedent("""
    import resource, sys, time
    from village_sim.cli import batch_cmd
    start = time.perf_counter()
    code = batch_cmd.run_standalone(batch_cmd.register, sys.argv[1:])
    print("BENCH", code, round(time.perf_counter() - start, 3),
          resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024)
""")


def batch(experiment: Path, out: Path, *extra: str) -> dict:
    """Run ``village-sim batch`` in a fresh process; wall time, peak RSS and session stats."""
    start = time.perf_counter()
    done = subprocess.run(
        [
            sys.executable,
            "-c",
            RUNNER,
            str(experiment),
            "--out",
            str(out),
            "--overwrite",
            "--progress",
            "none",
            *extra,
        ],
        capture_output=True,
        text=True,
        check=False,
        cwd=REPO,
    )
    wall = time.perf_counter() - start
    line = [ln for ln in done.stdout.splitlines() if ln.startswith("BENCH")]
    if done.returncode != 0 or not line:
        raise SystemExit(f"batch failed ({done.returncode}):\n{done.stdout}\n{done.stderr}")
    _, code, inner, peak_mb = line[-1].split()
    con = duckdb.connect(str(out / "results.duckdb"), read_only=True)
    stats = json.loads(
        con.execute("SELECT stats FROM sessions ORDER BY session DESC").fetchone()[0]
    )
    runs = con.execute("SELECT count(*) FROM runs WHERE status = 'ok'").fetchone()[0]
    con.close()
    session = {k: v for k, v in stats.items() if k != "workers"}
    session["session_wall_s"] = session.pop("wall_s")
    return {
        "exit": int(code),
        "process_s": round(wall, 2),
        "command_s": float(inner),
        "peak_rss_mb": int(peak_mb),
        "runs_ok": runs,
        **session,
    }


def write_experiment(
    folder: Path, name: str, runs: int, steps: int, small: bool, keep_series: bool
) -> Path:
    """A one-point experiment with ``runs`` replicates of the baseline county (or a tiny one)."""
    overrides = {}
    if small:
        overrides = {
            "world.county.villages": 3,
            "population.farmer_households": 150,
            "population.youth": 20,
            "population.consumer_units": 400,
        }
    data = {
        "name": name,
        "scenario": str(SCENARIOS / "baseline.yaml"),
        "overrides": overrides,
        "steps": steps,
        "replicates": runs,
        "seed": 1,
        "design": {"type": "paths", "paths": {"baseline": str(SCENARIOS / "baseline.yaml")}},
        "keep": {"indicators": "all", "timeseries": "all" if keep_series else []},
    }
    path = folder / f"{name}.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return path


def baseline_run_s() -> float:
    """Wall time of one full baseline run (156 weeks), in a fresh process."""
    code = (
        "import time, village_sim; s = village_sim.load_scenario('scenarios/baseline.yaml'); "
        "t = time.perf_counter(); village_sim.run(s, seed=1); print(time.perf_counter() - t)"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=REPO
    )
    return float(done.stdout.split()[-1])


CEILING = textwrap.dedent("""
    import sys, time, village_sim
    s = village_sim.load_scenario('scenarios/baseline.yaml', overrides={'steps': int(sys.argv[1])})
    times = []
    for seed in range(int(sys.argv[2]), int(sys.argv[2]) + int(sys.argv[3])):
        t = time.perf_counter(); village_sim.run(s, seed=seed); times.append(time.perf_counter() - t)
    print(sum(times) / len(times))
""")


def ceiling(steps: int, runs: int = 3) -> dict:
    """Plain processes, no Dask: mean run time alone and with a second process running beside it.

    Two simulations at once on two cores each run slower than one alone (shared caches and memory
    bandwidth); the ratio bounds the speed-up any scheduler can reach on this machine.
    """

    def start(first: int) -> subprocess.Popen:
        return subprocess.Popen(
            [sys.executable, "-c", CEILING, str(steps), str(first), str(runs)],
            stdout=subprocess.PIPE,
            text=True,
            cwd=REPO,
        )

    alone = float(start(1).communicate()[0])
    pair = [start(1), start(101)]
    together = sum(float(p.communicate()[0]) for p in pair) / 2
    return {
        "alone_s": round(alone, 3),
        "two_at_once_s": round(together, 3),
        "max_speedup": round(2 * alone / together, 3),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=40, help="runs of the speed-up experiment")
    parser.add_argument(
        "--steps",
        type=int,
        default=156,
        help="weeks per speed-up run (default: a full baseline run)",
    )
    parser.add_argument("--memory-runs", type=int, nargs=2, default=(50, 500))
    parser.add_argument("--skip-speedup", action="store_true")
    parser.add_argument("--skip-memory", action="store_true")
    parser.add_argument("--json", type=Path, default=None)
    args = parser.parse_args()

    results: dict = {
        "machine": {
            "python": platform.python_version(),
            "cores": os.cpu_count(),
            "load_before": os.getloadavg(),
        }
    }
    with tempfile.TemporaryDirectory(prefix="bench_batch-") as tmp:
        folder = Path(tmp)
        base = baseline_run_s()
        results["baseline_run_s"] = round(base, 2)
        print(f"one baseline run (156 weeks): {base:.2f} s")
        if not args.skip_speedup:
            exp = write_experiment(
                folder, "speedup", args.runs, args.steps, small=False, keep_series=False
            )
            one = batch(exp, folder / "one", "--workers", "1")
            two = batch(exp, folder / "two", "--workers", "2")
            speedup = one["process_s"] / two["process_s"]
            results["speedup"] = {
                "runs": args.runs,
                "steps": args.steps,
                "workers_1": one,
                "workers_2": two,
                "speedup": round(speedup, 3),
            }
            for label, res, workers in (("1 (in-process)", one, 1), ("2 (local Dask)", two, 2)):
                n = max(res["computed"], 1)
                per_run = res["run_s_sum"] / n
                # worker time not spent simulating: cluster start/stop, scheduling, idle tail,
                # resolving scenarios and writing the store, spread over the runs
                overhead = (res["session_wall_s"] * workers - res["run_s_sum"]) / n
                client = (res["store_s"] + res["resolve_s"]) / n
                gap = (res.get("scheduling_gap_s") or 0.0) / max(n - workers, 1)
                res["mean_run_s"] = round(per_run, 3)
                res["overhead_per_run_s"] = round(overhead, 4)
                res["client_per_run_s"] = round(client, 4)
                res["scheduling_gap_per_run_s"] = round(gap, 4)
                print(
                    f"workers {label}: {res['process_s']:.1f} s for {res['runs_ok']} runs "
                    f"(command {res['command_s']:.1f} s, mean run {per_run:.2f} s)"
                )
                print(
                    f"  per run: store + scenario resolution {client * 1000:.1f} ms, worker "
                    f"idle between runs {gap * 1000:.1f} ms: together "
                    f"{(client + gap) / base:.2%} of a baseline run"
                )
                print(
                    f"  fixed: {res.get('to_first_run_s')} s to the first run, "
                    f"{res.get('tail_idle_s')} worker-s idle at the end; all worker time not "
                    f"simulating, spread over the runs: {overhead * 1000:.0f} ms/run = "
                    f"{overhead / base:.1%} of a baseline run"
                )
            print(f"speed-up with 2 workers: {speedup:.2f}x (target >= 1.8x)")
            bound = ceiling(args.steps)
            results["speedup"]["ceiling"] = bound
            print(
                f"hardware bound: a run takes {bound['alone_s']:.2f} s alone and "
                f"{bound['two_at_once_s']:.2f} s with a second one beside it, so two processes "
                f"can reach at most {bound['max_speedup']:.2f}x; the batch reaches "
                f"{speedup / bound['max_speedup']:.0%} of that"
            )
        if not args.skip_memory:
            peaks = {}
            for n in args.memory_runs:
                exp = write_experiment(folder, f"memory{n}", n, 8, small=True, keep_series=True)
                res = batch(exp, folder / f"memory{n}", "--workers", "1")
                peaks[n] = res
                print(
                    f"{n} tiny runs in-process: peak RSS {res['peak_rss_mb']} MB "
                    f"({res['process_s']:.1f} s)"
                )
            small, large = args.memory_runs
            growth = peaks[large]["peak_rss_mb"] - peaks[small]["peak_rss_mb"]
            results["memory"] = {str(n): r for n, r in peaks.items()}
            results["memory"]["growth_mb"] = growth
            print(f"peak memory growth from {small} to {large} runs: {growth} MB")
    results["machine"]["load_after"] = os.getloadavg()
    print(
        f"load average before {results['machine']['load_before']}, "
        f"after {results['machine']['load_after']}"
    )
    if max(results["machine"]["load_before"][0], results["machine"]["load_after"][0]) > 2.5:
        print(
            "warning: other processes were busy on this machine (load average above the two "
            "benchmark processes); timings and the speed-up are unreliable — run it again on "
            "a quiet machine"
        )
    if args.json:
        args.json.write_text(json.dumps(results, indent=2), encoding="utf-8")


if __name__ == "__main__":
    main()
