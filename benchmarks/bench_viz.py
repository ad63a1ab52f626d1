"""Speed of the browser visualization (``village-sim viz``): first render and each Step.

Run from the repository root::

    .venv/bin/python benchmarks/bench_viz.py                     # baseline, 30 Steps, in-process
    .venv/bin/python benchmarks/bench_viz.py --browser           # also in Chromium (Playwright)
    .venv/bin/python benchmarks/bench_viz.py --scenario scenarios/province.yaml --steps 5
    .venv/bin/python benchmarks/bench_viz.py --json viz.json

In-process (no browser) it

1. builds the page's model (``VizMarket``) and times the first render of the whole page
   (``solara.render`` of SolaraViz with every component, as a new browser session does);
2. clicks *Step* ``--steps`` times (render interval 1, the default) and times each click: the
   model's week plus the redraw of monitors, trade graph and time series (page 0);
3. times the same number of bare ``model.step()`` calls on a fresh model, so the redraw cost is
   the difference.

With ``--browser`` it also starts ``python -m village_sim.viz`` on a free loopback port, loads the
page in Debian's Chromium and times the first load (until every chart is drawn) and each Step
from the click until the week shown changes and until every chart is redrawn.

Target: under 0.5 s per Step at baseline scale with the default render interval.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
TARGET_STEP_S = 0.5


def summary(times: list[float]) -> dict[str, float]:
    """Median, mean, max and 90th percentile of a list of seconds."""
    ordered = sorted(times)
    return {
        "median_s": round(statistics.median(ordered), 4),
        "mean_s": round(statistics.fmean(ordered), 4),
        "p90_s": round(ordered[min(len(ordered) - 1, int(0.9 * len(ordered)))], 4),
        "max_s": round(ordered[-1], 4),
        "n": len(ordered),
    }


def in_process(scenario: Path, steps: int, seed: int) -> dict[str, Any]:
    """First render and Step clicks of the page, without a browser."""
    os.environ["VILLAGE_SIM_VIZ_SCENARIO"] = str(scenario.resolve())
    os.environ["VILLAGE_SIM_VIZ_SEED"] = str(seed)
    t0 = time.perf_counter()
    import ipyvuetify as v
    import solara

    from village_sim.viz.app import Page, VizMarket
    from village_sim.viz.levers import choice_label

    imported = time.perf_counter() - t0

    @solara.component
    def App() -> None:  # noqa: N802 - a Solara component
        with solara.AppLayout():
            Page()

    t0 = time.perf_counter()
    with contextlib.redirect_stdout(io.StringIO()):  # Solara prints the app bar's children
        _, rc = solara.render(App(), handle_error=False)
    first_render = time.perf_counter() - t0
    step_button = rc.find(v.Btn, children=["Step"]).widget
    clicks = []
    for _ in range(steps):
        t0 = time.perf_counter()
        step_button.click()
        clicks.append(time.perf_counter() - t0)
    week = rc.find(v.Html, class_="vs-week").widget.children[0]
    rc.close()

    model = VizMarket(scenario_file=choice_label(scenario), seed=seed)
    bare = []
    for _ in range(steps):
        t0 = time.perf_counter()
        model.step()
        bare.append(time.perf_counter() - t0)
    return {
        "import_s": round(imported, 3),
        "first_render_s": round(first_render, 3),
        "week_after": week,
        "step_click": summary(clicks),
        "model_step": summary(bare),
        "redraw_median_s": round(statistics.median(clicks) - statistics.median(bare), 4),
    }


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def in_browser(scenario: Path, steps: int, seed: int) -> dict[str, Any]:
    """First page load and Step round trips in Chromium."""
    from playwright.sync_api import expect, sync_playwright

    chromium = shutil.which("chromium")
    if chromium is None:
        return {"skipped": "chromium not installed (apt-get install -y chromium)"}
    port = _free_port()
    env = dict(os.environ, SOLARA_TELEMETRY_MIXPANEL_ENABLE="False")
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "village_sim.viz",
            str(scenario),
            "--port",
            str(port),
            "--seed",
            str(seed),
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}/"
    try:
        t0 = time.perf_counter()
        while True:
            try:
                with urllib.request.urlopen(url, timeout=2):
                    break
            except OSError:
                if time.perf_counter() - t0 > 90 or proc.poll() is not None:
                    return {"error": "server did not start"}
                time.sleep(0.2)
        server_up = time.perf_counter() - t0
        with sync_playwright() as p:
            browser = p.chromium.launch(
                executable_path=chromium,
                args=[
                    "--no-sandbox",
                    "--disable-gpu",
                    "--disable-background-networking",
                    "--disable-component-update",
                    "--disable-sync",
                    "--no-first-run",
                    "--disable-quic",
                ],
            )
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            page.set_default_timeout(60_000)
            week = page.locator(".vs-week")
            charts = page.locator(".vs-chart svg.marks")
            t0 = time.perf_counter()
            page.goto(url)
            expect(charts).to_have_count(8)
            first_load = time.perf_counter() - t0
            step = page.get_by_role("button", name="Step", exact=True)
            to_week, to_charts = [], []
            for n in range(1, steps + 1):
                # remember each chart's drawing; a redraw changes every one of them (each
                # time series gets a point, the graph new flows)
                page.evaluate(
                    "window.vsBefore = Array.from("
                    "document.querySelectorAll('.vs-chart svg.marks'), e => e.innerHTML)"
                )
                t0 = time.perf_counter()
                step.click()
                expect(week).to_have_text(f"Week {n}")
                to_week.append(time.perf_counter() - t0)
                page.wait_for_function(
                    "() => { const now = Array.from(document.querySelectorAll("
                    "'.vs-chart svg.marks'), e => e.innerHTML);"
                    " return now.length === window.vsBefore.length"
                    " && now.every((h, i) => h !== window.vsBefore[i]); }",
                    polling=10,
                )
                to_charts.append(time.perf_counter() - t0)
            browser.close()
        return {
            "server_up_s": round(server_up, 3),
            "first_load_s": round(first_load, 3),
            "step_to_week_shown": summary(to_week),
            "step_to_charts_redrawn": summary(to_charts),
        }
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()


def main() -> int:
    """Run the benchmark and print the results (and write them as JSON with ``--json``)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scenario", type=Path, default=ROOT / "scenarios" / "baseline.yaml")
    parser.add_argument("--steps", type=int, default=30)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--browser", action="store_true", help="also measure in Chromium")
    parser.add_argument("--json", type=Path, default=None, help="write the results here")
    args = parser.parse_args()
    results: dict[str, Any] = {
        "scenario": str(args.scenario),
        "steps": args.steps,
        "cpus": os.cpu_count(),
        "load_avg": os.getloadavg()[0],
    }
    results["in_process"] = in_process(args.scenario, args.steps, args.seed)
    if args.browser:
        results["browser"] = in_browser(args.scenario, args.steps, args.seed)
    ip = results["in_process"]
    print(
        f"scenario {args.scenario.name}: {args.steps} Steps, {os.cpu_count()} CPUs, "
        f"load average {results['load_avg']:.2f}"
    )
    print("| measure | median s | mean s | p90 s | max s |\n|---|---|---|---|---|")
    print(f"| first render (in-process) | {ip['first_render_s']} | | | |")
    rows = [("Step click, in-process", ip["step_click"]), ("model.step() alone", ip["model_step"])]
    if "browser" in results and "first_load_s" in results["browser"]:
        b = results["browser"]
        print(f"| first page load (browser, all charts) | {b['first_load_s']} | | | |")
        rows += [
            ("Step → week shown (browser)", b["step_to_week_shown"]),
            ("Step → charts redrawn (browser)", b["step_to_charts_redrawn"]),
        ]
    elif "browser" in results:
        print(f"browser: {results['browser']}")
    for label, s in rows:
        print(f"| {label} | {s['median_s']} | {s['mean_s']} | {s['p90_s']} | {s['max_s']} |")
    ok = ip["step_click"]["median_s"] < TARGET_STEP_S
    print(f"target: median Step < {TARGET_STEP_S} s in-process: {'met' if ok else 'NOT met'}")
    if args.json:
        args.json.write_text(json.dumps(results, indent=2), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
