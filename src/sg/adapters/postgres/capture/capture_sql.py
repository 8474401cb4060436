"""SQL that reads and discards the change logs the triggers of `sql/010_capture_*.sql` write."""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple

from psycopg import sql

from sg.adapters.postgres.catalog.relation import REGCLASS
from sg.adapters.postgres.catalog.text_form import as_text
from sg.domain.model import TableRef

AUDIT_SCHEMA = "sg_audit"

# Each result row starts with the watermark, then (before, after, changed-columns mask) and
# the row's values; a read without changes yields one row holding only the watermark.
MARK_COLUMNS = 3
STATE_COLUMNS = 3

REGISTRY = sql.SQL(
    """SELECT r.relid, r.log_table, n.nspname, c.relname, r.columns, r.key_columns, r.sortable,
        sg_audit.capture_problem(r.relid)
    FROM sg_audit.tracked_tables r
    JOIN pg_catalog.pg_class c ON c.oid = r.relid
    JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
    WHERE true"""
)
REGISTRY_ORDER = sql.SQL(" ORDER BY n.nspname, c.relname")
REGISTRY_ONE = sql.SQL(" AND r.relid = {}").format(REGCLASS)
RELATION = sql.SQL("SELECT {}::oid").format(REGCLASS)
TRACK = sql.SQL("SELECT sg_audit.track(%s::oid::regclass)")
UNTRACK = sql.SQL("SELECT sg_audit.untrack(%s::oid)")
FORGET_DROPPED = sql.SQL("SELECT sg_audit.forget_dropped()")

# The read sorts and hashes the whole log at once, and is planned per call: more memory than
# the default spills to disk, and JIT compiling costs more than it saves. Enough float digits
# keep distinct values distinct when rows are compared by their text.
READ_SETTINGS = {"work_mem": "256MB", "jit": "off", "extra_float_digits": "3"}


class TrackedTable(NamedTuple):
    """A registry entry: the table's current name, its log and the columns it captures."""

    relid: int
    log_table: str
    ref: TableRef
    columns: tuple[str, ...]
    key_positions: tuple[int, ...]
    sortable: tuple[bool, ...]
    problem: str | None = None  # why its capture cannot be trusted; None when it can

    @property
    def log(self) -> sql.Identifier:
        """The qualified name of the table's change log."""
        return sql.Identifier(AUDIT_SCHEMA, self.log_table)


def _log_column(position: int, alias: str = "l") -> sql.Composable:
    return sql.Identifier(alias, f"c{position}")


def _positions(table: TrackedTable) -> range:
    return range(1, len(table.columns) + 1)


def _join(parts: Sequence[sql.Composable], separator: str = ", ") -> sql.Composed:
    return sql.SQL(separator).join(parts)


def read_changes(table: TrackedTable, limit: int | None) -> sql.Composed:
    """One statement: the watermark, then every key with a net change, in key order."""
    body = _keyed_states(table) if table.key_positions else _row_states(table)
    if limit is not None:
        body = sql.SQL("SELECT * FROM ({}) s ORDER BY {} LIMIT {}").format(
            body, _order(table), sql.Literal(limit)
        )
    return sql.SQL(
        """WITH sg_mark AS MATERIALIZED (
            SELECT pg_catalog.pg_current_snapshot()::text AS sg_snapshot,
                pg_catalog.pg_current_xact_id_if_assigned()::text AS sg_reader,
                (SELECT last_value FROM sg_audit.log_seq) AS sg_position)
        SELECT m.sg_snapshot, m.sg_reader, m.sg_position, s.*
        FROM sg_mark m LEFT JOIN ({body}) s ON true
        ORDER BY {order}"""
    ).format(body=body, order=_order(table))


def net_states(table: TrackedTable) -> sql.Composed:
    """Unordered rows (sg_before, sg_after, then c<p> for each key position p) of every key
    with a net change; for a table keyed by the whole row, every column is a key position."""
    return _keyed_changes(table) if table.key_positions else _row_states(table)


# How many log entries `has_changes` takes its sample of keys from.
SAMPLE_ENTRIES = 100


def has_changes(table: TrackedTable) -> sql.Composed:
    """One value: whether any key has a net change.

    Each EXISTS is an init plan, run only when its value is needed: an empty log answers at
    once; for a keyed table, the keys of the first logged entries are resolved first (one
    scan of the log, no sort of it), and the whole log only when none of them changed.
    """
    every = sql.SQL("EXISTS (SELECT FROM ({}) s)").format(net_states(table))
    if table.key_positions:
        keys = _join([_log_column(p) for p in table.key_positions])
        sample = sql.SQL("({}) IN (SELECT {} FROM {} l LIMIT {})").format(
            keys, keys, table.log, sql.Literal(SAMPLE_ENTRIES)
        )
        some = sql.SQL("EXISTS (SELECT FROM ({}) s)").format(_keyed_changes(table, sample))
        every = sql.SQL("({} OR {})").format(some, every)
    return sql.SQL("SELECT EXISTS (SELECT FROM {} l) AND {}").format(table.log, every)


