"""Compacting change logs: dropping the entries netting no longer needs, under the table lock."""

from __future__ import annotations

from collections.abc import Iterable

from sg.domain.capture import CompactedLog
from sg.domain.model import TableRef
from sg.ports.capture import ChangeCapture
from sg.ports.catalog import TableLock


class LogCompactor:
    """Shrinks tracked tables' change logs to what their net changes are resolved from.

    A key written many times keeps one log entry. Each table is locked first, as a commit
    locks it from its read to its discard: a compaction never falls between the two, and
    writers of the table wait until the caller's transaction ends.
    """

    def __init__(self, capture: ChangeCapture, lock: TableLock) -> None:
        self._capture = capture
        self._lock = lock

    def compact(self, tables: Iterable[TableRef]) -> dict[TableRef, CompactedLog]:
        """Compact each table's log; raises `TableNotTrackedError` for an untracked one."""
        done = {}
        for table in tables:
            self._lock.lock_table(table)
            done[table] = self._capture.compact(table)
        return done

    def compact_schema(self, schema: str) -> dict[TableRef, CompactedLog]:
        """Compact the log of every tracked table of `schema`, in name order."""
        return self.compact(ref for ref in self._capture.tracked() if ref.schema == schema)
