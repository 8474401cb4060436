"""SQL that reads and discards a tracked table's change log (the log is written by triggers
installed from `sql/010_capture.sql`)."""

from __future__ import annotations

from typing import NamedTuple

from psycopg import sql

from sg.domain.model import TableRef

AUDIT_SCHEMA = "sg_audit"

# Each result row starts with the watermark, then (before, after, changed-columns mask) and
# the row's values; a read without changes yields one row holding only the watermark.
MARK_COLUMNS = 3
STATE_COLUMNS = 3

REGISTRY = sql.SQL(
    """SELECT r.relid, r.log_table, n.nspname, c.relname, r.columns, r.key_columns, r.sortable
    FROM sg_audit.tracked_tables r
    JOIN pg_catalog.pg_class c ON c.oid = r.relid
    JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
    WHERE EXISTS (
        SELECT FROM pg_catalog.pg_trigger g
        WHERE g.tgrelid = r.relid AND g.tgname = 'sg_capture_insert')"""
)
REGISTRY_ORDER = sql.SQL(" ORDER BY n.nspname, c.relname")
REGISTRY_ONE = sql.SQL(" AND r.relid = {}").format(
    sql.SQL("to_regclass(quote_ident(%(schema)s) || '.' || quote_ident(%(table)s))")
)
RELATION = sql.SQL(
    "SELECT to_regclass(quote_ident(%(schema)s) || '.' || quote_ident(%(table)s))::oid"
)
IS_INSTALLED = sql.SQL("SELECT to_regprocedure('sg_audit.track(regclass)') IS NOT NULL")
TRACK = sql.SQL("SELECT sg_audit.track(%s::oid::regclass)")
UNTRACK = sql.SQL("SELECT sg_audit.untrack(%s::oid)")
FORGET_DROPPED = sql.SQL("SELECT sg_audit.forget_dropped()")

# The read sorts and hashes the whole log at once, and is planned per call: more memory than
# the default spills to disk, and JIT compiling costs more than it saves. Enough float digits
# keep distinct values distinct when rows are compared by their text.
READ_SETTINGS = (("work_mem", "256MB"), ("jit", "off"), ("extra_float_digits", "3"))


class TrackedTable(NamedTuple):
    """A registry entry: the table's current name, its log and the columns it captures."""

    relid: int
    log_table: str
    ref: TableRef
    columns: tuple[str, ...]
    key_positions: tuple[int, ...]
    sortable: tuple[bool, ...]

    @property
    def log(self) -> sql.Identifier:
        """The qualified name of the table's change log."""
        return sql.Identifier(AUDIT_SCHEMA, self.log_table)


def _log_column(position: int, alias: str = "l") -> sql.Composable:
    return sql.Identifier(alias, f"c{position}")


def _positions(table: TrackedTable) -> range:
    return range(1, len(table.columns) + 1)


def _join(parts: list[sql.Composable], separator: str = ", ") -> sql.Composed:
    return sql.SQL(separator).join(parts)


def read_changes(table: TrackedTable, limit: int | None) -> sql.Composed:
    """One statement: the watermark, then every key with a net change, in key order."""
    body = _keyed_states(table) if table.key_positions else _row_states(table)
    if limit is not None:
        body = sql.SQL("{} ORDER BY {} LIMIT {}").format(
            body, _order(table, "s"), sql.Literal(limit)
        )
    return sql.SQL(
        """WITH sg_mark AS MATERIALIZED (
            SELECT pg_catalog.pg_current_snapshot()::text AS sg_snapshot,
                pg_catalog.pg_current_xact_id_if_assigned()::text AS sg_reader,
                (SELECT last_value FROM sg_audit.log_seq) AS sg_position)
        SELECT m.sg_snapshot, m.sg_reader, m.sg_position, s.*
        FROM sg_mark m LEFT JOIN LATERAL ({body}) s ON true
        ORDER BY {order}"""
    ).format(body=body, order=_order(table, "s"))