def count_changes(table: TrackedTable) -> sql.Composed:
    """One row: rows added, removed and updated net (copies counted for whole-row keys)."""
    return sql.SQL(
        """SELECT coalesce(pg_catalog.sum(greatest(s.sg_after - s.sg_before, 0)), 0),
            coalesce(pg_catalog.sum(greatest(s.sg_before - s.sg_after, 0)), 0),
            pg_catalog.count(*) FILTER (WHERE s.sg_before = s.sg_after AND s.sg_after > 0)
        FROM ({}) s"""
    ).format(net_states(table))


def _order(table: TrackedTable) -> sql.Composed:
    if table.key_positions:
        return _join([_log_column(p, "s") for p in table.key_positions])
    # A column type without a default ordering is ordered by its text (its output function:
    # a cast to text could be a function written by the type's owner).
    return _join(
        [
            _log_column(p, "s") if sortable else as_text(_log_column(p, "s"))
            for p, sortable in zip(_positions(table), table.sortable, strict=True)
        ]
    )


def _keyed_states(table: TrackedTable, only: sql.Composable | None = None) -> sql.Composed:
    """Per key: its first log entry (the row before the first change, or absent) vs the live row.

    Rows of updated keys carry the key and the changed columns only (the others are NULL),
    with a mask of '0'/'1' per column saying which changed. `only`, a condition on the log
    entries `l` that keeps every entry of a key or none, limits the keys resolved.
    """
    keys = table.key_positions
    positions = _positions(table)
    live = [sql.Identifier("t", name) for name in table.columns]
    present = sql.SQL("{} IS NOT NULL").format(live[keys[0] - 1])
    old = [sql.Identifier("s", f"sg_o{p}") for p in positions]
    new = [sql.Identifier("s", f"sg_n{p}") for p in positions]
    differs = [sql.Identifier("s", f"sg_d{p}") for p in positions]
    compared = _join(
        [
            sql.SQL("NOT pg_catalog.record_image_eq(ROW({}), ROW({})) AS {}").format(
                _log_column(p, "b"), live[p - 1], sql.Identifier(f"sg_d{p}")
            )
            for p in positions
        ]
        + [
            sql.SQL("{} AS {}").format(_log_column(p, "b"), sql.Identifier(f"sg_o{p}"))
            for p in positions
        ]
        + [sql.SQL("{} AS {}").format(live[p - 1], sql.Identifier(f"sg_n{p}")) for p in positions]
    )
    mask = _join([sql.SQL("CASE WHEN {} THEN '1' ELSE '0' END").format(d) for d in differs])
    values = _join(
        [
            sql.SQL(
                "CASE WHEN s.sg_after = 0 THEN {old} WHEN {shown} THEN {new} END AS {name}"
            ).format(
                old=old[p - 1],
                new=new[p - 1],
                shown=(
                    sql.SQL("true")
                    if p in keys
                    else sql.SQL("s.sg_before = 0 OR {}").format(differs[p - 1])
                ),
                name=sql.Identifier(f"c{p}"),
            )
            for p in positions
        ]
    )
    return sql.SQL(
        """SELECT s.sg_before, s.sg_after,
            CASE WHEN s.sg_before = s.sg_after THEN concat({mask}) END AS sg_mask, {values}
        FROM (
            SELECT b.sg_existed::int AS sg_before, ({present})::int AS sg_after, {compared}
            {first_entries}
            WHERE b.sg_existed OR {present}
            OFFSET 0
        ) s
        WHERE s.sg_before <> s.sg_after OR {any_differs}"""
    ).format(
        mask=mask,
        values=values,
        present=present,
        compared=compared,
        first_entries=_first_entries(table, only),
        any_differs=_join(differs, " OR "),
    )


def _keyed_changes(table: TrackedTable, only: sql.Composable | None = None) -> sql.Composed:
    """The keys `_keyed_states` reports, with their before and after, and no values.

    Whether a row changed is one comparison of the whole rows' images (one row built per
    side) rather than one per column, and it is made only for keys present before and now.
    """
    keys = table.key_positions
    live = [sql.Identifier("t", name) for name in table.columns]
    present = sql.SQL("{} IS NOT NULL").format(live[keys[0] - 1])
    logged = _join([_log_column(p, "b") for p in _positions(table)])
    return sql.SQL(
        """SELECT b.sg_existed::int AS sg_before, ({present})::int AS sg_after, {key_values}
        {first_entries}
        WHERE b.sg_existed IS DISTINCT FROM ({present})
            OR (b.sg_existed AND NOT pg_catalog.record_image_eq(ROW({logged}), ROW({now})))"""
    ).format(
        present=present,
        key_values=_join(
            [
                sql.SQL("CASE WHEN {} THEN {} ELSE {} END AS {}").format(
                    present, live[p - 1], _log_column(p, "b"), sql.Identifier(f"c{p}")
                )
                for p in keys
            ]
        ),
        first_entries=_first_entries(table, only),
        logged=logged,
        now=_join(live),
    )


