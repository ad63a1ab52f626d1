"""What runs on a worker: one simulation, reduced to the indicators and series the store keeps.

The function shipped to Dask workers is :func:`execute`; ``--workers 1`` calls it in-process. It
never raises for a failing run: the error comes back as a ``failed`` result, so one bad run never
stops the others. Workers must be able to ``import village_sim`` (install it on every machine).
"""

from __future__ import annotations

import gc
import math
import os
import socket
import time
import traceback
from dataclasses import dataclass
from typing import Any

import numpy

import village_sim
from village_sim.numerics import finite_or_none
from village_sim.run import run
from village_sim.scenario.schema import Scenario

SINGLE_THREAD_ENV = {
    "OMP_NUM_THREADS": "1",
    "OPENBLAS_NUM_THREADS": "1",
    "MKL_NUM_THREADS": "1",
    "VECLIB_MAXIMUM_THREADS": "1",
    "NUMEXPR_NUM_THREADS": "1",
}
"""Set in every local worker before NumPy loads, so two workers do not fight over two cores."""

MAX_ERROR_CHARS = 4000
GC_AFTER_S = 2.0


@dataclass(frozen=True)
class RunTask:
    """One run to execute.

    Attributes:
        run_key: Hash of the resolved scenario and the seed.
        scenario: The resolved scenario (its ``steps`` are the run's).
        seed: The run seed.
        indicators: Indicators to return.
        series: Weekly series to return.
    """

    run_key: str
    scenario: Scenario
    seed: int
    indicators: tuple[str, ...]
    series: tuple[str, ...] = ()


def simulate(scenario: Scenario, seed: int) -> Any:
    """Run one simulation (``village_sim.run``); a seam for tests that need a run to fail."""
    return run(scenario, seed=seed)


def execute(task: RunTask) -> dict[str, Any]:
    """Run a task and return its result as plain data.

    Returns:
        ``{"run_key", "status": "ok" | "failed", "indicators": {name: float | None},
        "timeseries": {"week": array, name: array} | None, "wall_time_s", "worker", "error",
        "started", "finished"}`` (the last two: epoch seconds on the worker's clock).
    """
    start = time.perf_counter()
    started = time.time()
    worker = f"{socket.gethostname()}:{os.getpid()}"
    try:
        result = simulate(task.scenario, task.seed)
        indicators = {name: finite_or_none(result.indicators.get(name)) for name in task.indicators}
        series = None
        if task.series:
            frame = result.timeseries
            series = {"week": frame["week"].to_numpy(dtype="int64")}
            for name in task.series:
                if name in frame.columns:
                    series[name] = frame[name].to_numpy(dtype="float64", na_value=math.nan)
        del result
        return {
            "run_key": task.run_key,
            "status": "ok",
            "indicators": indicators,
            "timeseries": series,
            "wall_time_s": time.perf_counter() - start,
            "worker": worker,
            "error": None,
            "started": started,
            "finished": time.time(),
        }
    except Exception as exc:  # noqa: BLE001 - a failing run is recorded, never fatal
        text = "".join(traceback.format_exception(exc))
        if len(text) > MAX_ERROR_CHARS:
            text = "…" + text[-MAX_ERROR_CHARS:]
        return {
            "run_key": task.run_key,
            "status": "failed",
            "indicators": None,
            "timeseries": None,
            "wall_time_s": time.perf_counter() - start,
            "worker": worker,
            "error": f"{type(exc).__name__}: {exc}\n\n{text}",
            "started": started,
            "finished": time.time(),
        }
    finally:
        # A model is full of reference cycles (agents <-> model): free it now rather than at the
        # next automatic full collection, unless the run was so short that a full collection
        # (~0.1 s in a large process) would cost more than the run itself.
        if time.perf_counter() - start >= GC_AFTER_S:
            gc.collect()


def worker_info() -> dict[str, Any]:
    """Describe a worker (version, pid, BLAS thread settings).

    The model is imported with this module, so a worker that ran this is ready for its first run.
    """
    return {
        "village_sim": village_sim.__version__,
        "numpy": numpy.__version__,
        "pid": os.getpid(),
        "pgid": os.getpgrp(),
        "host": socket.gethostname(),
        "threads_env": {k: os.environ.get(k) for k in SINGLE_THREAD_ENV},
        "malloc_trim_threshold": os.environ.get("MALLOC_TRIM_THRESHOLD_"),
    }
