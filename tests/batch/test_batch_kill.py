"""Kill a running batch with SIGKILL, then resume it.

The batch runs in its own session (process group) on two local Dask workers. After the kill, no
process of that group may remain (local workers die with the batch); the store must hold only
complete runs; ``--resume`` must compute exactly the missing runs, leave the complete ones
untouched, and end with the values of an uninterrupted run.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import duckdb
import pytest
import yaml
from conftest import call_cli

from village_sim import cli
from village_sim.cli import batch_cmd

pytestmark = pytest.mark.slow  # end to end: real batches killed and resumed

SCENARIO: dict[str, Any] = {
    "name": "kill_test",
    # big enough (about 0.3 s a run) that the kill lands part-way: progress.json is written at
    # most every 0.5 s, and tiny runs all finished before the kill could land
    "steps": 78,
    "world": {
        "generator": "county",
        "county": {"villages": 3, "townships": 1, "hubs": 1, "cities": 1},
    },
    "population": {
        "farmer_households": 600,
        "youth": 30,
        "external_anchors": 2,
        "consumer_units": 6000,
        "consumer_unit_scale": 50,
        "regulators": 1,
    },
}
EXPERIMENT: dict[str, Any] = {
    "name": "kill_resume",
    "scenario": "scenario.yaml",
    "replicates": 2,
    "seed": 99,
    "factors": {
        "seats": {"path": "training.seats_per_year", "levels": [0, 40, 80, 160, 320]},
        "crash": {"path": "training.crash_share", "levels": [0.3, 0.9]},
    },
    "design": {"type": "grid"},
    "keep": {
        "indicators": ["gmv", "active_anchors", "farmer_income_mean", "traffic_hhi"],
        "timeseries": ["active_anchors"],
    },
}
TOTAL = 5 * 2 * 2


def _group(pgid: int) -> list[int]:
    """Processes (pids) whose process group is ``pgid``."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        fields = stat.rsplit(")", 1)[1].split()
        if int(fields[2]) == pgid and fields[0] != "Z":
            found.append(int(entry.name))
    return found


def _query(db: Path, sql: str) -> list[tuple]:
    con = duckdb.connect(str(db), read_only=True)
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


def _batch(*argv: Any) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = cli.run_standalone(batch_cmd.register, [*map(str, argv), "--progress", "none"])
    return code, out.getvalue(), err.getvalue()


def _values(db: Path) -> dict[tuple, Any]:
    rows = _query(
        db,
        "SELECT r.point, r.replicate, i.indicator, i.value FROM runs r "
        "JOIN indicators i USING (run_key)",
    )
    return {(p, r, i): v for p, r, i, v in rows}


