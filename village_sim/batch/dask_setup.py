"""Dask worker set-up for simulations: no sampling profiler, malloc thresholds that suit them.

Two Dask defaults slow a simulation on a worker to about 1.5-2x its in-process time (measured here
on a 52-week run): the worker's statistical profiler, which walks the running thread's stack every
10 ms, and the nanny's ``MALLOC_TRIM_THRESHOLD_=65536``, which turns off glibc's adaptive mmap
threshold so that every medium-sized NumPy temporary is mapped and unmapped again. A local cluster
is started without either (:func:`~village_sim.batch.runner.start_local_cluster`); on an existing
cluster, :class:`SimulationWorkerSetup` stops the profiler and fixes large malloc thresholds
(:func:`village_sim.malloc.keep_freed_memory`) in every worker, including workers that join later.
"""

from __future__ import annotations

import logging
import signal
import threading
from typing import Any

from distributed.diagnostics.plugin import WorkerPlugin

from village_sim.malloc import keep_freed_memory


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
    malloc = keep_freed_memory(force=True)
    if malloc is not None:
        changes["malloc"] = malloc
    return changes


class SimulationWorkerSetup(WorkerPlugin):
    """Apply :func:`tune_worker` on every worker of a cluster, now and when workers join."""

    name = "village-sim-worker-setup"

    def setup(self, worker: Any) -> None:
        """Tune the worker."""
        tune_worker(worker)


def dask_setup(worker: Any = None) -> None:
    """Preload of the local cluster's workers (``distributed.worker.preload``): ignore Ctrl-C.

    A Ctrl-C in the terminal reaches the whole process group; the batch process handles it
    (stops, closes the cluster, prints "interrupted") and the workers, which it then closes,
    would only print tracebacks. Workers of a cluster you started are left alone.

    Args:
        worker: The Dask worker (unused).
    """
    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGINT, signal.SIG_IGN)
    logging.getLogger("distributed.worker").addFilter(_drop_heartbeat_after_scheduler_closed)


def _drop_heartbeat_after_scheduler_closed(record: logging.LogRecord) -> bool:
    """Drop a local worker's "Failed to communicate with scheduler during heartbeat" traceback.

    The scheduler lives in the batch process; after a Ctrl-C it closes first, and a worker whose
    heartbeat falls in the moment before it is stopped would print that traceback under the
    batch's one-line "interrupted". Every other worker message is kept.
    """
    return not str(record.msg).startswith("Failed to communicate with scheduler during heartbeat")
