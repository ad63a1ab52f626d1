"""The local workers' preload: after Ctrl-C only the batch's one line reaches the terminal."""

from __future__ import annotations

import logging

from village_sim.batch.dask_setup import _drop_heartbeat_after_scheduler_closed


def _record(msg: str) -> logging.LogRecord:
    return logging.LogRecord("distributed.worker", logging.ERROR, __file__, 1, msg, None, None)


def test_a_heartbeat_to_a_closed_scheduler_is_dropped_and_other_worker_errors_kept() -> None:
    drop = _drop_heartbeat_after_scheduler_closed
    assert not drop(_record("Failed to communicate with scheduler during heartbeat."))
    assert drop(_record("Compute Failed"))
    assert drop(_record("Worker stream died during communication"))
