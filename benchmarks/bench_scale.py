"""Speed and memory of village_sim at county and province scale, against Mesa's Boltzmann model.

Run from the repository root::

    .venv/bin/python benchmarks/bench_scale.py                 # baseline + province, 52 weeks
    .venv/bin/python benchmarks/bench_scale.py --steps 156 --reps 5 --json results.json
    .venv/bin/python benchmarks/bench_scale.py --scenarios baseline --skip-boltzmann

Each repetition runs in a fresh Python process, which

1. builds and steps a scenario through the public API (``load_scenario``,
   ``VillageMarket(scenario, seed=...)``, ``model.step()``), timing construction and stepping
   separately (same seed every time, so every repetition does the same work);
2. reads its own peak resident memory (``VmHWM``) after imports, construction and stepping;
3. steps Mesa's Boltzmann wealth model (``benchmarks/boltzmann.py``) at the same agent count.

The scenarios take turns, repetition by repetition. This process then

4. counts simulated individuals with ``model.initial_agent_counts`` (a consumer unit counts
   once) and computes agent-steps per second = individuals x steps / median stepping seconds,
   Boltzmann's likewise, and the ratio village_sim / Boltzmann;
5. reports province time relative to baseline (ratio of the median build + run times) and the
   largest peak memory of any repetition;
6. gives each speed target a verdict from its repetitions: PASS when every repetition meets it
   (each process's ratio to Boltzmann; each turn's province over baseline), FAIL when none does,
   MIXED when they disagree, and says when Boltzmann's own time varied by more than
   ``NOISY_SPREAD`` between repetitions (the machine's speed changed: the medians say little);
7. prints Markdown tables and, with ``--json PATH``, writes everything as JSON.

Targets: baseline agent-steps/s >= Boltzmann at the same agent count; province build + run time
<= 11x baseline; province peak RSS < 1 GB.
"""

from __future__ import annotations

import argparse
import datetime as dt
import gc
import hashlib
import importlib
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
SCENARIO_DIR = ROOT / "scenarios"

TARGET_BOLTZMANN_RATIO = 1.0
TARGET_PROVINCE_FACTOR = 11.0
TARGET_PEAK_RSS_MB = 1024.0
NOISY_SPREAD = 1.25  # Boltzmann's slowest over fastest repetition beyond which a machine is noisy


# -- helpers --------------------------------------------------------------------------------------
def scenario_path(name: str) -> Path:
    """Resolve a scenario given by name (``scenarios/NAME.yaml``) or by path.

    Args:
        name: A scenario name such as ``baseline`` or a path to a YAML file.

    Returns:
        The path of the scenario file.

    Raises:
        FileNotFoundError: If neither the path nor ``scenarios/NAME.yaml`` exists.
    """
    candidate = Path(name)
    if candidate.suffix in (".yaml", ".yml") and candidate.exists():
        return candidate
    path = SCENARIO_DIR / f"{name}.yaml"
    if not path.exists():
        raise FileNotFoundError(f"no scenario {name!r} (looked for {path})")
    return path


def scenario_label(name: str) -> str:
    """A short label for a scenario given by name or path."""
    return Path(name).stem


def maxrss_mb(ru_maxrss: int) -> float:
    """Convert ``ru_maxrss`` to MiB (kilobytes on Linux, bytes on macOS)."""
    return ru_maxrss / (1024 * 1024) if sys.platform == "darwin" else ru_maxrss / 1024


def median(values: list[float]) -> float:
    """The median of a non-empty list."""
    return float(statistics.median(values))


