"""What a new user of the command line meets: help with examples, suggestions, progress, a cluster."""

from __future__ import annotations

import argparse
import io
import os
import re
import shutil
import socket
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import BASELINE, REPO, SMALL_SETS, call_cli, stop_process


def _commands() -> list[str]:
    from village_sim.cli import _parser

    parser, _ = _parser()
    sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    return list(sub.choices)


def test_every_command_help_has_a_description_and_an_example() -> None:
    commands = _commands()
    assert {"run", "validate", "compare", "batch", "report", "viz"} <= set(commands)
    for command in commands:
        result = call_cli([command, "--help"])
        assert result.code == 0
        text = result.out
        _, _, rest = text.partition("\n\n")
        description = rest.split("\n\n")[0]
        assert len(description.split()) >= 8, text  # a sentence, not the argument list
        assert not description.startswith(("positional arguments", "options"))
        examples = re.split(r"\nexamples?:", text, maxsplit=1)
        assert len(examples) == 2 and f"village-sim {command}" in examples[1], text


def test_unknown_set_path_and_key_suggest_the_nearest(tmp_path: Path) -> None:
    result = call_cli(["validate", BASELINE, "--set", "training.seats_per_yer=5"])
    assert result.code == 2
    assert "did you mean 'seats_per_year'?" in result.err
    bad = tmp_path / "bad.yaml"
    bad.write_text("name: x\npopulaton:\n  youth: 3\n", encoding="utf-8")
    result = call_cli(["validate", bad])
    assert result.code == 2
    assert "bad.yaml:2: populaton: unknown key 'populaton'; did you mean 'population'?" in (
        result.err
    )


def test_report_on_a_missing_folder_says_it_is_missing(tmp_path: Path) -> None:
    result = call_cli(["report", tmp_path / "nowhere"])
    assert result.code == 2
    assert "nowhere" in result.err and "folder not found" in result.err
    assert "Traceback" not in result.err


def test_run_progress_goes_to_stderr_and_leaves_stdout_alone(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from village_sim.cli.run_cmd import WeekProgress

    args = ["run", BASELINE, "--steps", "3", *[x for s in SMALL_SETS for x in ("--set", s)]]
    quiet = call_cli([*args, "--out", tmp_path / "a"])
    assert quiet.code == 0 and quiet.err == ""  # a short run in a log says nothing
    monkeypatch.setattr(WeekProgress, "every_s", 0.0)  # as if every week took long
    loud = call_cli([*args, "--out", tmp_path / "b"])
    assert loud.code == 0
    assert "village-sim run: week 1 of 3" in loud.err and "week 2 of 3" in loud.err
    strip = [line for line in loud.out.splitlines() if " weeks in " not in line]
    assert strip == [line for line in quiet.out.splitlines() if " weeks in " not in line]


def test_progress_bar_on_a_terminal() -> None:
    from village_sim.cli.run_cmd import WeekProgress

    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    stream = Terminal()
    with WeekProgress(stream) as progress:
        for week in range(1, 4):
            progress(week, 3)
        assert progress.bar is not None and progress.bar.n == 3


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_unreachable_scheduler_fails_before_out_is_made(tmp_path: Path) -> None:
    out = tmp_path / "out"
    experiment = REPO / "experiments" / "talent_sweep.yaml"
    address = f"tcp://127.0.0.1:{_free_port()}"  # nothing listens there
    result = call_cli(["batch", experiment, "--scheduler", address, "--out", out])
    assert result.code == 2
    assert f"cannot reach the Dask scheduler at {address}" in result.err
    assert not out.exists()


def _listening(pid: int) -> list[tuple[str, int]]:
    import psutil

    root = psutil.Process(pid)
    found = []
    for proc in [root, *root.children(recursive=True)]:
        try:
            connections = proc.net_connections(kind="inet")
        except psutil.NoSuchProcess:
            continue
        found += [c.laddr[:2] for c in connections if c.status == psutil.CONN_LISTEN]
    return found


@pytest.mark.slow
def test_readme_cluster_recipe_listens_on_loopback_only(tmp_path: Path) -> None:
    """The README's ``dask scheduler``/``dask worker`` flags keep every socket on the host given."""
    dask = shutil.which("dask", path=str(Path(sys.executable).parent))
    assert dask is not None
    port = _free_port()
    address = f"tcp://127.0.0.1:{port}"
    env = dict(os.environ, OMP_NUM_THREADS="1")
    log = (tmp_path / "dask.log").open("w")
    scheduler = subprocess.Popen(
        [dask, "scheduler", "--host", "127.0.0.1", "--port", str(port), "--no-dashboard"]
        + ["--dashboard-address", "127.0.0.1:0"],
        stdout=log,
        stderr=subprocess.STDOUT,
        env=env,
    )
    worker = None
    try:
        worker = subprocess.Popen(
            [dask, "worker", address, "--host", "127.0.0.1", "--nworkers", "1", "--nthreads", "1"]
            + ["--no-dashboard", "--dashboard-address", "127.0.0.1:0"],
            stdout=log,
            stderr=subprocess.STDOUT,
            env=env,
        )
        from distributed import Client

        with Client(address, timeout="60s", set_as_default=False) as client:
            client.wait_for_workers(1, timeout=60)
            sockets = {"scheduler": _listening(scheduler.pid), "worker": _listening(worker.pid)}
    finally:
        for proc in (worker, scheduler):
            if proc is not None:
                stop_process(proc, timeout=20)
        log.close()
    assert (("127.0.0.1", port)) in sockets["scheduler"]
    assert len(sockets["scheduler"]) >= 2  # the TCP port and the HTTP server
    assert len(sockets["worker"]) >= 2  # nanny and worker
    everything = sockets["scheduler"] + sockets["worker"]
    assert all(host == "127.0.0.1" for host, _ in everything), everything
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    assert readme.count("--dashboard-address") >= 2
