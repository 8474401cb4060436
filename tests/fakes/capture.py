"""An in-memory fake of the change-capture port: tables, their change log, net key states."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from sg.domain.capture import CapturedChanges, CompactedLog, KeyState, StagedChanges, Watermark
from sg.domain.errors import (
    EngineNotInitializedError,
    TableNotFoundError,
    TableNotTrackedError,
)
from sg.domain.model import StagedKeys, TableRef


@dataclass
class CaptureTable:
    """A table of the fake capture: column names, key columns (none: the whole row) and rows."""

    columns: list[str]
    key: list[str]
    rows: list[dict[str, Any]] = field(default_factory=list)

    def key_of(self, row: dict[str, Any]) -> tuple[Any, ...]:
        """The row's key values (every value for a table without key columns)."""
        return tuple(row[c] for c in (self.key or self.columns))


@dataclass
class LogEntry:
    """One logged row: statement order, whether it is a before-image, and the image or key."""

    seq: int
    existed: bool
    row: dict[str, Any]


@dataclass
class FakeChangeCapture:
    """An in-memory capture port that logs statements the way the audit triggers do.

    Write with `create_table`, `insert`, `update`, `delete`, `truncate` and `drop_table`;
    reads resolve net states from the log against the live rows like the adapter's SQL.
    """

    installed: bool = True
    tables: dict[TableRef, CaptureTable] = field(default_factory=dict)
    logs: dict[TableRef, list[LogEntry]] = field(default_factory=dict)
    seq: int = 0
    # Staged key sets by handle: per changed key, the key and whether it has a row now.
    staged: dict[str, list[tuple[tuple[Any, ...], bool]]] = field(default_factory=dict)
    stagings: int = 0

    def create_table(self, ref: TableRef, columns: list[str], key: Sequence[str] = ()) -> None:
        """Create an empty table."""
        self.tables[ref] = CaptureTable(list(columns), list(key))

    def drop_table(self, ref: TableRef) -> None:
        """Drop a table, which ends its tracking."""
        del self.tables[ref]
        self.logs.pop(ref, None)

    def insert(self, ref: TableRef, *rows: dict[str, Any]) -> None:
        """One INSERT statement."""
        table = self.tables[ref]
        new = [dict(row) for row in rows]
        table.rows += new
        self._log(ref, [], new)

    def update(self, ref: TableRef, where: dict[str, Any], values: dict[str, Any]) -> None:
        """One UPDATE statement of every row matching `where`."""
        table = self.tables[ref]
        old = [row for row in table.rows if _matches(row, where)]
        new = [{**row, **values} for row in old]
        table.rows = [row for row in table.rows if not _matches(row, where)] + new
        self._log(ref, old, new)

    def delete(self, ref: TableRef, where: dict[str, Any]) -> None:
        """One DELETE statement of every row matching `where`."""
        table = self.tables[ref]
        old = [row for row in table.rows if _matches(row, where)]
        table.rows = [row for row in table.rows if not _matches(row, where)]
        self._log(ref, old, [])

    def truncate(self, ref: TableRef) -> None:
        """TRUNCATE: every row is logged as deleted."""
        old, self.tables[ref].rows = self.tables[ref].rows, []
        self._log(ref, old, [])

    def _log(self, ref: TableRef, old: list[dict[str, Any]], new: list[dict[str, Any]]) -> None:
        self.seq += 1
        log = self.logs.get(ref)
        if log is None:
            return
        table = self.tables[ref]
        log += [LogEntry(self.seq, True, dict(row)) for row in old]
        if not table.key:
            log += [LogEntry(self.seq, False, dict(row)) for row in new]
            return
        log += [LogEntry(self.seq, False, {c: row[c] for c in table.key}) for row in new]

    def track(self, table: TableRef) -> None:
        """Start logging `table`; no-op when tracked; `TableNotFoundError` if missing."""
        self._require_installed()
        if table not in self.tables:
            raise TableNotFoundError.named(*table)
        self.logs.setdefault(table, [])

    def untrack(self, table: TableRef) -> None:
        """Stop logging `table` and forget its log."""
        self._require_installed()
        self.logs.pop(table, None)

    def tracked(self) -> list[TableRef]:
        """Tracked tables, sorted."""
        self._require_installed()
        return sorted(self.logs)

    def read(self, table: TableRef, limit: int | None = None) -> CapturedChanges:
        """Key states with a net change, in key order (NULLs last)."""
        log = self._log_of(table)
        live = self.tables[table]
        states = _keyed_states(live, log) if live.key else _row_states(live, log)
        states.sort(key=lambda state: [(value is None, value) for value in state.key])
        mark = Watermark("fake", None, max((entry.seq for entry in log), default=0))
        return CapturedChanges(states[:limit] if limit is not None else states, mark)

    def compact(self, table: TableRef) -> CompactedLog:
        """Keep each key's first entry; for whole-row keys, drop cancelling pairs of copies."""
        log = self._log_of(table)
        live = self.tables[table]
        kept: list[LogEntry] = []
        if live.key:
            kept = list(_first_entries(live, log).values())
        else:
            kinds: Counter[tuple[tuple[Any, ...], bool]] = Counter(
                (live.key_of(e.row), e.existed) for e in log
            )
            dropped: Counter[tuple[tuple[Any, ...], bool]] = Counter()
            for entry in sorted(log, key=_log_order):
                key = live.key_of(entry.row)
                pairs = min(kinds[key, True], kinds[key, False])
                if dropped[key, entry.existed] < pairs:
                    dropped[key, entry.existed] += 1
                else:
                    kept.append(entry)
        entries = len(log)
        log[:] = kept
        return CompactedLog(entries, entries - len(kept))

    def has_changes(self, table: TableRef) -> bool:
        """True when `read` reports a state."""
        return bool(self.read(table, limit=1).states)

    def count(self, table: TableRef) -> tuple[int, int, int]:
        """Rows added, removed and updated by the states `read` reports."""
        added = removed = updated = 0
        for state in self.read(table).states:
            added += max(state.after - state.before, 0)
            removed += max(state.before - state.after, 0)
            updated += state.before == state.after > 0
        return added, removed, updated

    def stage(self, table: TableRef) -> StagedChanges:
        """Keep the keys `read` reports, with whether each has a row now, under a new handle."""
        captured = self.read(table)
        self.stagings += 1
        handle = f"staged_{self.stagings}"
        self.staged[handle] = [(state.key, state.after > 0) for state in captured.states]
        return StagedChanges(StagedKeys(handle, len(self.staged[handle])), captured.watermark)

    def release(self, keys: StagedKeys) -> None:
        """Forget a staged key set."""
        self.staged.pop(keys.handle, None)

    def discard(self, table: TableRef, through: Watermark | None = None) -> None:
        """Forget the log, or its entries up to the watermark's position."""
        log = self._log_of(table)
        log[:] = [e for e in log if through is not None and e.seq > through.position]

    def _log_of(self, table: TableRef) -> list[LogEntry]:
        self._require_installed()
        if table not in self.logs:
            raise TableNotTrackedError(f"table {table} is not tracked")
        return self.logs[table]

    def _require_installed(self) -> None:
        if not self.installed:
            raise EngineNotInitializedError("run initialize() first")


