"""``--out`` and ``--overwrite``: only folders this program wrote are ever replaced, replacement is a
sequence of renames, temporary folders of killed runs are cleaned up, and an unusable ``--out`` is
refused before anything runs (exit 2 naming it)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from conftest import SMALL_SCENARIO, call_cli, leftovers

from village_sim.outputs import MARKER, OutputExistsError, atomic_folder, check_out_dir


def _tree(folder: Path) -> list[str]:
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*"))


def _run(scenario: Path, out: Path | str, *extra: str) -> object:
    return call_cli(["run", scenario, "--steps", "2", "--out", out, *extra])


@pytest.fixture
def no_simulation(monkeypatch: pytest.MonkeyPatch) -> None:
    """Fail the test if a simulation starts (bad --out must be found before)."""

    def boom(*args: object, **kwargs: object) -> None:
        raise AssertionError("a simulation started")

    monkeypatch.setattr("village_sim.cli.run_cmd.run", boom)


# ------------------------------------------------------------------------------------------------
# --overwrite refuses what this program did not write; nothing is deleted
# ------------------------------------------------------------------------------------------------
def _user_folder(tmp_path: Path) -> Path:
    folder = tmp_path / "mine"
    (folder / "sub").mkdir(parents=True)
    (folder / "thesis.tex").write_text("years of work")
    (folder / "sub" / "data.csv").write_text("1,2")
    return folder


def _git_checkout(tmp_path: Path) -> Path:
    folder = tmp_path / "checkout"
    folder.mkdir()
    subprocess.run(["git", "init", "-q", str(folder)], check=True)
    (folder / "code.py").write_text("print(1)\n")
    return folder


def _fake_home_parent(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    homes = tmp_path / "home"
    (homes / "alice").mkdir(parents=True)
    (homes / "bob").mkdir()
    (homes / "bob" / "notes.txt").write_text("bob's")
    monkeypatch.setenv("HOME", str(homes / "alice"))
    return homes


@pytest.mark.parametrize("make", ["user folder", "git checkout", "parent of $HOME"])
def test_overwrite_refuses_folders_it_did_not_write(
    tmp_path: Path,
    small_scenario: Path,
    monkeypatch: pytest.MonkeyPatch,
    no_simulation: None,
    make: str,
) -> None:
    if make == "user folder":
        folder = _user_folder(tmp_path)
    elif make == "git checkout":
        folder = _git_checkout(tmp_path)
    else:
        folder = _fake_home_parent(tmp_path, monkeypatch)
    before = _tree(folder)
    result = _run(small_scenario, folder, "--overwrite")
    assert result.code == 2, result.err
    assert str(folder) in result.err and "refusing" in result.err
    assert "Traceback" not in result.err
    assert _tree(folder) == before


def test_overwrite_refuses_a_file(
    tmp_path: Path, small_scenario: Path, no_simulation: None
) -> None:
    target = tmp_path / "notes.txt"
    target.write_text("mine")
    result = _run(small_scenario, target, "--overwrite")
    assert result.code == 2 and "not a folder" in result.err
    assert target.read_text() == "mine"


def test_overwrite_refuses_a_device(small_scenario: Path, no_simulation: None) -> None:
    result = _run(small_scenario, "/dev/null", "--overwrite")
    assert result.code == 2 and "not a folder" in result.err
    assert Path("/dev/null").exists()


def test_overwrite_refuses_the_folder_of_an_extends_parent(
    tmp_path: Path, no_simulation: None
) -> None:
    parents = tmp_path / "parents"
    parents.mkdir()
    (parents / "base.yaml").write_text(yaml.safe_dump(SMALL_SCENARIO))
    child = tmp_path / "child.yaml"
    child.write_text("extends: parents/base.yaml\nsteps: 2\n")
    result = _run(child, parents, "--overwrite")
    assert result.code == 2
    assert (parents / "base.yaml").is_file()


def test_overwrite_replaces_a_run_folder_it_wrote(tmp_path: Path, small_scenario: Path) -> None:
    out = tmp_path / "out"
    assert _run(small_scenario, out).code == 0
    marker = json.loads((out / MARKER).read_text())
    assert marker["kind"] == "run" and "summary.json" in marker["names"]
    first = (out / "summary.json").read_text()
    result = call_cli(["run", small_scenario, "--steps", "3", "--out", out, "--overwrite"])
    assert result.code == 0, result.err
    assert (out / "summary.json").read_text() != first
    assert leftovers(tmp_path, "out", "scenario") == []


def test_overwrite_refuses_a_run_folder_holding_user_files(
    tmp_path: Path, small_scenario: Path
) -> None:
    out = tmp_path / "out"
    assert _run(small_scenario, out).code == 0
    (out / "my_notes.md").write_text("analysis")
    result = _run(small_scenario, out, "--overwrite")
    assert result.code == 2 and "my_notes.md" in result.err
    assert (out / "my_notes.md").read_text() == "analysis"


def test_batch_overwrite_refuses_a_user_folder(tmp_path: Path) -> None:
    from village_sim import cli
    from village_sim.cli import batch_cmd

    scenario = tmp_path / "s.yaml"
    scenario.write_text(yaml.safe_dump(SMALL_SCENARIO))
    experiment = tmp_path / "e.yaml"
    experiment.write_text(
        "name: e\nscenario: s.yaml\nsteps: 2\nfactors:\n  youth:\n    path: population.youth\n"
        "    levels: [10, 20]\ndesign: {type: grid}\n"
    )
    folder = _user_folder(tmp_path)
    before = _tree(folder)
    code = cli.run_standalone(
        batch_cmd.register,
        [str(experiment), "--out", str(folder), "--overwrite", "--workers", "1"],
    )
    assert code == 2
    assert _tree(folder) == before


# ------------------------------------------------------------------------------------------------
# Atomic replacement and stale temporary folders
# ------------------------------------------------------------------------------------------------
def _dead_pid() -> int:
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid


def test_replacement_moves_the_old_folder_aside_then_deletes_it(tmp_path: Path) -> None:
    out = tmp_path / "out"
    with atomic_folder(out) as tmp:
        (tmp / "a.txt").write_text("old")
    with atomic_folder(out, overwrite=True) as tmp:
        (tmp / "a.txt").write_text("new")
        assert (out / "a.txt").read_text() == "old"  # the old folder stays until the end
    assert (out / "a.txt").read_text() == "new"
    assert leftovers(tmp_path, "out") == []


def test_a_failed_write_leaves_the_old_folder(tmp_path: Path) -> None:
    out = tmp_path / "out"
    with atomic_folder(out) as tmp:
        (tmp / "a.txt").write_text("old")
    with pytest.raises(RuntimeError), atomic_folder(out, overwrite=True) as tmp:
        (tmp / "a.txt").write_text("new")
        raise RuntimeError("killed")
    assert (out / "a.txt").read_text() == "old"
    assert leftovers(tmp_path, "out") == []


def test_temp_folders_of_killed_runs_are_cleaned_up(tmp_path: Path) -> None:
    pid = _dead_pid()
    stale_tmp = tmp_path / f".out.tmp-{pid}-abcd"
    stale_tmp.mkdir()
    (stale_tmp / "summary.json").write_text("{}")
    aside = tmp_path / f".out.old-{pid}-ef01"  # killed between "move aside" and "move in"
    aside.mkdir()
    (aside / "a.txt").write_text("old results")
    alive = tmp_path / f".out.tmp-{os.getpid()}-live"  # a run still going: left alone
    alive.mkdir()
    with pytest.raises(OutputExistsError):  # the old folder is back, so not overwritten
        with atomic_folder(tmp_path / "out"):
            pass
    assert (tmp_path / "out" / "a.txt").read_text() == "old results"
    assert sorted(p.name for p in tmp_path.iterdir()) == [alive.name, "out"]


# ------------------------------------------------------------------------------------------------
# An unusable --out is refused before the simulation
# ------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("where", ["/proc/village_sim_x", "file/sub", "symlink"])
def test_unusable_out_is_refused_before_running(
    tmp_path: Path, small_scenario: Path, no_simulation: None, where: str
) -> None:
    if where == "file/sub":
        (tmp_path / "file").write_text("x")
        out: Path = tmp_path / "file" / "sub"
    elif where == "symlink":
        real = tmp_path / "real"
        real.mkdir()
        out = tmp_path / "link"
        out.symlink_to(real)
    else:
        out = Path(where)
    result = _run(small_scenario, out, "--overwrite")
    assert result.code == 2, result.err
    assert "--out" in result.err and str(out) in result.err
    assert "Traceback" not in result.err


def test_probe_leaves_nothing_behind(tmp_path: Path) -> None:
    check_out_dir(tmp_path / "a" / "b", overwrite=False)
    assert list(tmp_path.iterdir()) == []