def _order(table: TrackedTable, alias: str) -> sql.Composed:
    if table.key_positions:
        return _join([_log_column(p, alias) for p in table.key_positions])
    # A column type without a default ordering is ordered by its text.
    return _join(
        [
            sql.SQL("{}" if sortable else "{}::text").format(_log_column(p, alias))
            for p, sortable in zip(_positions(table), table.sortable, strict=True)
        ]
    )


def _keyed_states(table: TrackedTable) -> sql.Composed:
    """Per key: its first log entry (the row before the first change, or absent) vs the live row."""
    keys = table.key_positions
    live = [sql.Identifier("t", name) for name in table.columns]
    present = sql.SQL("{} IS NOT NULL").format(live[keys[0] - 1])
    base = [_log_column(p, "b") for p in _positions(table)]
    mask = _join(
        [
            sql.SQL(
                "CASE WHEN pg_catalog.record_image_eq(ROW({}), ROW({})) THEN '0' ELSE '1' END"
            ).format(old, new)
            for old, new in zip(base, live, strict=True)
        ]
    )
    values = _join(
        [
            sql.SQL("CASE WHEN {present} THEN {new} ELSE {old} END AS {name}").format(
                present=present, new=new, old=old, name=sql.Identifier(f"c{p}")
            )
            for p, old, new in zip(_positions(table), base, live, strict=True)
        ]
    )
    return sql.SQL(
        """SELECT s.* FROM (
            SELECT b.sg_existed::int AS sg_before, ({present})::int AS sg_after,
                CASE WHEN b.sg_existed AND {present} THEN concat({mask}) END AS sg_mask,
                {values}
            FROM (
                SELECT DISTINCT ON ({log_keys}) l.sg_existed, {log_columns}
                FROM {log} l
                ORDER BY {log_keys}, l.sg_seq, l.sg_existed DESC
            ) b
            LEFT JOIN {live} t ON {match}
            WHERE b.sg_existed OR {present}
        ) s
        WHERE s.sg_before <> s.sg_after OR strpos(s.sg_mask, '1') > 0"""
    ).format(
        present=present,
        mask=mask,
        values=values,
        log_keys=_join([_log_column(p) for p in keys]),
        log_columns=_join([_log_column(p) for p in _positions(table)]),
        log=table.log,
        live=sql.Identifier(*table.ref),
        match=_join([sql.SQL("{} = {}").format(live[p - 1], base[p - 1]) for p in keys], " AND "),
    )


def _row_states(table: TrackedTable) -> sql.Composed:
    """Per row value of a table keyed by the whole row: copies removed and added since."""
    columns = _join([_log_column(p) for p in _positions(table)])
    return sql.SQL(
        """SELECT s.sg_before, s.sg_after, NULL::text AS sg_mask, {plain} FROM (
            SELECT {columns},
                count(*) FILTER (WHERE l.sg_existed) OVER w AS sg_before,
                count(*) FILTER (WHERE NOT l.sg_existed) OVER w AS sg_after,
                row_number() OVER w AS sg_rank
            FROM {log} l
            WINDOW w AS (PARTITION BY ROW({columns})::text)
        ) s
        WHERE s.sg_rank = 1 AND s.sg_before <> s.sg_after"""
    ).format(
        plain=_join([_log_column(p, "s") for p in _positions(table)]),
        columns=columns,
        log=table.log,
    )


def discard_all(table: TrackedTable) -> sql.Composed:
    """Empty the table's log."""
    return sql.SQL("TRUNCATE {}").format(table.log)


def discard_through(table: TrackedTable) -> sql.Composed:
    """Delete the log entries a read with watermark (%(snapshot)s, %(reader)s, %(position)s) saw."""
    return sql.SQL(
        """DELETE FROM {} l WHERE l.sg_seq <= %(position)s
        AND (pg_catalog.pg_visible_in_snapshot(l.sg_xid, %(snapshot)s::pg_catalog.pg_snapshot)
            OR l.sg_xid = %(reader)s::pg_catalog.xid8)"""
    ).format(table.log)