def _matches(row: dict[str, Any], where: dict[str, Any]) -> bool:
    return all(row[column] == value for column, value in where.items())


def _log_order(entry: LogEntry) -> tuple[int, bool]:
    """The order netting reads a log in: by statement, before-images first."""
    return entry.seq, not entry.existed


def _first_entries(table: CaptureTable, log: list[LogEntry]) -> dict[tuple[Any, ...], LogEntry]:
    """Each logged key's first entry, the one its net change is resolved from."""
    first: dict[tuple[Any, ...], LogEntry] = {}
    for entry in sorted(log, key=_log_order):
        first.setdefault(table.key_of(entry.row), entry)
    return first


def _keyed_states(table: CaptureTable, log: list[LogEntry]) -> list[KeyState]:
    live = {table.key_of(row): row for row in table.rows}
    states = []
    for key, entry in _first_entries(table, log).items():
        now = live.get(key)
        if not entry.existed and now is not None:
            states.append(KeyState(key, 0, 1, dict(now)))
        elif entry.existed and now is None:
            states.append(KeyState(key, 1, 0, dict(entry.row)))
        elif entry.existed and now is not None:
            changed = {c: v for c, v in now.items() if entry.row[c] != v}
            if changed:
                states.append(KeyState(key, 1, 1, changed))
    return states


def _row_states(table: CaptureTable, log: list[LogEntry]) -> list[KeyState]:
    removed: Counter[tuple[Any, ...]] = Counter()
    added: Counter[tuple[Any, ...]] = Counter()
    rows: dict[tuple[Any, ...], dict[str, Any]] = {}
    for entry in log:
        key = table.key_of(entry.row)
        rows[key] = entry.row
        (removed if entry.existed else added)[key] += 1
    return [
        KeyState(key, removed[key], added[key], dict(row))
        for key, row in rows.items()
        if removed[key] != added[key]
    ]