def machine_info() -> dict[str, Any]:
    """Describe the machine and software versions the numbers were measured with."""
    import mesa
    import numpy

    import village_sim

    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    try:
        usable = len(os.sched_getaffinity(0))
    except AttributeError:
        usable = os.cpu_count() or 1
    mem_total = None
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal"):
                mem_total = round(int(line.split()[1]) / 1024 / 1024, 1)
                break
    except OSError:
        pass
    commit = None
    try:
        commit = subprocess.run(
            ["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"],
            capture_output=True,
            text=True,
            check=True,
            timeout=10,
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "-C", str(ROOT), "status", "--porcelain", "--", "village_sim"],
            capture_output=True,
            text=True,
            timeout=10,
        ).stdout.strip()
        if dirty:
            commit += " (village_sim modified)"
    except (OSError, subprocess.SubprocessError):
        pass
    package = Path(village_sim.__file__).resolve().parent
    digest = hashlib.sha256()
    for source in sorted(package.rglob("*.py")):
        digest.update(source.relative_to(package).as_posix().encode())
        digest.update(source.read_bytes())
    return {
        "date": dt.datetime.now().astimezone().isoformat(timespec="seconds"),
        "cpu": cpu,
        "cores": usable,
        "memory_gb": mem_total,
        "os": platform.platform(),
        "python": platform.python_version(),
        "mesa": mesa.__version__,
        "numpy": numpy.__version__,
        "village_sim": village_sim.__version__,
        "git": commit,
        "load_average_start": list(os.getloadavg()),
        "village_sim_path": str(package),
        "village_sim_sha256": digest.hexdigest()[:12],
    }


# -- one repetition (a fresh process) -------------------------------------------------------------
def boltzmann_class() -> type:
    """Import ``BoltzmannWealth`` from ``benchmarks/boltzmann.py`` however this script is run."""
    if str(HERE) not in sys.path:
        sys.path.insert(0, str(HERE))
    return importlib.import_module("boltzmann").BoltzmannWealth


def peak_rss_mb() -> float:
    """This process's peak resident memory so far, in MiB.

    On Linux this is ``VmHWM`` from ``/proc/self/status``: the high-water mark of this process's own
    address space. ``ru_maxrss`` is not used there because a child's ``ru_maxrss`` starts at its
    parent's high-water mark (``fork`` copies the parent's address space, and ``exec`` keeps the
    maximum), so a big benchmark process would inflate it. Elsewhere ``ru_maxrss`` is the fallback.
    """
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return maxrss_mb(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)


def run_village_once(path: Path, steps: int, seed: int) -> dict[str, Any]:
    """Load, build and step a scenario once through the public API; time each phase.

    Args:
        path: Scenario file.
        steps: Weeks to step.
        seed: Run seed.

    Returns:
        ``load_s``, ``build_s``, ``step_s``, the agent counts at construction and at the end, and
        this process's peak RSS (MiB) after imports, after construction and after the steps.
    """
    from village_sim import load_scenario
    from village_sim.model import VillageMarket

    after_import = peak_rss_mb()
    gc.collect()
    t0 = time.perf_counter()
    scenario = load_scenario(path)
    t1 = time.perf_counter()
    model = VillageMarket(scenario, seed=seed)
    t2 = time.perf_counter()
    after_build = peak_rss_mb()
    for _ in range(steps):
        model.step()
    t3 = time.perf_counter()
    return {
        "load_s": t1 - t0,
        "build_s": t2 - t1,
        "step_s": t3 - t2,
        "counts": dict(model.initial_agent_counts),
        "final_counts": dict(model.agent_counts()),
        "rss_peak_import_mb": after_import,
        "rss_peak_build_mb": after_build,
        "rss_peak_run_mb": peak_rss_mb(),
    }


def run_boltzmann_once(n: int, steps: int, seed: int) -> dict[str, float]:
    """Build Mesa's Boltzmann wealth model with ``n`` agents and step it; time each phase.

    Args:
        n: Number of agents.
        steps: Steps.
        seed: Model seed.

    Returns:
        ``build_s`` and ``step_s``.
    """
    model_cls = boltzmann_class()
    gc.collect()
    t0 = time.perf_counter()
    model = model_cls(n, seed=seed)
    t1 = time.perf_counter()
    for _ in range(steps):
        model.step()
    t2 = time.perf_counter()
    return {"build_s": t1 - t0, "step_s": t2 - t1}


