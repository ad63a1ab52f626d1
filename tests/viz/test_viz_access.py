"""The browser view answers only requests addressed to this machine's loopback names (no DNS
rebinding), and its scenario picker reads only the listed scenarios, never any file a browser
names."""

from __future__ import annotations

import http.client
import urllib.parse
from pathlib import Path

import pytest
from conftest import SMALL_SCENARIO, write_yaml
from test_viz import viz_server  # noqa: F401 - the fixture

from village_sim.viz import levers


def _status(url: str, host: str) -> int:
    port = urllib.parse.urlsplit(url).port
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        conn.request("GET", "/", headers={"Host": host})
        return conn.getresponse().status
    finally:
        conn.close()


def test_server_answers_only_its_own_host_names(viz_server: str) -> None:  # noqa: F811
    port = urllib.parse.urlsplit(viz_server).port
    assert _status(viz_server, f"attacker.example:{port}") == 400
    assert _status(viz_server, "attacker.example") == 400
    assert _status(viz_server, f"localhost:{port}") == 200
    assert _status(viz_server, f"127.0.0.1:{port}") == 200


def test_picker_reads_only_listed_scenarios(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    start = write_yaml(tmp_path / "start.yaml", {**SMALL_SCENARIO, "name": "start"})
    other = write_yaml(tmp_path / "other.yaml", {**SMALL_SCENARIO, "name": "other"})
    monkeypatch.setenv(levers.SCENARIO_ENV, str(start))
    assert levers.resolve_choice("baseline").name == "baseline.yaml"
    assert levers.resolve_choice(str(start)) == start
    for path in (other, Path("/etc/hostname"), tmp_path / "missing.yaml"):
        with pytest.raises(ValueError, match="listed scenarios"):
            levers.resolve_choice(str(path))
    from village_sim.viz.app import VizMarket

    model = VizMarket(scenario_file=str(other), seed="1")
    assert model.config.name == "start"  # the start scenario, not the file asked for
    assert any("other.yaml" in w for w in model.viz_warnings)
