"""Messages that must point at the right place: ``compare`` keeps each file's line numbers,
``extends:`` errors name the child's ``extends:`` line, a damaged batch store says how to recover
(and ``--overwrite`` does), a policy that never acts in the run is noted."""

from __future__ import annotations

import shutil
from pathlib import Path

import yaml
from conftest import REPO, SMALL_SCENARIO, call_cli, write_yaml

from village_sim import cli
from village_sim.cli import batch_cmd
from village_sim.outputs import write_marker


def test_compare_keeps_the_line_numbers_run_gives(tmp_path: Path) -> None:
    good = write_yaml(tmp_path / "good.yaml", SMALL_SCENARIO)
    bad = tmp_path / "bad.yaml"
    bad.write_text("name: bad\nsteps: 2\npopulation:\n  youth: -3\n", encoding="utf-8")
    worse = tmp_path / "worse.yaml"
    worse.write_text("name: worse\nsteps: -1\n", encoding="utf-8")
    run = call_cli(["run", bad, "--out", tmp_path / "r"])
    assert f"{bad}:4: population.youth" in run.err
    result = call_cli(["compare", good, bad, worse, "--out", tmp_path / "c"])
    assert result.code == 2
    assert f"{bad}:4: population.youth" in result.err
    assert f"{worse}:2: steps" in result.err
    assert not (tmp_path / "c").exists()


def test_extends_errors_name_the_childs_extends_line(tmp_path: Path) -> None:
    (tmp_path / "parent.yaml").write_text("name: p\nsteps: [1\n", encoding="utf-8")
    child = tmp_path / "child.yaml"
    child.write_text("# a child\nname: c\nextends: parent.yaml\n", encoding="utf-8")
    result = call_cli(["validate", child])
    assert result.code == 2
    assert "parent.yaml:3:" in result.err and "YAML syntax error" in result.err
    assert f"{child}:3: extends:" in result.err


def _tiny_experiment(folder: Path) -> Path:
    write_yaml(folder / "s.yaml", SMALL_SCENARIO)
    path = folder / "e.yaml"
    path.write_text(
        "name: e\nscenario: s.yaml\nsteps: 2\nfactors:\n  youth:\n    path: population.youth\n"
        "    levels: [10, 20]\ndesign: {type: grid}\n",
        encoding="utf-8",
    )
    return path


def _batch(*argv: object) -> int:
    return cli.run_standalone(
        batch_cmd.register, [str(a) for a in argv] + ["--workers", "1", "--progress", "none"]
    )


def test_a_damaged_store_says_how_to_recover_and_overwrite_does(
    tmp_path: Path, capsys: object
) -> None:
    experiment = _tiny_experiment(tmp_path)
    out = tmp_path / "out"
    out.mkdir()
    write_marker(out, "batch")
    shutil.copy(experiment, out / "experiment.yaml")
    (out / "results.duckdb").write_bytes(b"not a database" * 100)
    assert _batch(experiment, "--out", out, "--resume") == 2
    err = capsys.readouterr().err  # type: ignore[attr-defined]
    assert "--overwrite" in err and "damaged" in err
    assert call_cli(["report", out]).code == 2
    assert _batch(experiment, "--out", out, "--overwrite") == 0
    assert call_cli(["report", out]).code == 0


def test_a_policy_that_never_acts_is_noted(tmp_path: Path) -> None:
    for name in ("talent.yaml", "baseline.yaml"):
        shutil.copy(REPO / "scenarios" / name, tmp_path / name)
    result = call_cli(["validate", tmp_path / "talent.yaml", "--set", "steps=13"])
    assert result.code == 0
    assert "note: policy 'rural_talent' starts at week 13" in result.out
    assert "never acts" in result.out
    result = call_cli(["validate", tmp_path / "talent.yaml", "--set", "steps=14"])
    assert "note:" not in result.out
    assert yaml.safe_load((tmp_path / "talent.yaml").read_text())["policies"][0]["start_week"] == 13


def test_a_command_run_on_its_own_exits_as_through_village_sim(
    tmp_path: Path, capsys: object
) -> None:
    """``python -m village_sim.cli.batch_cmd`` shares ``village-sim``'s exit codes and messages."""
    assert _batch("--help") == 0
    assert _batch(tmp_path / "missing.yaml", "--out", tmp_path / "o") == 2
    assert "missing.yaml" in capsys.readouterr().err  # type: ignore[attr-defined]

    def broken(args: object) -> int:
        raise RuntimeError("boom in a handler")

    def register(sub: object) -> None:
        batch_cmd.register(sub)
        sub.choices["batch"].set_defaults(handler=broken)  # type: ignore[attr-defined]

    assert cli.run_standalone(register, [str(_tiny_experiment(tmp_path))]) == 1
    err = capsys.readouterr().err  # type: ignore[attr-defined]
    assert "internal error: RuntimeError: boom in a handler" in err and "please report" in err
