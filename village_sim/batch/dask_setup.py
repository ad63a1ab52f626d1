"""Dask worker set-up for simulations: no sampling profiler, glibc's usual malloc behaviour.

Two Dask defaults slow a simulation on a worker to about 1.5-2x its in-process time (measured here
on a 52-week run): the worker's statistical profiler, which walks the running thread's stack every
10 ms, and the nanny's ``MALLOC_TRIM_THRESHOLD_=65536``, which turns off glibc's adaptive mmap
threshold so that every medium-sized NumPy temporary is mapped and unmapped again. A local cluster
is started without either (:func:`~village_sim.batch.runner.start_local_cluster`); on an existing
cluster, :class:`SimulationWorkerSetup` stops the profiler and restores large malloc thresholds in
every worker, including workers that join later.
"""

from __future__ import annotations

import ctypes
import os
import sys
from typing import Any

from distributed.diagnostics.plugin import WorkerPlugin

M_TRIM_THRESHOLD = -1
M_MMAP_THRESHOLD = -3
MMAP_THRESHOLD = 32 * 1024 * 1024  # glibc's adaptive threshold tops out here (64-bit)
TRIM_THRESHOLD = 2 * MMAP_THRESHOLD


def tune_worker(dask_worker: Any = None) -> dict[str, str]:
    """Stop a worker's sampling profiler and undo a small ``MALLOC_TRIM_THRESHOLD_``.

    Args:
        dask_worker: The Dask worker (passed by ``Client.run`` and by the plugin).

    Returns:
        What was changed.
    """
    changes: dict[str, str] = {}
    callbacks = getattr(dask_worker, "periodic_callbacks", None)
    if callbacks is not None:
        for name in ("profile", "profile-cycle"):
            callback = callbacks.pop(name, None)
            if callback is not None:
                callback.stop()
                changes["profiler"] = "stopped"
    if os.environ.get("MALLOC_TRIM_THRESHOLD_") and sys.platform.startswith("linux"):
        try:
            libc = ctypes.CDLL("libc.so.6")
        except OSError:
            return changes
        if libc.mallopt(M_MMAP_THRESHOLD, MMAP_THRESHOLD) and \
                libc.mallopt(M_TRIM_THRESHOLD, TRIM_THRESHOLD):
            changes["malloc"] = f"mmap threshold {MMAP_THRESHOLD}, trim threshold {TRIM_THRESHOLD}"
    return changes


class SimulationWorkerSetup(WorkerPlugin):
    """Apply :func:`tune_worker` on every worker of a cluster, now and when workers join."""

    name = "village-sim-worker-setup"

    def setup(self, worker: Any) -> None:
        """Tune the worker."""
        tune_worker(worker)
