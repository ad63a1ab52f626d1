"""glibc's malloc thresholds are fixed when a model is built, unless the user set their own."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc only")

BUILD_AND_REPORT = (
    "import village_sim.malloc as m; from helpers import small_scenario; "
    "from village_sim.model import VillageMarket; VillageMarket(small_scenario(), seed=0); "
    "print(m._applied); print(m.keep_freed_memory(force=True))"
)


def _run(extra_env: dict[str, str]) -> list[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MALLOC_")}
    env.update(extra_env)
    env["PYTHONPATH"] = os.path.dirname(__file__) + os.pathsep + env.get("PYTHONPATH", "")
    done = subprocess.run(
        [sys.executable, "-c", BUILD_AND_REPORT],
        env=env,
        text=True,
        capture_output=True,
        check=True,
        timeout=120,
    )
    return done.stdout.split("\n")[:2]


def test_building_a_model_fixes_the_thresholds():
    built, forced = _run({})
    assert built == forced == "mmap threshold 33554432, trim threshold 67108864"


@pytest.mark.parametrize("name", ["MALLOC_TRIM_THRESHOLD_", "MALLOC_MMAP_THRESHOLD_"])
def test_the_users_own_settings_are_kept_unless_forced(name):
    built, forced = _run({name: "131072"})
    assert built == "None"
    assert forced.startswith("mmap threshold")  # a Dask worker's set-up overrides the nanny's