def child_main(name: str, steps: int, seed: int, boltzmann: bool) -> None:
    """One repetition, run in a fresh process: village_sim, then Boltzmann at the same count.

    Prints one JSON line: :func:`run_village_once`'s report, with Boltzmann's under
    ``boltzmann``. The memory figures are read before Boltzmann runs, so they are village_sim's.
    """
    report = run_village_once(scenario_path(name), steps, seed)
    if boltzmann:
        report["boltzmann"] = run_boltzmann_once(int(report["counts"]["total"]), steps, seed)
    print(json.dumps(report))


def run_child(name: str, steps: int, seed: int, boltzmann: bool) -> dict[str, Any]:
    """Run :func:`child_main` in a fresh Python process and return its report.

    ``os.wait4`` on the child's pid gives its ``ru_maxrss`` as a cross-check of its own ``VmHWM``;
    that number is only clean while this process is smaller than the child (this one stays small:
    it never builds a model).

    Raises:
        RuntimeError: If the child fails.
    """
    cmd = [
        sys.executable,
        str(Path(__file__).resolve()),
        "--child",
        name,
        "--steps",
        str(steps),
        "--seed",
        str(seed),
    ]
    if not boltzmann:
        cmd.append("--skip-boltzmann")
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, text=True, cwd=ROOT)
    assert proc.stdout is not None
    out = proc.stdout.read()
    proc.stdout.close()
    _, status, usage = os.wait4(proc.pid, 0)
    if os.waitstatus_to_exitcode(status) != 0:
        raise RuntimeError(f"benchmark child for {name!r} failed (status {status})")
    report = json.loads(out.strip().splitlines()[-1])
    report["ru_maxrss_wait4_mb"] = maxrss_mb(usage.ru_maxrss)
    return report


# -- repetitions -----------------------------------------------------------------------------------
def time_scenarios(
    names: list[str], steps: int, reps: int, seed: int, boltzmann: bool = True
) -> dict[str, dict[str, Any]]:
    """Time each scenario ``reps`` times, each repetition in a fresh process.

    A process's memory layout makes the same run a few per cent faster or slower for the whole
    life of the process (seen here: baseline's 52 weeks take 0.56-0.64 s in different processes,
    within 3 % in one), so repetitions in one process would share one draw of that luck. Fresh
    processes give independent draws, and the scenarios take turns (baseline, province,
    baseline, ...), so a slow drift of the machine falls on all of them.

    Args:
        names: Scenario names or paths.
        steps: Weeks (and Boltzmann steps) per repetition.
        reps: Repetitions (medians are reported).
        seed: Run seed (the same for every repetition, so every repetition does the same work).
        boltzmann: Also time Mesa's Boltzmann model, in the same process after each run.

    Returns:
        Per scenario label: :func:`summarize_scenario` of its repetitions.
    """
    runs: dict[str, list[dict[str, Any]]] = {scenario_label(n): [] for n in names}
    for rep in range(reps):
        for name in names:
            label = scenario_label(name)
            r = run_child(name, steps, seed, boltzmann)
            runs[label].append(r)
            line = (
                f"  {label} rep {rep + 1}/{reps}: build {r['build_s']:.2f} s, "
                f"{steps} steps {r['step_s']:.2f} s, peak RSS {r['rss_peak_run_mb']:.0f} MB"
            )
            if boltzmann:
                line += f"; Boltzmann {steps} steps {r['boltzmann']['step_s']:.2f} s"
            print(line, file=sys.stderr, flush=True)
    return {
        scenario_label(n): summarize_scenario(n, runs[scenario_label(n)], steps, seed)
        for n in names
    }


