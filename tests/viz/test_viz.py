"""The browser visualization (``village-sim viz``): levers, data, charts, the page in-process, and
the page in a real browser (Debian's Chromium driven by Playwright; never ``playwright install``).
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import BASELINE, REPO, SMALL_SCENARIO, stop_process, write_yaml

from village_sim.viz import charts, data, levers

SMALL = dict(SMALL_SCENARIO)


@pytest.fixture(scope="module")
def small_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_yaml(tmp_path_factory.mktemp("viz") / "small.yaml", SMALL)


@pytest.fixture(scope="module")
def stepped():
    """The baseline county with tools handed out, run 20 weeks (shared, read-only)."""
    from village_sim.viz.app import VizMarket

    model = VizMarket(scenario_file=str(BASELINE), seed=3, tool_handout=True)
    for _ in range(20):
        model.step()
    return model


# ------------------------------------------------------------------------------------------------
# levers → scenario
# ------------------------------------------------------------------------------------------------
def test_every_scenario_of_the_picker_loads() -> None:
    choices = levers.scenario_choices()
    assert len(choices) >= 2
    for label in choices:
        assert levers.build_scenario(label).name


def test_levers_off_leave_the_scenario_as_written() -> None:
    assert levers.lever_policies({}) == []
    assert levers.build_scenario(BASELINE).policies == []
    assert levers.choice_label(BASELINE) == "baseline"
    assert "baseline" in levers.scenario_choices()


def test_each_path_gets_one_policy_with_its_measures() -> None:
    scenario = levers.build_scenario(
        "baseline",
        {
            "training_extra_seats": "80",
            "training_quality": "1.3",
            "standard_courses": True,
            "broadband": "mountain villages",
            "cold_chain": True,
            "standardisation": "0.5",
            "traceability": True,
            "commission_cap": "0.10",
            "platform_fairness": True,
            "policy_budget": "10",
            "policy_start_week": "13",
        },
    )
    by_name = {p.name: p for p in scenario.policies}
    assert set(by_name) == {
        "viz_talent",
        "viz_infrastructure",
        "viz_supply_side",
        "viz_co_governance",
    }
    talent = by_name["viz_talent"].measures.training
    assert (talent.seats_per_year, talent.quality_multiplier, talent.standard_share) == (
        80,
        1.3,
        1.0,
    )
    infra = by_name["viz_infrastructure"].measures
    assert infra.broadband.terrains == ["mountain"] and infra.cold_chain.roads
    assert by_name["viz_supply_side"].measures.standardisation.quality_sd_factor == 0.5
    co = by_name["viz_co_governance"].measures
    assert co.commission_cap.max_commission == 0.1 and co.platform_fairness.local_boost == 1.5
    assert all(p.budget_yuan == 10e6 and p.start_week == 13 for p in scenario.policies)


def test_levers_add_to_the_scenario_own_policies(tmp_path: Path) -> None:
    own = dict(
        SMALL,
        policies=[
            {
                "name": "viz_talent",
                "path": "talent",
                "measures": {"honour_system": {"awards_per_year": 2}},
            }
        ],
    )
    path = write_yaml(tmp_path / "own.yaml", own)
    scenario = levers.build_scenario(path, {"training_extra_seats": 40})
    assert [p.name for p in scenario.policies] == ["viz_talent", "viz_talent_lever"]


def test_lever_values_are_checked() -> None:
    with pytest.raises(ValueError, match="unknown lever"):
        levers.normalise({"broadbnad": "all villages"})
    with pytest.raises(ValueError, match="broadband"):
        levers.normalise({"broadband": "everywhere"})
    assert levers.normalise({"training_extra_seats": 100.0})["training_extra_seats"] == 100
    assert levers.describe({"tool_handout": True}) == ["hand digital tools to anchors"]


def test_model_params_match_the_model_signature() -> None:
    """Every sidebar control is a keyword of VizMarket (what Mesa's Reset passes)."""
    import inspect

    from mesa.visualization.solara_viz import _check_model_params

    from village_sim.viz.app import VizMarket, model_params

    params = model_params(BASELINE)
    accepted = set(inspect.signature(VizMarket.__init__).parameters) - {"self"}
    assert set(params) == accepted
    assert params["scenario_file"]["value"] == "baseline"
    assert params["seed"]["type"] == "InputText"
    _check_model_params(VizMarket.__init__, params)


def test_seed_text_and_bad_scenario_do_not_break_the_page(
    tmp_path: Path, small_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from village_sim.viz.app import VizMarket, parse_seed

    assert parse_seed(" 42 ") == (42, None)
    assert parse_seed("") == (None, None) and parse_seed(None) == (None, None)
    assert parse_seed("4.5")[1] and parse_seed("abc")[1] and parse_seed("-3")[1]
    monkeypatch.setenv(levers.SCENARIO_ENV, str(small_file))
    model = VizMarket(scenario_file=str(small_file), seed="7")
    assert model.seed == 7 and model.viz_warnings == []
    # seed None (what mesa.batch_run's iterations pass) is a fresh seed, shown on the page
    fresh = [VizMarket(scenario_file=str(small_file), seed=None).seed for _ in range(2)]
    assert fresh[0] != fresh[1] and 0 not in fresh
    bad = tmp_path / "bad.yaml"
    bad.write_text("population: {youth: -1}\n", encoding="utf-8")
    fallback = VizMarket(scenario_file=str(bad), seed="x")
    assert fallback.config.name == "small"
    assert any("bad.yaml" in w for w in fallback.viz_warnings)
    assert any("Seed 'x'" in w for w in fallback.viz_warnings)


# ------------------------------------------------------------------------------------------------
# what the plots show
# ------------------------------------------------------------------------------------------------
def test_lorenz_curve() -> None:
    xs, ys, gini = data.lorenz([1, 1, 1, 1])
    assert xs[0] == ys[0] == 0 and xs[-1] == ys[-1] == 1 and gini == pytest.approx(0)
    _, ys, gini = data.lorenz([0, 0, 0, 10])
    assert ys[-2] == 0 and gini == pytest.approx(0.75)
    assert data.lorenz([])[2] is None


def test_plot_data_follow_the_model(stepped) -> None:
    model = stepped
    assert model.week == 20 and len(model.viz_youth_history) == 20
    assert sum(data.youth_counts(model).values()) == model.config.population.youth
    nodes, edges = data.trade_graph(model, model.viz_positions)
    graph = model.world.graph
    assert len(nodes) == graph.number_of_nodes() and len(edges) == graph.number_of_edges()
    assert {n["kind"] for n in nodes} == {"village", "township", "county_hub", "city"}
    assert any(e["road"] == "cold chain" for e in edges)
    assert sum(e["flow_kg_week"] for e in edges) > 0
    assert all(n["volume_kg_week"] >= 0 for n in nodes)
    assert data.node_positions(graph) == model.viz_positions  # a fixed layout
    headline = data.headline(model, ["farmer_share_of_spending", "active_anchors"])
    assert headline["farmer_share_of_spending"][1] == "so far"
    assert headline["active_anchors"] == (data.latest(model)["active_anchors"], "last week")
    groups = data.suspension_by_group(model)
    assert any("handed out" in g["group"] for g in groups)
    assert all(0 <= g["rate"] <= 1 for g in groups)
    split = data.group_split(data.seller_week(model))
    for measure in {r["measure"] for r in split}:
        shares = [r["share"] for r in split if r["measure"] == measure and r["share"] is not None]
        assert sum(shares) == pytest.approx(1.0) or not shares


def test_every_chart_has_title_axis_units_and_legends(stepped) -> None:
    """Plots: a title, axis titles with units, a legend when there is more than one line."""
    from village_sim.viz import components as c

    model = stepped
    nodes, edges = data.trade_graph(model)
    specs = [charts.trade_graph_chart(nodes, edges, key) for key in ("farmer_share", "brand_trust")]
    for s in c.SERIES.values():
        rows = data.series(data.weekly(model), s.columns)
        for name, label in (s.so_far or {}).items():
            rows.extend(data.ratio_so_far(model, name, label))
        spec = charts.line_chart(rows, s.title, s.y_title, y_format=s.y_format)
        lines = {r["series"] for r in rows}
        assert (spec["encoding"]["color"].get("legend", {}) is None) == (len(lines) == 1)
        assert "(" in spec["encoding"]["y"]["title"] and "weeks" in spec["encoding"]["x"]["title"]
        specs.append(spec)
    specs.append(charts.lorenz_chart({"traffic": ([0, 1], [0, 1])}))
    specs.append(charts.split_chart(data.group_split(data.seller_week(model))))
    specs.append(
        charts.bar_chart(
            data.suspension_by_tool(model), "tool", "rate", "T", "idle / held (share)", "tool"
        )
    )
    specs.append(charts.stacked_area_chart([], ["a", "b"], "T", "people (persons)"))
    for spec in specs:
        json.dumps(spec, allow_nan=False)  # JSON-safe: no NaN reaches the browser
        assert spec["title"]["text"]
        assert spec["$schema"].startswith("https://vega.github.io/schema/vega-lite/v5")


# ------------------------------------------------------------------------------------------------
# the page, in-process
# ------------------------------------------------------------------------------------------------
def test_page_renders_and_step_advances_a_week(
    small_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import ipyvuetify as v
    import solara

    from village_sim.viz.app import Page
    from village_sim.viz.widgets import VegaChart

    monkeypatch.setenv(levers.SCENARIO_ENV, str(small_file))

    @solara.component
    def App():  # noqa: N802 - a Solara component
        with solara.AppLayout():
            Page()

    box, rc = solara.render(App(), handle_error=False)
    try:

        def week() -> str:
            return rc.find(v.Html, class_="vs-week").widget.children[0]

        def click(label: str) -> None:
            rc.find(v.Btn, children=[label]).widget.click()

        assert week() == "Week 0"
        click("Reset")
        assert week() == "Week 0"
        click("Step")
        assert week() == "Week 1"
        click("Step")
        assert week() == "Week 2"
        specs = [w.spec for w in rc.find(VegaChart).widgets]
        assert len(specs) == 2 + len(PAGE0_SERIES)
        titles = {s["title"]["text"] for s in specs}
        assert "Active anchors" in titles and any(t.startswith("Trade graph") for t in titles)
        income = next(s for s in specs if s["title"]["text"].startswith("Farm-sales income"))
        # the page says "Week 2": the weekly charts end at week 2 (week 1 = the first step)
        assert [r["week"] for r in income["datasets"]["table"]] == [1, 2]
        click("Reset")
        assert week() == "Week 0"
    finally:
        rc.close()


def test_trade_graph_labels_every_place_apart_and_colours_show_differences(stepped) -> None:
    model = stepped
    nodes, edges = data.trade_graph(model, model.viz_positions)
    spec = charts.trade_graph_chart(nodes, edges, "brand_trust")
    labels = spec["datasets"]["labels"]
    villages = [n for n in nodes if n["kind"] == "village"]
    assert {charts.short_name(n["name"], n["terrain"]) for n in villages} <= {
        lab["label"] for lab in labels
    }
    # label boxes (in pixels) do not overlap one another
    (x0, x1), (y0, y1) = (spec["layer"][0]["encoding"][k]["scale"]["domain"] for k in "xy")
    boxes = []
    for lab in labels:
        cx = (lab["x"] - x0) / (x1 - x0) * charts.GRAPH_WIDTH
        cy = (y1 - lab["y"]) / (y1 - y0) * charts.GRAPH_HEIGHT
        w = charts.LABEL_CHAR_PX * len(lab["label"]) / 2
        boxes.append((cx - w, cy - 4, cx + w, cy + 4))
    clashes = [
        (a, b)
        for i, a in enumerate(boxes)
        for b in boxes[i + 1 :]
        if min(a[2], b[2]) > max(a[0], b[0]) and min(a[3], b[3]) > max(a[1], b[1])
    ]
    assert clashes == []
    # the colour scale spans the villages' own values, not the whole 0-1 range
    trust = [n["brand_trust"] for n in villages if n["brand_trust"] is not None]
    fill = spec["layer"][2]["encoding"]["fill"]["scale"]["domain"]
    assert fill[0] <= min(trust) and fill[1] >= max(trust) and fill[1] - fill[0] < 0.5
    assert charts.colour_domain([0.5, 0.5]) == [0.49, 0.51]
    assert charts.colour_domain([None]) == [0.0, 1.0]


def test_youth_charts_share_colours_and_empty_charts_say_why(stepped) -> None:
    from village_sim.viz import components as c

    colours = c.youth_colours()
    history = charts.stacked_area_chart([], list(colours)[1:], "t", "y (persons)", colours=colours)
    assert history["encoding"]["color"]["scale"]["range"] == list(colours.values())[1:]
    assert c.empty_note([], "x").startswith("Nothing yet")
    assert c.empty_note([{"value": None}], "no sale yet") == "Nothing to draw: no sale yet."
    assert c.empty_note([{"value": 1.0}], "x") is None


PAGE0_SERIES = ("income", "anchors", "suspension", "traffic", "farmer_share", "losses", "trust")


# ------------------------------------------------------------------------------------------------
# the command
# ------------------------------------------------------------------------------------------------
def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_port_taken_is_refused_with_exit_2() -> None:
    from village_sim.cli import viz_cmd

    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen(1)
        port = busy.getsockname()[1]
        err = io.StringIO()
        with contextlib.redirect_stderr(err):
            code = viz_cmd.main([str(BASELINE), "--port", str(port)])
    assert code == 2
    assert f"port {port} on 127.0.0.1 is already in use" in err.getvalue()
    assert "Traceback" not in err.getvalue()


def test_bad_scenario_or_port_is_refused_with_exit_2(tmp_path: Path) -> None:
    from village_sim.cli import viz_cmd

    err = io.StringIO()
    with contextlib.redirect_stderr(err):
        assert viz_cmd.main([str(tmp_path / "missing.yaml")]) == 2
        assert viz_cmd.main([str(BASELINE), "--port", "70000"]) == 2
    assert "missing.yaml" in err.getvalue() and "--port 70000" in err.getvalue()
    assert viz_cmd.DEFAULT_PORT != 8765


def _viz_command() -> list[str]:
    """``village-sim viz`` (the console script, else ``python -m village_sim.cli viz``)."""
    script = Path(sys.executable).with_name("village-sim")
    if script.exists():
        return [str(script), "viz"]
    return [sys.executable, "-m", "village_sim.cli", "viz"]


def test_viz_does_not_import_the_command_line() -> None:
    import ast

    for path in (REPO / "village_sim" / "viz").glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            names = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom):
                names = [node.module or ""]
            assert not any(n.startswith("village_sim.cli") for n in names), path


# ------------------------------------------------------------------------------------------------
# the page in a real browser
# ------------------------------------------------------------------------------------------------
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]


@pytest.fixture
def viz_server(tmp_path: Path) -> Iterator[str]:
    """``village-sim viz --port 0`` (a free loopback port, read from what it prints); stopped by
    its process id afterwards."""
    log_path = tmp_path / "server.log"
    log = log_path.open("w")
    env = dict(os.environ, SOLARA_TELEMETRY_MIXPANEL_ENABLE="False", PYTHONUNBUFFERED="1")
    proc = subprocess.Popen(
        [*_viz_command(), str(BASELINE), "--port", "0"],
        cwd=REPO,
        stdout=log,
        stderr=subprocess.STDOUT,
        env=env,
    )
    try:
        deadline = time.monotonic() + 60
        url = None
        while True:
            if proc.poll() is not None:
                pytest.fail(f"viz server exited with {proc.returncode}: {log_path.read_text()}")
            if url is None:
                found = re.search(r"serving on (http://127\.0\.0\.1:(\d+))", log_path.read_text())
                url = f"{found.group(1)}/" if found else None
                assert found is None or found.group(2) != "0"
            if url is not None:
                try:
                    with urllib.request.urlopen(url, timeout=2) as response:
                        if response.status == 200:
                            break
                except OSError:
                    pass
            if time.monotonic() > deadline:
                pytest.fail("viz server did not answer within 60 s")
            time.sleep(0.3)
        yield url
    finally:
        stop_process(proc)
        log.close()


@pytest.fixture
def chromium() -> str:
    """Debian's Chromium (``apt-get install -y chromium``; ``.ci/run`` installs it)."""
    path = shutil.which("chromium")
    if path is None:
        pytest.skip(
            "Debian's chromium is not installed (apt-get install -y chromium; .ci/run does it)"
        )
    return path


@pytest.mark.slow
def test_in_a_real_browser(chromium: str, viz_server: str, tmp_path: Path) -> None:
    from playwright.sync_api import expect, sync_playwright

    expect.set_options(timeout=30_000)

    problems: list[str] = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            page.on(
                "console",
                lambda m: (
                    problems.append(f"console {m.type}: {m.text}") if m.type == "error" else None
                ),
            )
            page.on("pageerror", lambda e: problems.append(f"page error: {e}"))
            page.on("requestfailed", lambda r: problems.append(f"request failed: {r.url}"))
            page.set_default_timeout(30_000)
            page.goto(viz_server)
            week = page.locator(".vs-week")
            gmv = page.locator(".vs-monitor-gmv .vs-value")
            charts_svg = page.locator(".vs-chart svg.marks")

            # the model may be shared with other sessions: start from Reset
            page.get_by_role("button", name="Reset", exact=True).click()
            expect(week).to_have_text("Week 0")
            before = gmv.inner_text()
            for n in (1, 2, 3):
                page.get_by_role("button", name="Step", exact=True).click()
                expect(week).to_have_text(f"Week {n}")
            assert gmv.inner_text() != before
            expect(charts_svg).to_have_count(2 + len(PAGE0_SERIES))

            # where each yuan goes: drawn beside the trade graph, and moved by a lever
            flows = page.locator(".vs-chart-value-flows")
            expect(flows.locator("svg.marks")).to_have_count(1)
            expect(flows).to_contain_text("Where each yuan of live-stream spending goes")
            caption = flows.locator(".vs-caption")
            expect(caption).to_contain_text("farm households")
            uncapped = caption.inner_text()
            page.get_by_role(
                "button", name="Co-governance: cap on external commission (share of sales)"
            ).click()
            page.get_by_role("option", name="0.05", exact=True).click()
            page.get_by_role("button", name="Reset", exact=True).click()
            expect(week).to_have_text("Week 0")
            expect(caption).to_contain_text("no week has run")
            for n in (1, 2, 3):
                page.get_by_role("button", name="Step", exact=True).click()
                expect(week).to_have_text(f"Week {n}")
            expect(page.locator(".vs-scenario")).to_contain_text("viz_co_governance")
            expect(caption).to_contain_text("farm households")
            assert caption.inner_text() != uncapped, uncapped

            # levers take effect on Reset: a switch and a drop-down list
            page.get_by_text("Infrastructure: hand digital tools to anchors").click()
            page.get_by_role("button", name="Talent: extra training seats (seats/yr)").click()
            page.get_by_role("option", name="80", exact=True).click()
            expect(page.locator(".vs-scenario")).not_to_contain_text(
                "viz_talent"
            )  # not before Reset
            page.get_by_role("button", name="Reset", exact=True).click()
            expect(week).to_have_text("Week 0")
            expect(page.locator(".vs-scenario")).to_contain_text("viz_talent, viz_infrastructure")
            expect(page.locator(".vs-scenario")).to_contain_text("extra training seats")
            page.get_by_role("button", name="Step", exact=True).click()
            expect(week).to_have_text("Week 1")
            expect(page.locator(".vs-chart-graph svg.marks")).to_have_count(1)
            expect(charts_svg).to_have_count(2 + len(PAGE0_SERIES))
            expect(page.locator(".vs-chart-graph")).to_contain_text("Trade graph")
            page.wait_for_timeout(500)
            page.screenshot(path=str(tmp_path / "viz_page0.png"))

            # Play runs weeks until paused
            page.get_by_role("button", name="▶", exact=True).click()
            page.wait_for_timeout(1500)
            page.get_by_role("button", name="❚❚", exact=True).click()
            assert int(week.inner_text().split()[1]) > 1

            # the second page: distributions over anchors, suspension, youth pipeline
            page.get_by_role("tab", name="Page 1").click()
            expect(page.locator(".vs-chart-lorenz svg.marks")).to_have_count(1)
            expect(charts_svg).to_have_count(6)
            expect(page.locator(".vs-chart-youth")).to_contain_text("Youth pipeline")
            page.wait_for_timeout(500)
            page.screenshot(path=str(tmp_path / "viz_page1.png"))
        finally:
            browser.close()
    assert (tmp_path / "viz_page0.png").stat().st_size > 10_000
    assert problems == [], "\n".join(problems)