def _first_entries(table: TrackedTable, only: sql.Composable | None) -> sql.Composed:
    """FROM clause: each logged key's first entry `b` (its row before the first change, or
    absent) left-joined to the live row `t` by key; `only` limits the log entries read."""
    keys = table.key_positions
    live = [sql.Identifier("t", name) for name in table.columns]
    return sql.SQL(
        """FROM (
            SELECT DISTINCT ON ({log_keys}) l.sg_existed, {log_columns}
            FROM {log} l
            WHERE {only}
            ORDER BY {log_keys}, l.sg_seq, l.sg_existed DESC
        ) b
        LEFT JOIN {live} t ON {match}"""
    ).format(
        log_keys=_join([_log_column(p) for p in keys]),
        log_columns=_join([_log_column(p) for p in _positions(table)]),
        log=table.log,
        only=sql.SQL("true") if only is None else only,
        live=sql.Identifier(*table.ref),
        match=_join(
            [sql.SQL("{} = {}").format(live[p - 1], _log_column(p, "b")) for p in keys], " AND "
        ),
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


def lock_against_commits(table: TrackedTable) -> sql.Composed:
    """Lock the tracked table against commits (EXCLUSIVE) but not writers, until the end."""
    return sql.SQL("LOCK TABLE {} IN SHARE UPDATE EXCLUSIVE MODE").format(
        sql.Identifier(*table.ref)
    )


def compact(table: TrackedTable) -> sql.Composed:
    """One row: the log's entries before, and how many it deletes as redundant for netting.

    A keyed table keeps the one entry per key its read nets from (the earliest); a table
    keyed by the whole row drops pairs of a removed and an added copy of the same row value,
    whose difference is all its read uses. Run under `READ_SETTINGS` (rows compare by text).
    """
    if table.key_positions:
        keys = _join([_log_column(p) for p in table.key_positions])
        ranked = sql.SQL(
            """SELECT l.ctid AS sg_entry, pg_catalog.row_number() OVER (
                PARTITION BY {keys} ORDER BY l.sg_seq, l.sg_existed DESC) AS sg_rank
            FROM {log} l"""
        ).format(keys=keys, log=table.log)
    else:
        row = sql.SQL("ROW({})::text").format(_join([_log_column(p) for p in _positions(table)]))
        ranked = sql.SQL(
            """SELECT l.ctid AS sg_entry, pg_catalog.row_number() OVER (
                PARTITION BY {row}, l.sg_existed ORDER BY l.sg_seq) AS sg_rank,
                least(pg_catalog.count(*) FILTER (WHERE l.sg_existed) OVER w,
                    pg_catalog.count(*) FILTER (WHERE NOT l.sg_existed) OVER w) + 1 AS sg_spare
            FROM {log} l
            WINDOW w AS (PARTITION BY {row})"""
        ).format(row=row, log=table.log)
    # A keyed entry goes when it is not its key's first (rank above 1); a whole-row entry
    # goes while its kind's rank is within the pairs that cancel out (rank below spare).
    doomed = sql.SQL("r.sg_rank > 1") if table.key_positions else sql.SQL("r.sg_rank < r.sg_spare")
    return sql.SQL(
        """WITH sg_gone AS (
            DELETE FROM {log} l USING ({ranked}) r
            WHERE l.ctid OPERATOR(pg_catalog.=) r.sg_entry AND {doomed}
            RETURNING 1)
        SELECT (SELECT pg_catalog.count(*) FROM {log}), (SELECT pg_catalog.count(*) FROM sg_gone)"""
    ).format(log=table.log, ranked=ranked, doomed=doomed)


def discard_all(table: TrackedTable) -> sql.Composed:
    """Empty the table's log."""
    return sql.SQL("TRUNCATE {}").format(table.log)


def discard_through(table: TrackedTable) -> sql.Composed:
    """Delete the log entries a read saw; parameters are its watermark's fields by name."""
    return sql.SQL(
        """DELETE FROM {} l WHERE l.sg_seq <= %(position)s
        AND (pg_catalog.pg_visible_in_snapshot(l.sg_xid, %(snapshot)s::pg_catalog.pg_snapshot)
            OR l.sg_xid = %(reader)s::text::pg_catalog.xid8)"""
    ).format(table.log)