def test_sigkill_part_way_then_resume(tmp_path: Path) -> None:
    (tmp_path / "scenario.yaml").write_text(yaml.safe_dump(SCENARIO), encoding="utf-8")
    experiment = tmp_path / "experiment.yaml"
    experiment.write_text(yaml.safe_dump(EXPERIMENT, sort_keys=False), encoding="utf-8")
    out = tmp_path / "killed"
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "village_sim.cli.batch_cmd",
            str(experiment),
            "--out",
            str(out),
            "--workers",
            "2",
            "--progress",
            "none",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        start_new_session=True,
    )
    pgid = proc.pid
    try:
        deadline = time.time() + 120
        done = 0
        while time.time() < deadline and proc.poll() is None:
            with contextlib.suppress(OSError, ValueError):
                done = json.loads((out / "progress.json").read_text())["done"]
            if done >= 4:
                break
            time.sleep(0.05)
        assert proc.poll() is None, proc.communicate()
        assert done >= 4, "the batch made no progress"
        workers = [pid for pid in _group(pgid) if pid != proc.pid]
        assert len(workers) >= 2  # the local workers live in the batch's process group
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=30)
        deadline = time.time() + 20
        while _group(pgid) and time.time() < deadline:
            time.sleep(0.2)
        assert _group(pgid) == [], "local workers outlived the killed batch"
    finally:
        for pid in _group(pgid):  # never leave anything behind, even when the test fails
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        if proc.poll() is None:
            proc.kill()
        proc.communicate()

    db = out / "results.duckdb"
    before = _query(
        db, "SELECT point, replicate, run_key, status, session, finished_at FROM runs ORDER BY 1, 2"
    )
    complete = len(before)
    assert 4 <= complete < TOTAL, complete
    assert all(row[3] == "ok" and row[4] == 1 for row in before)
    keys = [row[2] for row in before]
    # a run is complete with all its indicators and series, or not there at all
    assert _query(db, "SELECT count(*) FROM indicators")[0][0] == complete * 4
    assert _query(db, "SELECT count(DISTINCT run_key) FROM timeseries")[0][0] == complete

    report = call_cli(["report", out])  # the batch process is gone: the report says so
    assert report.code == 0, report.err
    assert "ended without closing (killed?)" in (out / "report" / "summary.md").read_text()

    code, stdout, err = _batch(experiment, "--out", out, "--workers", "1", "--resume")
    assert code == 0, err
    assert f"computed {TOTAL - complete}, skipped {complete}" in stdout
    assert f"session 1 of this batch (process {pgid} on" in err and "recorded as killed" in err

    after = _query(
        db, "SELECT point, replicate, run_key, status, session, finished_at FROM runs ORDER BY 1, 2"
    )
    assert len(after) == TOTAL and all(row[3] == "ok" for row in after)
    assert {(p, r) for p, r, *_ in after} == {(p, r) for p in range(10) for r in range(2)}
    untouched = {(p, r): row for p, r, *row in after}
    for p, r, *row in before:  # complete runs were not recomputed or rewritten
        assert untouched[(p, r)] == row
    assert _query(db, "SELECT count(*), count(DISTINCT run_key || indicator) FROM indicators") == [
        (TOTAL * 4, TOTAL * 4)
    ]
    sessions = _query(db, "SELECT session, status, runs_ok FROM sessions ORDER BY 1")
    assert sessions == [(1, "killed", None), (2, "finished", TOTAL - complete)]
    assert set(keys) <= {row[2] for row in after}

    reference = tmp_path / "reference"
    code, _, err = _batch(experiment, "--out", reference, "--workers", "1")
    assert code == 0, err
    assert _values(db) == _values(reference / "results.duckdb")


def _sigint_default() -> None:
    signal.signal(signal.SIGINT, signal.SIG_DFL)


@pytest.mark.slow
def test_ctrl_c_prints_one_line(tmp_path: Path) -> None:
    """Ctrl-C reaches the whole process group: the batch stops and says so in one line; the
    local workers (which ignore it and are stopped by the batch) print no tracebacks."""
    (tmp_path / "scenario.yaml").write_text(yaml.safe_dump(SCENARIO), encoding="utf-8")
    experiment = tmp_path / "experiment.yaml"
    # Many runs, so that the batch is still running when Ctrl-C lands: on an idle machine the 20
    # runs of EXPERIMENT can all finish between two writes of progress.json.
    many = {**EXPERIMENT, "replicates": 20}
    experiment.write_text(yaml.safe_dump(many, sort_keys=False), encoding="utf-8")
    out = tmp_path / "interrupted"
    proc = subprocess.Popen(
        [sys.executable, "-m", "village_sim.cli.batch_cmd", str(experiment), "--out", str(out)]
        + ["--workers", "2", "--progress", "none"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
        # A terminal user's batch gets Ctrl-C; a test run started in the background (as CI may
        # be) has SIGINT ignored, which the batch would inherit and Python then leaves ignored.
        preexec_fn=_sigint_default,
    )
    pgid = proc.pid
    try:
        deadline = time.time() + 120
        done = 0
        while time.time() < deadline and proc.poll() is None and done < 2:
            with contextlib.suppress(OSError, ValueError):
                done = json.loads((out / "progress.json").read_text())["done"]
            time.sleep(0.05)
        assert proc.poll() is None and done >= 2, "the batch made no progress"
        os.killpg(pgid, signal.SIGINT)
        _, err = proc.communicate(timeout=120)
    finally:
        for pid in _group(pgid):
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    assert proc.returncode == 130, err
    assert err.strip().splitlines() == ["interrupted"], err
    sessions = _query(out / "results.duckdb", "SELECT status FROM sessions")
    assert sessions == [("interrupted",)]
