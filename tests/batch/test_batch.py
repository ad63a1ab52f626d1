"""Batch experiments: experiment files, designs, seeds, the Dask runner, the DuckDB store, reports.

Runs use a tiny county for a few weeks (~0.1 s each) so the whole file stays fast; two tests start
a two-worker Dask cluster (a few seconds each).
"""

from __future__ import annotations

import contextlib
import io
import json
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import dask
import duckdb
import numpy as np
import pandas as pd
import pytest
import yaml

from village_sim.batch.design import plan as build_plan
from village_sim.batch.experiment import load_experiment
from village_sim.batch.seeds import replicate_seeds, run_seed
from village_sim.batch.store import STORE_FILE
from village_sim.cli import batch_cmd, report_cmd, run_standalone
from village_sim.metrics.indicators import INDICATOR_NAMES

REPO = Path(__file__).resolve().parents[2]

TINY_SCENARIO: dict[str, Any] = {
    "name": "tiny",
    "steps": 6,
    "world": {
        "generator": "county",
        "county": {"villages": 3, "townships": 1, "hubs": 1, "cities": 1},
    },
    "population": {
        "farmer_households": 150,
        "youth": 20,
        "external_anchors": 2,
        "consumer_units": 400,
        "consumer_unit_scale": 50,
        "regulators": 1,
    },
    "policies": [
        {
            "name": "rural_talent",
            "path": "talent",
            "start_week": 1,
            "budget_yuan": 100000,
            "measures": {"training": {"seats_per_year": 20}},
        }
    ],
}
KEEP = ["gmv", "active_anchors", "farmer_income_mean", "technology_suspension_rate"]


# ------------------------------------------------------------------------------------------------
# helpers
# ------------------------------------------------------------------------------------------------
@pytest.fixture
def folder(tmp_path: Path) -> Path:
    """A folder holding the tiny scenario (``tiny.yaml``)."""
    (tmp_path / "tiny.yaml").write_text(yaml.safe_dump(TINY_SCENARIO), encoding="utf-8")
    return tmp_path


def experiment_file(folder: Path, name: str = "exp.yaml", **fields: Any) -> Path:
    """Write an experiment on the tiny scenario; ``fields`` replace the defaults."""
    data: dict[str, Any] = {
        "name": "tiny_grid",
        "scenario": "tiny.yaml",
        "replicates": 2,
        "seed": 7,
        "factors": {
            "seats": {"path": "training.seats_per_year", "levels": [0, 120]},
            "crash": {"path": "training.crash_share", "levels": [0.2, 0.9]},
        },
        "design": {"type": "grid"},
        "keep": {"indicators": KEEP, "timeseries": ["gmv"]},
    }
    data.update(fields)
    path = folder / name
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return path


def cli(module: Any, *argv: Any) -> tuple[int, str, str]:
    """Run ``batch`` or ``report`` in this process; returns (exit code, stdout, stderr)."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = run_standalone(module.register, [str(a) for a in argv])
    return code, out.getvalue(), err.getvalue()


def batch(*argv: Any) -> tuple[int, str, str]:
    """``village-sim batch ARGV`` without a progress display."""
    return cli(batch_cmd, *argv, "--progress", "none")


def query(out: Path, sql: str) -> list[tuple]:
    """Rows of a query on a finished batch's store."""
    con = duckdb.connect(str(out / STORE_FILE), read_only=True)
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


def indicator_values(out: Path) -> dict[tuple[int, int, str], float | None]:
    """(point, replicate, indicator) -> value for a batch folder."""
    rows = query(
        out,
        "SELECT r.point, r.replicate, i.indicator, i.value FROM runs r "
        "JOIN indicators i USING (run_key) ORDER BY 1, 2, 3",
    )
    return {(p, r, i): v for p, r, i, v in rows}


