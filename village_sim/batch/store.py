"""The results store: one DuckDB file per experiment, written by one process (the batch client).

Tables (``results.duckdb`` in the batch folder):

- ``experiment`` (one row): name, description, the design file's path, text and SHA-256, root seed,
  seed mode, replicates, steps, points and runs planned, package versions, git commit, created /
  last started / last ended times, status (``running``, ``complete``, ``interrupted``);
- ``designs``: each design's name, type, first point, points, factors and settings;
- ``factors``: each factor's name, scenario path, levels or range, unit and label;
- ``sessions``: one row per ``batch`` invocation (mode, workers, counts, overhead timings; status
  ``running``, ``finished``, ``interrupted``, or ``killed`` when a later ``--resume`` found it
  still running: its process had ended without closing);
- ``runs``: one row per design point and replicate — ``point``, ``replicate``, ``design``,
  ``run_key`` (hash of the resolved scenario and seed), ``seed``, one column per factor, ``status``
  (``ok`` / ``failed``), ``wall_time_s``, ``error``, ``worker``, ``session``, ``finished_at``,
  ``reused`` (results taken from an identical run);
- ``indicators``: ``run_key``, ``indicator``, ``value`` (NULL where undefined);
- ``timeseries``: ``run_key``, ``series``, ``week``, ``value`` (only the series the experiment keeps).

A view ``results`` joins successful runs with their indicators. A run is *complete* once its row
(and its indicators and series) are committed in one transaction; ``--resume`` skips complete runs.
DuckDB allows one writer per file: while a batch runs, read ``results_wide.parquet`` (one row per
run, refreshed every few runs, see :meth:`Store.write_wide`) or ``progress.json``; query the store
after it finishes. New stores are written in DuckDB's v1.0.0 storage format
(``STORAGE_COMPATIBILITY``), which every DuckDB release since 1.0 can open.
"""

from __future__ import annotations

import contextlib
import json
import os
import socket
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import pandas as pd
import pyarrow as pa

from village_sim.numerics import finite_or_none

STORE_FILE = "results.duckdb"
WIDE_FILE = "results_wide.parquet"
STORAGE_COMPATIBILITY = "v1.0.0"
"""Storage format of new stores: readable by DuckDB 1.0 and later (DuckDB 2 writes a newer one)."""
STORE_VERSION = 1
MEMORY_LIMIT = "32MB"
"""DuckDB buffer pool of the writer: written blocks are evicted, so memory does not grow with runs."""
READ_MEMORY_LIMIT = "1GB"
FIXED_RUN_COLUMNS = ("point", "replicate", "design", "run_key", "seed")
TAIL_RUN_COLUMNS = ("status", "wall_time_s", "error", "worker", "session", "finished_at", "reused")


def now() -> datetime:
    """The current time (UTC, naive, as DuckDB ``TIMESTAMP`` stores it)."""
    return datetime.now(UTC).replace(tzinfo=None)


@dataclass
class RunRow:
    """One row of the ``runs`` table (before it is written)."""

    point: int
    replicate: int
    design: str
    run_key: str
    seed: int
    values: dict[str, Any]
    status: str
    wall_time_s: float | None = None
    error: str | None = None
    worker: str | None = None
    reused: bool = False


def column_type(values: Iterable[Any]) -> str:
    """DuckDB type of a factor column from its possible values (numbers, booleans or text)."""
    values = list(values)
    if values and all(isinstance(v, bool) for v in values):
        return "BOOLEAN"
    if values and all(isinstance(v, int | float) and not isinstance(v, bool) for v in values):
        return "DOUBLE"
    return "VARCHAR"


def to_column(value: Any, sql_type: str) -> Any:
    """A factor value as stored in a column of ``sql_type``."""
    if value is None:
        return None
    if sql_type == "DOUBLE":
        return float(value)
    if sql_type == "BOOLEAN":
        return bool(value)
    return value if isinstance(value, str) else json.dumps(value)


def _ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


