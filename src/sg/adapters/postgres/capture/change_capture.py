"""The change-capture port over statement-level audit triggers and per-table change logs."""

from __future__ import annotations

from typing import Any

from sg.adapters.postgres.capture import capture_sql as q
from sg.adapters.postgres.capture.change_staging import release_changes, stage_changes
from sg.adapters.postgres.catalog.installation import is_installed, not_initialized
from sg.adapters.postgres.catalog.relation import relation_args
from sg.adapters.postgres.catalog.trust import require_trusted_columns
from sg.adapters.postgres.session.session_settings import pinned_settings
from sg.domain.capture import CapturedChanges, CompactedLog, KeyState, StagedChanges, Watermark
from sg.domain.errors import (
    TableNotFoundError,
    TableNotTrackedError,
    TrackingBrokenError,
)
from sg.domain.model import ResultShape, StagedKeys, TableRef
from sg.ports.sql import SqlRunner


class PostgresChangeCapture:
    """Tracks tables with the triggers of `sql/010_capture_*.sql`; resolves net changes on read."""

    def __init__(self, runner: SqlRunner) -> None:
        self._sql = runner
        self._installed = False

    def track(self, table: TableRef) -> None:
        """Start capturing `table`'s changes; no-op when tracked; raises `TableNotFoundError`."""
        self._require_installed()
        relid = self._sql.run(q.RELATION, relation_args(table), ResultShape.ONE_ONE)
        if relid is None:
            raise TableNotFoundError.named(*table, hint="create it before tracking it")
        require_trusted_columns(self._sql, table)
        self._sql.run(q.TRACK, [int(relid)], ResultShape.NONE)

    def untrack(self, table: TableRef) -> None:
        """Stop capturing `table` and drop its pending changes; no-op when it is not tracked."""
        self._require_installed()
        found = self._lookup(table)
        if found is not None:
            self._sql.run(q.UNTRACK, [found.relid], ResultShape.NONE)
        self._sql.run(q.FORGET_DROPPED, None, ResultShape.NONE)

    def tracked(self) -> list[TableRef]:
        """Tracked tables that still exist, sorted by schema and name; dropped ones are gone."""
        self._require_installed()
        rows = self._sql.run(q.REGISTRY + q.REGISTRY_ORDER, None, ResultShape.MANY_MANY)
        return [_entry(row).ref for row in rows]

    def read(self, table: TableRef, limit: int | None = None) -> CapturedChanges:
        """The states of the keys with a net change (at most `limit`), in key order."""
        entry = self._require_tracked(table)
        with pinned_settings(self._sql, q.READ_SETTINGS, local=True):
            rows = self._sql.run(q.read_changes(entry, limit), None, ResultShape.MANY_MANY)
        snapshot, reader, position = rows[0][: q.MARK_COLUMNS]
        watermark = Watermark(
            str(snapshot), None if reader is None else int(reader), int(position or 0)
        )
        if rows[0][q.MARK_COLUMNS] is None:
            return CapturedChanges([], watermark)
        return CapturedChanges(_states(entry, rows), watermark)

    def compact(self, table: TableRef) -> CompactedLog:
        """Delete the log entries the read does not need, in one statement.

        SHARE UPDATE EXCLUSIVE conflicts with the EXCLUSIVE lock of commits, not with the
        ROW EXCLUSIVE of writers: entries they add meanwhile are not in this statement's
        snapshot and stay, and a key's earliest entry is never deleted.
        """
        entry = self._require_tracked(table)
        self._sql.run(q.lock_against_commits(entry), None, ResultShape.NONE)
        with pinned_settings(self._sql, q.READ_SETTINGS, local=True):
            entries, removed = self._sql.run(q.compact(entry), None, ResultShape.ONE_MANY)
        return CompactedLog(int(entries), int(removed))

    def has_changes(self, table: TableRef) -> bool:
        """True when a key has a net change; an empty log answers without resolving any."""
        entry = self._require_tracked(table)
        with pinned_settings(self._sql, q.READ_SETTINGS, local=True):
            return bool(self._sql.run(q.has_changes(entry), None, ResultShape.ONE_ONE))

    def count(self, table: TableRef) -> tuple[int, int, int]:
        """Rows added, removed and updated net, counted by the server (no row travels)."""
        entry = self._require_tracked(table)
        with pinned_settings(self._sql, q.READ_SETTINGS, local=True):
            added, removed, updated = self._sql.run(
                q.count_changes(entry), None, ResultShape.ONE_MANY
            )
        return int(added), int(removed), int(updated)

    def stage(self, table: TableRef) -> StagedChanges:
        """Keep the keys with a net change in a temporary table, with the read's watermark."""
        entry = self._require_tracked(table)
        with pinned_settings(self._sql, q.READ_SETTINGS, local=True):
            return stage_changes(self._sql, entry)

    def release(self, keys: StagedKeys) -> None:
        """Drop the temporary table of staged keys."""
        release_changes(self._sql, keys)

    def discard(self, table: TableRef, through: Watermark | None = None) -> None:
        """Forget `table`'s pending changes: all, or only those a read up to `through` saw."""
        entry = self._require_tracked(table)
        if through is None:
            self._sql.run(q.discard_all(entry), None, ResultShape.NONE)
            return
        self._sql.run(q.discard_through(entry), through._asdict(), ResultShape.NONE)

    def _lookup(self, table: TableRef) -> q.TrackedTable | None:
        row = self._sql.run(q.REGISTRY + q.REGISTRY_ONE, relation_args(table), ResultShape.ONE_MANY)
        return None if row is None else _entry(row)

    def _require_tracked(self, table: TableRef) -> q.TrackedTable:
        self._require_installed()
        entry = self._lookup(table)
        if entry is None:
            raise TableNotTrackedError(f"table {table} is not tracked; start tracking it first")
        if entry.problem is not None:
            raise TrackingBrokenError(
                f"the pending changes of table {table} cannot be trusted: {entry.problem}; "
                "track it again to start afresh (its pending changes are discarded)"
            )
        return entry

    def _require_installed(self) -> None:
        if self._installed:
            return
        if not is_installed(self._sql):
            raise not_initialized("sg's change tracking")
        self._installed = True


def _entry(row: tuple[Any, ...]) -> q.TrackedTable:
    relid, log_table, schema, name, columns, keys, sortable, problem = row
    return q.TrackedTable(
        int(relid),
        str(log_table),
        TableRef(str(schema), str(name)),
        tuple(columns),
        tuple(keys),
        tuple(sortable),
        None if problem is None else str(problem),
    )


def _states(entry: q.TrackedTable, rows: list[tuple[Any, ...]]) -> list[KeyState]:
    columns = entry.columns
    first = q.MARK_COLUMNS + q.STATE_COLUMNS
    keys = [first + p - 1 for p in entry.key_positions]
    everything = list(enumerate(columns, first))
    # An updated key's row carries a '0'/'1' mask: only its changed columns hold values.
    by_mask: dict[str, list[tuple[int, str]]] = {}
    states = []
    for row in rows:
        before, after, mask = row[q.MARK_COLUMNS : first]
        key = tuple([row[i] for i in keys]) if keys else row[first:]
        if mask is None:
            values = {name: row[i] for i, name in everything}
        else:
            changed = by_mask.get(mask)
            if changed is None:
                changed = by_mask[mask] = [
                    (i, name) for (i, name), bit in zip(everything, mask, strict=True) if bit == "1"
                ]
            values = {name: row[i] for i, name in changed}
        states.append(KeyState(key, before, after, values))
    return states