# ------------------------------------------------------------------------------------------------
# seeds and designs
# ------------------------------------------------------------------------------------------------
def test_common_seeds_match_compare_and_never_depend_on_the_design() -> None:
    seeds = replicate_seeds(123, 5)
    for point in (0, 3, 99):
        assert [run_seed(123, point, r) for r in range(5)] == seeds
    independent = {run_seed(123, p, r, "independent") for p in range(10) for r in range(5)}
    assert len(independent) == 50
    child = np.random.SeedSequence(123).spawn(10)[4].spawn(5)[2]
    assert run_seed(123, 4, 2, "independent") == int(child.generate_state(1)[0])


def test_designs_have_the_documented_sizes_and_are_reproducible(folder: Path) -> None:
    factors = {
        "a": {"path": "anchors.learning_rate", "min": 0.01, "max": 0.04},
        "b": {"path": "consumers.price_weight", "min": 2, "max": 4},
        "c": {"path": "training.seats_per_year", "min": 10, "max": 100, "integer": True},
    }
    path = experiment_file(
        folder,
        factors=factors,
        design=None,
        designs={
            "m": {"type": "morris", "trajectories": 3, "levels": 4},
            "s": {"type": "sobol", "samples": 8},
            "s2": {"type": "sobol", "samples": 4, "second_order": True, "factors": ["a", "b"]},
            "l": {"type": "lhs", "samples": 5},
        },
    )
    plan = build_plan(load_experiment(path))
    sizes = {d.name: d.n for d in plan.designs}
    assert sizes == {"m": 3 * 4, "s": 8 * (3 + 2), "s2": 4 * (2 * 2 + 2), "l": 5}
    assert plan.n_runs == sum(sizes.values()) * 2
    points = list(plan.points())
    assert [p.index for p in points] == list(range(plan.n_points))
    seats = [p.values["c"] for p in points if "c" in p.values]
    assert all(isinstance(v, int) and 10 <= v <= 100 for v in seats)
    again = build_plan(load_experiment(path))
    for d1, d2 in zip(plan.designs, again.designs, strict=True):
        assert np.array_equal(d1.sample, d2.sample)
    point = points[0]
    assert point.overrides["training.seats_per_year"] == point.values["c"]


def test_grid_and_paths_points(folder: Path) -> None:
    plan = build_plan(load_experiment(experiment_file(folder)))
    values = [p.values for p in plan.points()]
    assert values == [
        {"seats": 0, "crash": 0.2},
        {"seats": 0, "crash": 0.9},
        {"seats": 120, "crash": 0.2},
        {"seats": 120, "crash": 0.9},
    ]
    (folder / "other.yaml").write_text(yaml.safe_dump({**TINY_SCENARIO, "name": "other"}))
    path = experiment_file(
        folder,
        factors={},
        design={
            "type": "paths",
            "paths": {
                "base": "tiny.yaml",
                "more": {"scenario": "other.yaml", "overrides": {"training.seats_per_year": 90}},
            },
        },
    )
    points = list(build_plan(load_experiment(path)).points())
    assert [p.values for p in points] == [{"path": "base"}, {"path": "more"}]
    assert points[1].scenario == folder / "other.yaml"
    assert points[1].overrides["training.seats_per_year"] == 90


# ------------------------------------------------------------------------------------------------
# invalid experiment files: exit 2 naming the file and the field, before any run
# ------------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("fields", "field", "words"),
    [
        (
            {"factors": {"seats": {"path": "training.seats_per_yer", "levels": [0, 1]}}},
            "factors.seats.path",
            "unknown field 'seats_per_yer'",
        ),
        (
            {"factors": {"seats": {"path": "policies.nobody.budget_yuan", "levels": [0, 1]}}},
            "factors.seats.path",
            "no item named",
        ),
        (
            {"factors": {"seats": {"path": "training.seats_per_year", "levels": []}}},
            "factors.seats.levels",
            "non-empty",
        ),
        (
            {
                "factors": {"x": {"path": "anchors.learning_rate", "min": 0.5, "max": 0.1}},
                "design": {"type": "lhs", "samples": 4},
            },
            "factors.x.max",
            "max above min",
        ),
        ({"design": {"type": "factorial"}}, "design.type", "unknown design type 'factorial'"),
        ({"replicas": 3}, "replicas", "unknown key 'replicas'"),
        (
            {"factors": {"crash": {"path": "training.crash_share", "levels": [0.5, 1.5]}}},
            "factors.crash.levels.1",
            "less than or equal to 1",
        ),
        ({"scenario": "missing.yaml"}, "scenario", "not found"),
        ({"design": {"type": "sobol", "samples": 12}}, "design.samples", "power of two"),
        ({"keep": {"indicators": ["gmv", "happiness"]}}, "keep.indicators.1", "happiness"),
    ],
)
def test_invalid_experiment_exits_2_naming_file_and_field(
    folder: Path, fields: dict[str, Any], field: str, words: str
) -> None:
    path = experiment_file(folder, **fields)
    out = folder / "out"
    code, _, err = batch(path, "--out", out, "--workers", "1")
    assert code == 2, err
    assert str(path) in err and field in err and words in err, err
    assert "Traceback" not in err
    assert not out.exists()  # nothing started