def summarize_scenario(
    name: str, village: list[dict[str, Any]], steps: int, seed: int
) -> dict[str, Any]:
    """Medians, agent-steps per second and memory of one scenario's repetitions.

    Args:
        name: Scenario name or path.
        village: The children's reports (:func:`child_main`).
        steps: Weeks per repetition.
        seed: Run seed.

    Returns:
        Agent counts, per-repetition times and their medians, agent-steps per second, peak
        memory (the largest of the repetitions), and, where Boltzmann ran, the same for Mesa's
        model with the ratio village_sim / Boltzmann.
    """
    counts = village[-1]["counts"]
    individuals = int(counts["total"])
    build_s = [v["build_s"] for v in village]
    step_s = [v["step_s"] for v in village]
    step_median = median(step_s)
    result: dict[str, Any] = {
        "scenario": scenario_label(name),
        "path": str(scenario_path(name)),
        "steps": steps,
        "reps": len(village),
        "seed": seed,
        "agent_counts": counts,
        "final_agent_counts": village[-1]["final_counts"],
        "individuals": individuals,
        "load_s": [v["load_s"] for v in village],
        "build_s": build_s,
        "step_s": step_s,
        "load_median_s": median([v["load_s"] for v in village]),
        "build_median_s": median(build_s),
        "step_median_s": step_median,
        "total_median_s": median([b + s for b, s in zip(build_s, step_s, strict=True)]),
        "ms_per_step": 1000 * step_median / steps,
        "agent_steps_per_s": individuals * steps / step_median,
        "memory": {
            key: max(v[key] for v in village)
            for key in (
                "rss_peak_import_mb",
                "rss_peak_build_mb",
                "rss_peak_run_mb",
                "ru_maxrss_wait4_mb",
            )
        },
    }
    bz = [v["boltzmann"] for v in village if "boltzmann" in v]
    if bz:
        bz_step = median([b["step_s"] for b in bz])
        result["boltzmann"] = {
            "agents": individuals,
            "steps": steps,
            "reps": len(bz),
            "build_s": [b["build_s"] for b in bz],
            "step_s": [b["step_s"] for b in bz],
            "build_median_s": median([b["build_s"] for b in bz]),
            "step_median_s": bz_step,
            "agent_steps_per_s": individuals * steps / bz_step,
        }
        # Per process, then the median: each ratio compares two models under the same luck.
        result["ratio_vs_boltzmann_per_rep"] = [
            b["step_s"] / v["step_s"] for v, b in zip(village, bz, strict=True)
        ]
        result["ratio_vs_boltzmann"] = result["agent_steps_per_s"] / (individuals * steps / bz_step)
    return result


# -- report ---------------------------------------------------------------------------------------
def fmt_rate(x: float | None) -> str:
    """Agent-steps per second in millions."""
    return "–" if x is None else f"{x / 1e6:.2f} M"


def verdict(ok: bool | None) -> str:
    """PASS / FAIL / n/a."""
    return "n/a" if ok is None else ("PASS" if ok else "FAIL")


def repetition_verdict(passes: list[bool]) -> str:
    """PASS when every repetition meets a target, FAIL when none does, MIXED otherwise.

    A median can land on either side of a threshold when the machine's speed changes during a
    benchmark (on a shared VM, Boltzmann's own time has varied 2x between repetitions); only
    repetitions that agree give a verdict.
    """
    if not passes:
        return "n/a"
    if all(passes):
        return "PASS"
    if not any(passes):
        return "FAIL"
    return f"MIXED ({sum(passes)} of {len(passes)} repetitions pass)"


def spread(values: list[float]) -> float:
    """Largest over smallest of positive values (1.0 for one value)."""
    return max(values) / min(values)