class Store:
    """A connection to an experiment's DuckDB file.

    Args:
        path: The ``.duckdb`` file.
        read_only: Open for reading (fails while a batch holds the file).
    """

    def __init__(self, path: str | Path, read_only: bool = False) -> None:
        self.path = Path(path)
        # The writer keeps a small buffer pool (memory stays flat however large the file grows);
        # a reader (reports) may need more for its queries.
        config: dict[str, Any] = {
            "threads": 1,
            "memory_limit": READ_MEMORY_LIMIT if read_only else MEMORY_LIMIT,
        }
        if not read_only:
            config["storage_compatibility_version"] = STORAGE_COMPATIBILITY
        self.con = duckdb.connect(str(self.path), read_only=read_only, config=config)
        self.factor_types: dict[str, str] = {}
        if self.has_table("factors"):
            self._load_factor_types()

    # -- schema -----------------------------------------------------------------------------
    def has_table(self, name: str) -> bool:
        """Whether a table exists."""
        row = self.con.execute(
            "SELECT count(*) FROM information_schema.tables WHERE table_name = ?", [name]
        ).fetchone()
        return bool(row and row[0])

    def create(self, factor_types: dict[str, str]) -> None:
        """Create the tables (a new store); ``factor_types`` maps factor columns to SQL types."""
        self.factor_types = dict(factor_types)
        factor_cols = "".join(f", {_ident(n)} {t}" for n, t in factor_types.items())
        statements = [
            """CREATE TABLE experiment (
                name VARCHAR, description VARCHAR, design_file VARCHAR, design_text VARCHAR,
                design_hash VARCHAR, root_seed UBIGINT, seeds VARCHAR, replicates INTEGER,
                steps INTEGER, n_points INTEGER, n_runs INTEGER, versions VARCHAR,
                git_commit VARCHAR, created_at TIMESTAMP, started_at TIMESTAMP,
                ended_at TIMESTAMP, status VARCHAR, store_version INTEGER)""",
            """CREATE TABLE designs (
                name VARCHAR PRIMARY KEY, type VARCHAR, first_point INTEGER, n_points INTEGER,
                factors VARCHAR, settings VARCHAR, problem VARCHAR, position INTEGER)""",
            """CREATE TABLE factors (
                name VARCHAR PRIMARY KEY, path VARCHAR, kind VARCHAR, levels VARCHAR,
                "min" DOUBLE, "max" DOUBLE, "integer" BOOLEAN, unit VARCHAR, label VARCHAR,
                sql_type VARCHAR, position INTEGER)""",
            """CREATE TABLE sessions (
                session INTEGER PRIMARY KEY, started_at TIMESTAMP, ended_at TIMESTAMP,
                mode VARCHAR, workers INTEGER, scheduler VARCHAR, resumed BOOLEAN,
                versions VARCHAR, git_commit VARCHAR, host VARCHAR, pid INTEGER,
                runs_ok INTEGER, runs_failed INTEGER, runs_skipped INTEGER, status VARCHAR,
                stats VARCHAR)""",
            f"""CREATE TABLE runs (
                point INTEGER NOT NULL, replicate INTEGER NOT NULL, design VARCHAR,
                run_key VARCHAR NOT NULL, seed UBIGINT{factor_cols}, status VARCHAR NOT NULL,
                wall_time_s DOUBLE, error VARCHAR, worker VARCHAR, session INTEGER,
                finished_at TIMESTAMP, reused BOOLEAN, PRIMARY KEY (point, replicate))""",
            "CREATE INDEX runs_by_key ON runs (run_key)",
            "CREATE TABLE indicators (run_key VARCHAR NOT NULL, indicator VARCHAR NOT NULL, "
            "value DOUBLE)",
            "CREATE TABLE timeseries (run_key VARCHAR NOT NULL, series VARCHAR NOT NULL, "
            "week INTEGER NOT NULL, value DOUBLE)",
            """CREATE VIEW results AS
                SELECT r.*, i.indicator, i.value FROM runs r JOIN indicators i USING (run_key)
                WHERE r.status = 'ok'""",
        ]
        self.con.begin()
        for sql in statements:
            self.con.execute(sql)
        self.con.commit()

    def _load_factor_types(self) -> None:
        rows = self.con.execute("SELECT name, sql_type FROM factors ORDER BY position").fetchall()
        self.factor_types = {name: sql_type for name, sql_type in rows}

    # -- metadata -------------------------------------------------------------------------------
    def write_metadata(
        self,
        experiment: dict[str, Any],
        designs: Sequence[dict[str, Any]],
        factors: Sequence[dict[str, Any]],
    ) -> None:
        """Fill ``experiment``, ``designs`` and ``factors`` of a new store."""
        self.con.begin()
        self._insert("experiment", [experiment])
        self._insert("designs", designs)
        self._insert("factors", factors)
        self.con.commit()

    def _insert(self, table: str, rows: Sequence[dict[str, Any]]) -> None:
        for row in rows:
            cols = ", ".join(_ident(c) for c in row)
            marks = ", ".join("?" for _ in row)
            self.con.execute(f"INSERT INTO {table} ({cols}) VALUES ({marks})", list(row.values()))

    def experiment(self) -> dict[str, Any] | None:
        """The ``experiment`` row, or ``None``."""
        if not self.has_table("experiment"):
            return None
        frame = self.con.execute("SELECT * FROM experiment").df()
        return None if frame.empty else frame.iloc[0].to_dict()

    def update_experiment(self, **values: Any) -> None:
        """Set columns of the ``experiment`` row."""
        sets = ", ".join(f"{_ident(k)} = ?" for k in values)
        self.con.execute(f"UPDATE experiment SET {sets}", list(values.values()))

    def close_stale_sessions(self) -> list[tuple[int, Any, Any]]:
        """Mark sessions still ``running`` as ``killed``: their process ended without closing.

        Only one process can open the store for writing, so when this one has it, a session
        recorded as running belongs to a batch process that is gone (killed, or its machine
        stopped).

        Returns:
            ``(session, pid, host)`` of each session marked.
        """
        rows = self.con.execute(
            "SELECT session, pid, host FROM sessions WHERE status = 'running' ORDER BY session"
        ).fetchall()
        if rows:
            self.con.execute("UPDATE sessions SET status = 'killed' WHERE status = 'running'")
        return [(int(r[0]), r[1], r[2]) for r in rows]

    def start_session(
        self,
        mode: str,
        workers: int | None,
        scheduler: str | None,
        resumed: bool,
        versions: dict[str, Any],
        git_commit: str | None,
    ) -> int:
        """Record a new session (one ``batch`` invocation); returns its number."""
        row = self.con.execute("SELECT coalesce(max(session), 0) + 1 FROM sessions").fetchone()
        session = int(row[0]) if row else 1
        self._insert(
            "sessions",
            [
                {
                    "session": session,
                    "started_at": now(),
                    "mode": mode,
                    "workers": workers,
                    "scheduler": scheduler,
                    "resumed": resumed,
                    "versions": json.dumps(versions),
                    "git_commit": git_commit,
                    "host": socket.gethostname(),
                    "pid": os.getpid(),
                    "status": "running",
                }
            ],
        )
        return session

    def end_session(
        self,
        session: int,
        status: str,
        ok: int,
        failed: int,
        skipped: int,
        stats: dict[str, Any],
        workers: int | None = None,
    ) -> None:
        """Close a session with its counts, timings and (if known by now) its worker threads."""
        self.con.execute(
            "UPDATE sessions SET ended_at = ?, status = ?, runs_ok = ?, runs_failed = ?, "
            "runs_skipped = ?, stats = ?, workers = coalesce(?, workers) WHERE session = ?",
            [now(), status, ok, failed, skipped, json.dumps(stats), workers, session],
        )

    # -- runs -------------------------------------------------------------------------------
    def done_at_point(self, point: int) -> dict[int, str]:
        """Replicate -> run key of the point's complete (``ok``) runs."""
        rows = self.con.execute(
            "SELECT replicate, run_key FROM runs WHERE point = ? AND status = 'ok'", [point]
        ).fetchall()
        return {int(r): str(k) for r, k in rows}

    def key_done(self, run_key: str) -> bool:
        """Whether a successful run with this key is committed (to reuse its results)."""
        row = self.con.execute(
            "SELECT 1 FROM runs WHERE run_key = ? AND status = 'ok' LIMIT 1", [run_key]
        ).fetchone()
        return row is not None

    def commit_runs(
        self,
        rows: Sequence[RunRow],
        session: int,
        outcome: dict[str, Any] | None,
        keep_indicators: Sequence[str],
        keep_series: Sequence[str],
    ) -> None:
        """Commit runs that share one result in a single transaction.

        Args:
            rows: The runs (design point, replicate) the result belongs to; usually one.
            session: The current session.
            outcome: The worker's result (``indicators`` and ``timeseries``) for a successful,
                newly computed run; ``None`` for failures and for reused results.
            keep_indicators: Indicators to store.
            keep_series: Weekly series to store.
        """
        finished = now()
        cols = [*FIXED_RUN_COLUMNS, *self.factor_types, *TAIL_RUN_COLUMNS]
        marks = ", ".join("?" for _ in cols)
        sql = f"INSERT OR REPLACE INTO runs ({', '.join(map(_ident, cols))}) VALUES ({marks})"
        self.con.begin()
        try:
            for row in rows:
                values = [row.point, row.replicate, row.design, row.run_key, row.seed]
                values += [to_column(row.values.get(n), t) for n, t in self.factor_types.items()]
                values += [
                    row.status,
                    row.wall_time_s,
                    row.error,
                    row.worker,
                    session,
                    finished,
                    row.reused,
                ]
                self.con.execute(sql, values)
            if outcome is not None and rows:
                # Indicators are only written for a key not yet complete, in the transaction
                # that completes it, so they are never written twice.
                key = rows[0].run_key
                self._write_indicators(key, outcome.get("indicators") or {}, keep_indicators)
                series = outcome.get("timeseries")
                if series and keep_series:
                    self._write_series(key, series, keep_series)
            self.con.commit()
        except BaseException as exc:
            with contextlib.suppress(duckdb.Error):  # none left when the commit was interrupted
                self.con.rollback()
            if interrupted(exc):  # Ctrl-C during the query: DuckDB reports it as its own error
                raise KeyboardInterrupt from None
            raise

    def _write_indicators(self, key: str, indicators: dict[str, Any], names: Sequence[str]) -> None:
        table = pa.table(
            {
                "indicator": pa.array(list(names), pa.string()),
                "value": pa.array([finite_or_none(indicators.get(n)) for n in names], pa.float64()),
            }
        )
        self.con.register("_new_indicators", table)
        try:
            self.con.execute(
                "INSERT INTO indicators SELECT ?, indicator, value FROM _new_indicators", [key]
            )
        finally:
            self.con.unregister("_new_indicators")

    def _write_series(self, key: str, series: dict[str, Any], names: Sequence[str]) -> None:
        weeks = np.asarray(series["week"], dtype=np.int32)
        present = [n for n in names if n in series]
        if not present:
            return
        n = len(weeks)
        values = np.concatenate([np.asarray(series[s], dtype=float) for s in present])
        codes = np.repeat(np.arange(len(present), dtype=np.int32), n)
        table = pa.table(
            {
                "series": pa.DictionaryArray.from_arrays(pa.array(codes), pa.array(present)),
                "week": pa.array(np.tile(weeks, len(present)), pa.int32()),
                "value": pa.array(values, pa.float64(), mask=np.isnan(values)),
            }
        )
        self.con.register("_new_series", table)
        try:
            self.con.execute(
                "INSERT INTO timeseries SELECT ?, CAST(series AS VARCHAR), week, "
                "value FROM _new_series",
                [key],
            )
        finally:
            self.con.unregister("_new_series")

    def counts(self) -> dict[str, int]:
        """Runs by status."""
        rows = self.con.execute("SELECT status, count(*) FROM runs GROUP BY status").fetchall()
        return {str(s): int(c) for s, c in rows}

    # -- reading ----------------------------------------------------------------------------
    def runs(self) -> pd.DataFrame:
        """The ``runs`` table, by point and replicate."""
        return self.con.execute("SELECT * FROM runs ORDER BY point, replicate").df()

    def wide(self) -> pd.DataFrame:
        """Runs with one column per stored indicator (successful runs only)."""
        runs = self.con.execute(
            "SELECT * FROM runs WHERE status = 'ok' ORDER BY point, replicate"
        ).df()
        long = self.con.execute("SELECT run_key, indicator, value FROM indicators").df()
        if long.empty:
            return runs
        table = long.pivot_table(
            index="run_key", columns="indicator", values="value", aggfunc="first", dropna=False
        )
        table.columns = [str(c) for c in table.columns]
        return runs.merge(table, left_on="run_key", right_index=True, how="left")

    def write_wide(self, target: Path) -> Path:
        """Write every run (one row each: its factors, status and one column per indicator).

        The file is written next to ``target`` and moved into place, so a reader never sees a
        half-written file; the batch refreshes it while it runs (the store itself is locked).
        Failed runs have a ``status`` of ``failed`` and empty indicator columns.

        Args:
            target: The Parquet file (``DIR/results_wide.parquet``).

        Returns:
            ``target``.
        """
        tmp = target.with_name(f".{target.name}.tmp")
        sql = (
            "SELECT r.*, p.* EXCLUDE (run_key) FROM runs r LEFT JOIN (PIVOT indicators ON "
            "indicator USING first(value) GROUP BY run_key) p USING (run_key) "
            "ORDER BY point, replicate"
        )
        self.con.execute(f"COPY ({sql}) TO '{_sql_path(tmp)}' (FORMAT parquet)")
        os.replace(tmp, target)
        return target

    def table(self, name: str) -> pd.DataFrame:
        """A whole table as a DataFrame."""
        return self.con.execute(f"SELECT * FROM {_ident(name)}").df()

    def export_parquet(self, folder: Path) -> list[Path]:
        """Write ``runs``, ``indicators``, ``timeseries`` and a wide ``results`` table as Parquet."""
        folder.mkdir(parents=True, exist_ok=True)
        out = []
        for name in ("runs", "indicators", "timeseries", "experiment", "designs", "factors"):
            target = folder / f"{name}.parquet"
            self.con.execute(f"COPY {_ident(name)} TO '{_sql_path(target)}' (FORMAT parquet)")
            out.append(target)
        wide = self.wide()
        target = folder / "results_wide.parquet"
        wide.to_parquet(target, index=False)
        out.append(target)
        return out

    def close(self) -> None:
        """Close the connection (checkpointing the write-ahead log)."""
        try:
            self.con.close()
        except duckdb.Error:
            pass


def _sql_path(path: Path) -> str:
    return str(path).replace("'", "''")


def interrupted(exc: BaseException) -> bool:
    """Whether DuckDB stopped a query because of Ctrl-C (``Query interrupted``)."""
    return isinstance(exc, duckdb.InterruptException) or (
        isinstance(exc, RuntimeError) and "interrupted" in str(exc).lower()
    )