# ------------------------------------------------------------------------------------------------
# running, the store, resuming
# ------------------------------------------------------------------------------------------------
def test_in_process_batch_fills_the_store_and_resume_recomputes_nothing(folder: Path) -> None:
    path = experiment_file(folder)
    out = folder / "out"
    code, stdout, err = batch(
        path, "--out", out, "--workers", "1", "--parquet", "--wide-every", "3"
    )
    assert code == 0, err
    assert "8 ok, 0 failed" in stdout
    wide = pd.read_parquet(out / "results_wide.parquet")  # one row per run, always written
    assert len(wide) == 8 and {"seats", "crash", "status", *KEEP} <= set(wide.columns)
    assert wide[["point", "replicate"]].drop_duplicates().shape[0] == 8
    stats = json.loads(query(out, "SELECT stats FROM sessions")[0][0])
    assert stats["wide_refreshes"] == 2  # after runs 3 and 6, so a running batch can be read
    storage = query(out, "SELECT tags FROM duckdb_databases() WHERE NOT internal")
    assert storage[0][0]["storage_version"].startswith("v1.0.0")  # readable by DuckDB >= 1.0
    tables = {r[0] for r in query(out, "SELECT table_name FROM information_schema.tables")}
    assert {
        "experiment",
        "designs",
        "factors",
        "sessions",
        "runs",
        "indicators",
        "timeseries",
        "results",
    } <= tables
    exp = query(
        out,
        "SELECT name, design_hash, design_text, versions, git_commit, created_at, "
        "ended_at, status, n_runs FROM experiment",
    )
    assert len(exp) == 1
    name, digest, text, versions, _, created, ended, status, n_runs = exp[0]
    assert (name, status, n_runs) == ("tiny_grid", "complete", 8)
    assert text == path.read_text() and len(digest) == 64 and created <= ended
    assert json.loads(versions)["mesa"]
    runs = query(
        out,
        "SELECT point, replicate, seats, crash, status, seed, run_key, error "
        "FROM runs ORDER BY 1, 2",
    )
    assert len(runs) == 8 and all(r[4] == "ok" and r[7] is None for r in runs)
    assert [r[5] for r in runs[:2]] == replicate_seeds(7, 2)  # common random numbers
    assert len({r[6] for r in runs}) == 8
    assert query(out, "SELECT count(*) FROM indicators")[0][0] == 8 * len(KEEP)
    assert query(out, "SELECT count(*) FROM timeseries WHERE series = 'gmv'")[0][0] == 8 * 6
    assert (out / "parquet" / "runs.parquet").exists()
    assert (out / "parquet" / "results_wide.parquet").exists()
    before = indicator_values(out)

    code, stdout, err = batch(path, "--out", out, "--workers", "1", "--resume")
    assert code == 0, err
    assert "computed 0, skipped 8" in stdout
    assert indicator_values(out) == before
    again = pd.read_parquet(out / "results_wide.parquet")  # rewritten at the end of a resume
    pd.testing.assert_frame_equal(
        again.drop(columns=["session", "finished_at"]),
        wide.drop(columns=["session", "finished_at"]),
    )
    assert query(out, "SELECT DISTINCT session FROM runs") == [(1,)]

    code, _, err = batch(path, "--out", out, "--workers", "1")  # without --resume: refused
    assert code == 2 and "not empty" in err
    path.write_text(path.read_text() + "# edited\n")
    code, _, err = batch(path, "--out", out, "--workers", "1", "--resume")
    assert code == 2, err
    assert str(path) in err and "changed" in err