def summarize(results: dict[str, Any]) -> dict[str, Any]:
    """Compute the ratios and the verdicts on the targets."""
    scen = results["scenarios"]
    summary: dict[str, Any] = {}
    base = scen.get("baseline")
    prov = scen.get("province")
    if base and base.get("boltzmann"):
        ratio = base["agent_steps_per_s"] / base["boltzmann"]["agent_steps_per_s"]
        per_rep = base["ratio_vs_boltzmann_per_rep"]
        summary["baseline_vs_boltzmann"] = ratio
        summary["baseline_vs_boltzmann_per_rep"] = per_rep
        summary["verdict_baseline_vs_boltzmann"] = repetition_verdict(
            [r >= TARGET_BOLTZMANN_RATIO for r in per_rep]
        )
        summary["target_baseline_vs_boltzmann"] = summary["verdict_baseline_vs_boltzmann"] == "PASS"
        summary["boltzmann_step_spread"] = spread(base["boltzmann"]["step_s"])
    if base and prov:
        summary["province_over_baseline_total"] = prov["total_median_s"] / base["total_median_s"]
        summary["province_over_baseline_step"] = prov["step_median_s"] / base["step_median_s"]
        summary["province_over_baseline_build"] = prov["build_median_s"] / base["build_median_s"]
        summary["province_over_baseline_agents"] = prov["individuals"] / base["individuals"]
        # The scenarios take turns, so repetition i of each ran close together in time.
        per_turn = [
            (pb + ps) / (bb + bs)
            for pb, ps, bb, bs in zip(
                prov["build_s"], prov["step_s"], base["build_s"], base["step_s"], strict=True
            )
        ]
        summary["province_over_baseline_per_rep"] = per_turn
        summary["verdict_province_factor"] = repetition_verdict(
            [f <= TARGET_PROVINCE_FACTOR for f in per_turn]
        )
        summary["target_province_factor"] = summary["verdict_province_factor"] == "PASS"
    if prov and prov.get("memory"):
        peak = prov["memory"]["rss_peak_run_mb"]
        summary["province_peak_rss_mb"] = peak
        summary["target_province_memory"] = peak < TARGET_PEAK_RSS_MB
    return summary


