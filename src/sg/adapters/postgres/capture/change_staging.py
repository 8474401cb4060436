"""Net changed keys of a tracked table copied from its change log into a temporary table.

The keys never leave the server: one statement resolves the net changes (the read of
`capture_sql.net_states`) and writes their keys, in the tracked table's own column types,
to a temporary table named by the returned handle, together with the read's watermark.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from psycopg import sql

from sg.adapters.postgres.capture.capture_sql import TrackedTable, net_states
from sg.domain.capture import StagedChanges, Watermark
from sg.domain.column_schema import FLAG_COLUMN
from sg.domain.model import ResultShape, StagedKeys
from sg.ports.sql import SqlRunner


def stage_changes(runner: SqlRunner, table: TrackedTable) -> StagedChanges:
    """Write the table's net changed keys to a new temporary table; run under read settings.

    The temporary table has the tracked table's key columns (every column when it has no
    primary key), named and typed like them, plus `sg_ud_flag`: true when the key has a
    row now. It is dropped by `release_changes` or at the end of the transaction.
    """
    name = f"sg_staged_{uuid.uuid4().hex}"
    staged = sql.Identifier("pg_temp", name)
    runner.run(_create(staged, table), None, ResultShape.NONE)
    row = runner.run(_fill(staged, table), None, ResultShape.ONE_MANY)
    snapshot, reader, position, count = row
    if count:
        # Row counts let the planner join few keys to the table through its key index.
        runner.run(sql.SQL("ANALYZE {}").format(staged), None, ResultShape.NONE)
    watermark = Watermark(str(snapshot), None if reader is None else int(reader), int(position))
    return StagedChanges(StagedKeys(name, int(count)), watermark)


def release_changes(runner: SqlRunner, keys: StagedKeys) -> None:
    """Drop the temporary table of staged keys."""
    runner.run(
        sql.SQL("DROP TABLE IF EXISTS {}").format(sql.Identifier("pg_temp", keys.handle)),
        None,
        ResultShape.NONE,
    )


def _key_positions(table: TrackedTable) -> Sequence[int]:
    """1-based positions of the key columns in key order; every column for a whole-row key."""
    return table.key_positions or range(1, len(table.columns) + 1)


def _key_names(table: TrackedTable) -> list[str]:
    return [table.columns[p - 1] for p in _key_positions(table)]


def _create(staged: sql.Identifier, table: TrackedTable) -> sql.Composed:
    return sql.SQL(
        "CREATE TEMPORARY TABLE {} ON COMMIT DROP AS SELECT {}, NULL::boolean AS {}"
        " FROM {} AS t WITH NO DATA"
    ).format(
        staged,
        sql.SQL(", ").join(sql.Identifier("t", n) for n in _key_names(table)),
        sql.Identifier(FLAG_COLUMN),
        sql.Identifier(*table.ref),
    )


def _fill(staged: sql.Identifier, table: TrackedTable) -> sql.Composed:
    # The watermark is the one `capture_sql.read_changes` takes: the same snapshot as the
    # log read, so discarding through it forgets exactly the staged changes.
    key_columns = [sql.Identifier("s", f"c{p}") for p in _key_positions(table)]
    return sql.SQL(
        """WITH sg_mark AS MATERIALIZED (
            SELECT pg_catalog.pg_current_snapshot()::text AS sg_snapshot,
                pg_catalog.pg_current_xact_id_if_assigned()::text AS sg_reader,
                (SELECT last_value FROM sg_audit.log_seq) AS sg_position),
        sg_written AS (
            INSERT INTO {staged} ({names}, {flag})
            SELECT {keys}, s.sg_after > 0 FROM ({body}) AS s
            RETURNING 1)
        SELECT m.sg_snapshot, m.sg_reader, coalesce(m.sg_position, 0),
            (SELECT pg_catalog.count(*) FROM sg_written)
        FROM sg_mark AS m"""
    ).format(
        staged=staged,
        names=sql.SQL(", ").join(sql.Identifier(n) for n in _key_names(table)),
        flag=sql.Identifier(FLAG_COLUMN),
        keys=sql.SQL(", ").join(key_columns),
        body=net_states(table),
    )