def test_resume_without_a_store_starts_afresh_and_a_busy_store_is_refused(folder: Path) -> None:
    path = experiment_file(folder, replicates=1)
    out = folder / "out"
    code, stdout, err = batch(path, "--out", out, "--workers", "1", "--resume")
    assert code == 0 and "4 ok" in stdout, err
    holder = subprocess.Popen(  # another process writes the store
        [
            sys.executable,
            "-c",
            f"import duckdb, time; c = duckdb.connect({str(out / STORE_FILE)!r}); "
            "print('locked', flush=True); time.sleep(30)",
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "locked"
        code, _, err = cli(report_cmd, out)
        assert code == 2 and "in use" in err, err
        code, _, err = batch(path, "--out", out, "--workers", "1", "--overwrite")
        assert code == 2 and "in use" in err, err
        assert (out / STORE_FILE).exists()
    finally:
        holder.kill()
        holder.wait()


def test_failed_runs_are_recorded_and_the_others_complete(
    folder: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # start_week 20 with end_week 10 is invalid only in combination: that point fails when its
    # turn comes; a run whose simulation raises fails on its own; everything else completes.
    path = experiment_file(
        folder,
        factors={
            "start": {"path": "policies.rural_talent.start_week", "levels": [1, 20]},
            "end": {"path": "policies.rural_talent.end_week", "levels": [10, 30]},
        },
    )
    import village_sim.batch.worker as worker

    real = worker.simulate

    def flaky(scenario: Any, seed: int) -> Any:
        if (
            scenario.policies[0].start_week == 1
            and scenario.policies[0].end_week == 30
            and seed == replicate_seeds(7, 2)[1]
        ):
            raise RuntimeError("simulated crash in the model")
        return real(scenario, seed)

    monkeypatch.setattr(worker, "simulate", flaky)
    out = folder / "out"
    code, stdout, err = batch(path, "--out", out, "--workers", "1")
    assert code == 3, err
    assert "5 ok, 3 failed" in stdout
    failed = query(
        out,
        'SELECT start, "end", replicate, error FROM runs '
        "WHERE status = 'failed' ORDER BY 1, 2, 3",
    )
    assert [(s, e, r) for s, e, r, _ in failed] == [(1, 30, 1), (20, 10, 0), (20, 10, 1)]
    assert "RuntimeError: simulated crash in the model" in failed[0][3]
    assert "end_week must be after start_week" in failed[1][3]
    assert query(out, "SELECT status FROM experiment") == [("complete",)]

    monkeypatch.setattr(worker, "simulate", real)  # resume retries the failed runs
    code, stdout, _ = batch(path, "--out", out, "--workers", "1", "--resume")
    assert code == 3 and "6 ok, 2 failed" in stdout and "computed 1" in stdout


def test_two_local_workers_give_the_same_values_as_one(folder: Path) -> None:
    path = experiment_file(folder)
    one, two = folder / "one", folder / "two"
    code, _, err = batch(path, "--out", one, "--workers", "1")
    assert code == 0, err
    code, stdout, err = batch(path, "--out", two, "--workers", "2", "--max-in-flight", "3")
    assert code == 0, err
    assert "2 local workers" in stdout
    assert indicator_values(one) == indicator_values(two)
    assert query(one, "SELECT point, replicate, seed, run_key FROM runs ORDER BY 1, 2") == query(
        two, "SELECT point, replicate, seed, run_key FROM runs ORDER BY 1, 2"
    )
    stats = json.loads(query(two, "SELECT stats FROM sessions")[0][0])
    workers = stats["workers"]
    assert len(workers) == 2
    import os

    for info in workers:  # single-threaded NumPy, in the batch's process group
        assert set(info["threads_env"].values()) == {"1"}
        assert info["pgid"] == os.getpgrp()
    pids = {row[0] for row in query(two, "SELECT DISTINCT worker FROM runs")}
    assert len(pids) == 2


def test_scheduler_address_and_a_run_raising_on_a_worker(folder: Path) -> None:
    from distributed import Client

    from village_sim.batch.runner import start_local_cluster

    path = experiment_file(folder, replicates=1)
    out = folder / "out"
    cluster = start_local_cluster(2)
    try:
        with Client(cluster, set_as_default=False) as client:
            # make the model raise on the workers for one design point
            client.run(
                exec,
                textwrap.dedent("""
                import village_sim.batch.worker as w
                _real = w.simulate
                def _flaky(scenario, seed):
                    if scenario.training.seats_per_year == 120 and scenario.training.crash_share == 0.9:
                        raise ValueError("worker-side failure")
                    return _real(scenario, seed)
                w.simulate = _flaky
            """),
                {},
            )
            # the local cluster only lets in clients with its credentials (issue 15)
            security = cluster.security
            credentials = {
                "distributed.comm.tls.ca-file": security.tls_ca_file,
                "distributed.comm.tls.client.cert": security.tls_client_cert,
                "distributed.comm.tls.client.key": security.tls_client_key,
            }
            with dask.config.set(credentials):
                code, stdout, err = batch(
                    path, "--out", out, "--scheduler", cluster.scheduler_address
                )
    finally:
        cluster.close()
    rows = query(out, "SELECT seats, crash, error, worker FROM runs WHERE status = 'failed'")
    assert code == 3, err
    assert "3 ok, 1 failed" in stdout, rows
    assert rows[0][:2] == (120, 0.9) and "ValueError: worker-side failure" in rows[0][2]
    assert query(out, "SELECT mode FROM sessions") == [("scheduler",)]


def test_store_memory_stays_flat_with_the_number_of_runs(folder: Path) -> None:
    """Peak memory of a batch does not grow with its runs (fast stand-in simulations)."""
    script = folder / "memory.py"
    script.write_text(
        textwrap.dedent("""
        import resource, sys
        import numpy as np, pandas as pd
        import village_sim.batch.worker as w
        from village_sim.metrics.indicators import INDICATOR_NAMES
        from village_sim import cli
        from village_sim.cli import batch_cmd

        WEEKS = 800  # long series, so that keeping results in memory would show at once

        class Result:
            def __init__(self, seed):
                rng = np.random.default_rng(seed)
                self.indicators = {n: float(rng.random()) for n in INDICATOR_NAMES}
                self.timeseries = pd.DataFrame({"week": np.arange(WEEKS),
                                                **{n: rng.random(WEEKS) for n in INDICATOR_NAMES}})

        w.simulate = lambda scenario, seed: Result(seed)
        code = cli.run_standalone(batch_cmd.register, sys.argv[1:])
        print(code, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024)
    """)
    )
    procs = {}
    for n in (12, 120):  # both at once: peak memory is per process
        path = experiment_file(
            folder,
            f"mem{n}.yaml",
            replicates=n,
            factors={},
            design={"type": "paths", "paths": {"tiny": "tiny.yaml"}},
            keep={"indicators": "all", "timeseries": "all"},
        )
        procs[n] = subprocess.Popen(
            [
                sys.executable,
                str(script),
                str(path),
                "--out",
                str(folder / f"mem{n}"),
                "--workers",
                "1",
                "--progress",
                "none",
            ],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
    peaks = {}
    for n, proc in procs.items():
        stdout, stderr = proc.communicate(timeout=300)
        code, peak = stdout.split()[-2:]
        assert code == "0", stderr
        peaks[n] = int(peak)
        rows = query(folder / f"mem{n}", "SELECT count(*) FROM timeseries")[0][0]
        assert rows == n * 800 * len(INDICATOR_NAMES)
    # ten times the runs (3 million stored values, 24 MB as doubles) within a few MB of peak
    # memory: results are not kept in memory, and the store's buffer pool is bounded
    assert peaks[120] - peaks[12] < 15, peaks


# ------------------------------------------------------------------------------------------------
# reports
# ------------------------------------------------------------------------------------------------
def _report(out: Path) -> str:
    code, stdout, err = cli(report_cmd, out)
    assert code == 0, err
    summary = out / "report" / "summary.md"
    text = summary.read_text()
    for link in [
        line.split("](")[1].rstrip(")") for line in text.splitlines() if line.startswith("![")
    ]:
        assert (summary.parent / link).stat().st_size > 10_000, link
    return text


def test_report_grid_and_failed_runs(folder: Path) -> None:
    path = experiment_file(
        folder,
        factors={
            "seats": {"path": "training.seats_per_year", "levels": [0, 60, 120]},
            "start": {"path": "policies.rural_talent.start_week", "levels": [1, 20]},
            "end": {"path": "policies.rural_talent.end_week", "levels": [10, 30]},
        },
        replicates=1,
    )
    out = folder / "out"
    assert batch(path, "--out", out, "--workers", "1")[0] == 3
    text = _report(out)
    assert "main effect of seats" in text and "## Failed runs" in text
    assert "end_week must be after start_week" in text
    two = experiment_file(folder, "two.yaml")
    out2 = folder / "out2"
    assert batch(two, "--out", out2, "--workers", "1")[0] == 0
    text = _report(out2)
    assert "heatmaps over seats × crash" in text and "indicators vs seats" in text
    assert (out2 / "report" / "tables" / "grid_cells.csv").exists()


def test_grid_steps_pair_replicates_under_common_seeds() -> None:
    """Adjacent levels of a one-factor grid: paired differences remove what replicates share;
    Welch intervals (independent seeds) keep it."""
    from village_sim.batch.analyze import grid

    reps = np.arange(5)
    frame = pd.DataFrame(
        [
            {"seats": s, "replicate": r, "gmv": 10.0 * s + 100.0 * r + (s == 120) * (r % 2)}
            for s in (0, 60, 120)
            for r in reps
        ]
    )
    paired = grid.steps(frame, "seats", [0, 60, 120], ["gmv"])
    assert list(paired.columns) == grid.STEP_COLUMNS
    assert paired[["from", "to"]].values.tolist() == [[0, 60], [60, 120]]
    first, second = paired.itertuples(index=False)
    assert first.diff == 600.0 and first.ci_low == first.ci_high == 600.0  # nothing varies
    assert 600.0 < second.diff < 601.0 and second.ci_low < second.diff < second.ci_high
    welch = grid.steps(frame, "seats", [0, 60, 120], ["gmv"], paired=False)
    assert welch["diff"].iloc[0] == 600.0 and welch["ci_low"].iloc[0] < 400.0  # spread kept


def test_report_of_a_one_factor_grid_shows_the_steps(folder: Path) -> None:
    path = experiment_file(
        folder,
        factors={"units": {"path": "population.consumer_units", "levels": [200, 400, 800]}},
        replicates=3,
    )
    out = folder / "out"
    assert batch(path, "--out", out, "--workers", "1")[0] == 0
    text = _report(out)
    assert "Change from each level of `units` to the next" in text
    steps = pd.read_csv(out / "report" / "tables" / "grid_steps.csv")
    gmv = steps[steps["indicator"] == "gmv"]
    assert gmv[["from", "to"]].values.tolist() == [[200, 400], [400, 800]]
    sql = (
        "SELECT r.replicate, r.units, i.value FROM runs r JOIN indicators i USING (run_key) "
        "WHERE i.indicator = 'gmv'"
    )
    runs = pd.DataFrame(query(out, sql), columns=["replicate", "units", "gmv"])
    runs = runs.pivot(index="replicate", columns="units", values="gmv")
    for (_, row), low, high in zip(gmv.iterrows(), (200, 400), (400, 800), strict=True):
        paired = runs[high] - runs[low]
        assert paired.abs().max() > 0  # the factor moves the indicator
        assert row["diff"] == pytest.approx(paired.mean())
        assert row["ci_low"] < row["diff"] < row["ci_high"]


def test_report_paths_and_compare_folder(folder: Path) -> None:
    (folder / "other.yaml").write_text(yaml.safe_dump({**TINY_SCENARIO, "name": "other"}))
    path = experiment_file(
        folder,
        factors={},
        replicates=3,
        design={
            "type": "paths",
            "paths": {
                "base": "tiny.yaml",
                "more_seats": {
                    "scenario": "other.yaml",
                    "overrides": {"training.seats_per_year": 200},
                },
            },
        },
    )
    out = folder / "out"
    assert batch(path, "--out", out, "--workers", "1")[0] == 0
    text = _report(out)
    assert "paths side by side" in text and "paired over replicates" in text
    # a compare folder (runs.csv, summary.csv, compare.json) is reported the same way
    from village_sim.batch import compare as compare_mod
    from village_sim.run import load_scenario

    scenarios = [load_scenario(folder / "tiny.yaml"), load_scenario(folder / "other.yaml")]
    comparison = compare_mod.compare(scenarios, replicates=2, root_seed=3)
    cmp_out = folder / "cmp"
    cmp_out.mkdir()
    compare_mod.write(comparison, cmp_out)
    text = _report(cmp_out)
    assert "Comparison of tiny, other" in text and "scenarios side by side" in text
    code, _, err = cli(report_cmd, folder / "nothing")
    assert code == 2 and "expected a batch folder" in err


def test_report_sobol_and_morris_indices(folder: Path) -> None:
    factors = {
        "learning": {"path": "anchors.learning_rate", "min": 0.01, "max": 0.05},
        "price": {"path": "consumers.price_weight", "min": 2.0, "max": 4.0},
    }
    path = experiment_file(
        folder,
        factors=factors,
        replicates=1,
        design=None,
        designs={
            "screen": {"type": "morris", "trajectories": 3, "resamples": 50},
            "sobol": {"type": "sobol", "samples": 4, "resamples": 50},
            "lhs": {"type": "lhs", "samples": 6},
        },
    )
    out = folder / "out"
    code, _, err = batch(path, "--out", out, "--workers", "1")
    assert code == 0, err
    text = _report(out)
    assert "Sobol indices" in text and "Morris" in text and "Spearman" in text
    sobol = (out / "report" / "tables" / "sobol_sobol.csv").read_text()
    assert "S1_conf" in sobol and "ST" in sobol
    morris = (out / "report" / "tables" / "screen_morris.csv").read_text()
    assert "mu_star_conf" in morris


# ------------------------------------------------------------------------------------------------
# the shipped experiments
# ------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("name", sorted(p.stem for p in (REPO / "experiments").glob("*.yaml")))
def test_shipped_experiments_are_valid(name: str) -> None:
    code, stdout, err = batch(REPO / "experiments" / f"{name}.yaml", "--dry-run")
    assert code == 0, err
    assert "valid experiment" in stdout


def test_commands_are_wired_into_village_sim(folder: Path) -> None:
    from village_sim.cli import main

    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        assert main(["batch", str(experiment_file(folder)), "--dry-run"]) == 0
        assert main(["report", str(folder / "missing")]) == 2
        assert main(["batch", str(folder / "missing.yaml")]) == 2
    assert "4 design points × 2 replicates = 8 runs" in out.getvalue()
    assert "missing.yaml" in err.getvalue() and "file not found" in err.getvalue()


def test_progress_bar_shows_done_failed_and_time_left(folder: Path) -> None:
    path = experiment_file(
        folder,
        factors={
            "start": {"path": "policies.rural_talent.start_week", "levels": [1, 20]},
            "end": {"path": "policies.rural_talent.end_week", "levels": [10, 30]},
        },
    )
    code, _, err = cli(
        batch_cmd, path, "--out", folder / "out", "--workers", "1", "--progress", "bar"
    )
    assert code == 3
    final = err.replace("\r", "\n").splitlines()
    bar = [line for line in final if "8/8" in line][-1]
    assert "failed=2" in bar and "<00:00" in bar and "run/s" in bar, bar
    progress = json.loads((folder / "out" / "progress.json").read_text())
    assert (progress["state"], progress["done"], progress["failed"]) == ("finished", 8, 2)