def markdown(results: dict[str, Any]) -> str:
    """Render the results as Markdown tables."""
    info = results["machine"]
    lines = [
        f"Machine: {info['cores']} cores ({info['cpu']}), {info['memory_gb']} GB RAM, "
        f"{info['os']}; Python {info['python']}, Mesa {info['mesa']}, NumPy {info['numpy']}, "
        f"village_sim {info['village_sim']} (git {info['git']}; source sha256 "
        f"{info['village_sim_sha256']} from {info['village_sim_path']}); {info['date']}.",
        f"Steps per run: {results['steps']}; repetitions: {results['reps']} (median); "
        f"seed {results['seed']}; 1-min load average {info['load_average_start'][0]:.2f} at the "
        f"start, {info['load_average_end'][0]:.2f} at the end.",
        "",
        "| scenario | individuals | build (s) | steps (s) | ms/step | agent-steps/s "
        "| Boltzmann agent-steps/s (same N) | village_sim / Boltzmann | peak RSS build (MB) "
        "| peak RSS build+run (MB) |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in results["scenarios"].values():
        bz = r.get("boltzmann")
        mem = r.get("memory")
        cells = [
            r["scenario"],
            f"{r['individuals']:,}",
            f"{r['build_median_s']:.2f}",
            f"{r['step_median_s']:.2f}",
            f"{r['ms_per_step']:.1f}",
            fmt_rate(r["agent_steps_per_s"]),
            fmt_rate(bz["agent_steps_per_s"]) if bz else "–",
            f"{r['ratio_vs_boltzmann']:.2f}" if bz else "–",
            f"{mem['rss_peak_build_mb']:.0f}" if mem else "–",
            f"{mem['rss_peak_run_mb']:.0f}" if mem else "–",
        ]
        lines.append("| " + " | ".join(cells) + " |")
    lines += [
        "",
        "Individuals by class at construction (a consumer unit counts once):",
        "",
        "| scenario | " + " | ".join(_classes(results)) + " |",
        "|---|" + "---:|" * len(_classes(results)),
    ]
    for r in results["scenarios"].values():
        cells = [f"{r['agent_counts'].get(c, 0):,}" for c in _classes(results)]
        lines.append(f"| {r['scenario']} | " + " | ".join(cells) + " |")
    s = results["summary"]
    targets: list[str] = []
    if "baseline_vs_boltzmann" in s:
        per_rep = s["baseline_vs_boltzmann_per_rep"]
        targets.append(
            f"| baseline agent-steps/s >= Mesa Boltzmann (same N) "
            f"| {s['baseline_vs_boltzmann']:.2f}x (repetitions {min(per_rep):.2f}"
            f"-{max(per_rep):.2f}x) "
            f"| {s['verdict_baseline_vs_boltzmann']} |"
        )
    if "province_over_baseline_total" in s:
        per_turn = s["province_over_baseline_per_rep"]
        targets.append(
            f"| province build+run time <= {TARGET_PROVINCE_FACTOR:g}x baseline "
            f"| {s['province_over_baseline_total']:.1f}x (repetitions {min(per_turn):.1f}"
            f"-{max(per_turn):.1f}x; steps "
            f"{s['province_over_baseline_step']:.1f}x, build "
            f"{s['province_over_baseline_build']:.1f}x; agents "
            f"{s['province_over_baseline_agents']:.1f}x) "
            f"| {s['verdict_province_factor']} |"
        )
    if "province_peak_rss_mb" in s:
        targets.append(
            f"| province peak RSS < 1 GB | {s['province_peak_rss_mb']:.0f} MB "
            f"| {verdict(s['target_province_memory'])} |"
        )
    if targets:
        lines += ["", "| target | measured | verdict |", "|---|---:|---|", *targets]
    lines += noise_note(s)
    return "\n".join(lines)


def noise_note(summary: dict[str, Any]) -> list[str]:
    """A paragraph saying that the machine's speed changed, when Boltzmann's time varied."""
    if summary.get("boltzmann_step_spread", 1.0) <= NOISY_SPREAD:
        return []
    return [
        "",
        f"Boltzmann's own time varied {summary['boltzmann_step_spread']:.1f}x between "
        "repetitions: the machine's speed changed during the benchmark, so the medians say "
        "little; read the per-repetition range (and run again on a quiet machine).",
    ]


def _classes(results: dict[str, Any]) -> list[str]:
    names: list[str] = []
    for r in results["scenarios"].values():
        for c in r["agent_counts"]:
            if c not in names:
                names.append(c)
    return names


# -- main -----------------------------------------------------------------------------------------
def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """Command-line options."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--scenarios",
        nargs="+",
        default=["baseline", "province"],
        help="scenario names (scenarios/NAME.yaml) or paths (default: baseline province)",
    )
    parser.add_argument(
        "--steps",
        type=int,
        default=52,
        help="weeks stepped per run (default 52; the full scenario is 156)",
    )
    parser.add_argument(
        "--reps",
        type=int,
        default=5,
        help="repetitions (each in a fresh process); medians are reported (default 5)",
    )
    parser.add_argument("--seed", type=int, default=0, help="run seed (default 0)")
    parser.add_argument("--json", type=Path, metavar="PATH", help="also write results as JSON")
    parser.add_argument(
        "--skip-boltzmann", action="store_true", help="do not run Mesa's Boltzmann model"
    )
    parser.add_argument("--child", metavar="SCENARIO", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.steps < 1 or args.reps < 1:
        parser.error("--steps and --reps must be at least 1")
    return args


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark and print (and optionally save) the results."""
    args = parse_args(argv)
    if args.child:
        child_main(args.child, args.steps, args.seed, boltzmann=not args.skip_boltzmann)
        return 0
    for name in args.scenarios:
        try:
            scenario_path(name)  # fail early on a typo
        except FileNotFoundError as exc:
            print(f"bench_scale: {exc}", file=sys.stderr)
            return 2
    results: dict[str, Any] = {
        "machine": machine_info(),
        "steps": args.steps,
        "reps": args.reps,
        "seed": args.seed,
        "targets": {
            "baseline_vs_boltzmann_min": TARGET_BOLTZMANN_RATIO,
            "province_over_baseline_max": TARGET_PROVINCE_FACTOR,
            "province_peak_rss_mb_max": TARGET_PEAK_RSS_MB,
        },
        "scenarios": time_scenarios(
            args.scenarios, args.steps, args.reps, args.seed, boltzmann=not args.skip_boltzmann
        ),
    }
    results["machine"]["load_average_end"] = list(os.getloadavg())
    results["summary"] = summarize(results)
    print(markdown(results))
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(results, indent=2) + "\n")
        print(f"\nwrote {args.json}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
