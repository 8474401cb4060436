"""Change tracking: tracked tables and their net pending changes, from captured key states."""

from __future__ import annotations

from collections.abc import Iterable

from sg.domain.capture import CompactedLog, StagedChanges, Watermark
from sg.domain.model import Change, StagedKeys, TableRef
from sg.domain.netting import ChangeCounts, PendingChanges, net_changes
from sg.ports.capture import ChangeCapture


class ChangeTracking:
    """Tracks tables and reports, counts and discards their net pending changes."""

    def __init__(self, capture: ChangeCapture) -> None:
        self._capture = capture

    def track(self, tables: Iterable[TableRef]) -> None:
        """Start tracking each table; tracking one twice is harmless."""
        for table in tables:
            self._capture.track(table)

    def untrack(self, tables: Iterable[TableRef]) -> None:
        """Stop tracking each table and discard its pending changes."""
        for table in tables:
            self._capture.untrack(table)

    def tracked(self) -> list[TableRef]:
        """Every tracked table, sorted."""
        return self._capture.tracked()

    def pending(self, table: TableRef, limit: int | None = None) -> list[Change]:
        """The table's net changes in key order (of the first `limit` changed keys, if given);
        raises `TableNotTrackedError`."""
        return list(net_changes(self._capture.read(table, limit).states))

    def read_pending(self, table: TableRef) -> PendingChanges:
        """The table's net changes with the watermark `discard_read` takes to forget them.

        Changes and watermark come from one snapshot; live rows read in a later statement
        match them only while writers are locked out (`lock_table`) or in a REPEATABLE READ
        transaction.
        """
        captured = self._capture.read(table)
        return PendingChanges(list(net_changes(captured.states)), captured.watermark)

    def stage_pending(self, table: TableRef) -> StagedChanges:
        """The keys of the table's net changes, held by the engine, with the watermark
        `discard_read` takes to forget them; read like `read_pending`."""
        return self._capture.stage(table)

    def release_staged(self, keys: StagedKeys) -> None:
        """Forget keys `stage_pending` kept (the pending changes stay)."""
        self._capture.release(keys)

    def counts(self, table: TableRef) -> ChangeCounts:
        """Net numbers of rows added, removed and updated; raises `TableNotTrackedError`."""
        return ChangeCounts(*self._capture.count(table))

    def changed_tables(self, schema: str) -> list[str]:
        """Names of the tracked tables of `schema` that have net pending changes, sorted."""
        return [ref.table for ref in self._in_schema(schema) if self._has_changes(ref)]

    def has_pending(self, schema: str) -> bool:
        """True when any tracked table of `schema` has a net pending change."""
        return any(self._has_changes(ref) for ref in self._in_schema(schema))

    def discard(self, schema: str, table: str | None = None) -> None:
        """Forget the pending changes of one tracked table, or of every one in `schema`."""
        if table is None:
            for ref in self._in_schema(schema):
                self._capture.discard(ref)
            return
        self._capture.discard(TableRef(schema, table))

    def discard_read(self, table: TableRef, watermark: Watermark) -> None:
        """Forget exactly the changes `read_pending` or `stage_pending` returned with `watermark`.

        Changes written since, or by transactions that read did not see, stay pending; so
        storing what a read returned and then discarding it loses nothing to other writers,
        provided the table stays locked from the read (as commits lock it): a compaction in
        between could delete the later entries of a key whose first entry this removes.
        """
        self._capture.discard(table, watermark)

    def compact(self, tables: Iterable[TableRef]) -> dict[TableRef, CompactedLog]:
        """Shrink each table's change log to the entries its net changes come from.

        The pending changes stay the same. Each table's writers go on; its commits wait
        until the caller's transaction ends. Raises `TableNotTrackedError`.
        """
        return {table: self._capture.compact(table) for table in tables}

    def compact_schema(self, schema: str) -> dict[TableRef, CompactedLog]:
        """`compact` every tracked table of `schema`, in name order."""
        return self.compact(self._in_schema(schema))

    def _in_schema(self, schema: str) -> list[TableRef]:
        return [ref for ref in self._capture.tracked() if ref.schema == schema]

    def _has_changes(self, table: TableRef) -> bool:
        return self._capture.has_changes(table)
