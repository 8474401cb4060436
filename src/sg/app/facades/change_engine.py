"""`AuditTriggerChangeEngine`: change tracking on top of the SQL engine."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Literal, overload

from sg.app.facades.sql_engine import PsycopgEngine
from sg.domain.capture import CompactedLog
from sg.domain.model import Change, TableRef
from sg.domain.netting import ChangeCounts
from sg.domain.services.change_tracking import ChangeTracking


class AuditTriggerChangeEngine(PsycopgEngine):
    """Tracks changes to tables with statement-level audit triggers; reports net changes.

    Like every engine call, tracking works inside the engine's transaction: commit to keep it.
    """

    @property
    def _changes(self) -> ChangeTracking:
        """The change-tracking service of this engine's graph."""
        return self._graph.change_tracking()

    def track_tables(self, tables: Iterable[tuple[str, str]]) -> None:
        """Install the audit triggers on each `(schema, table)`; tracking twice is harmless."""
        self._changes.track(TableRef(*table) for table in tables)

    def untrack_tables(self, tables: Iterable[tuple[str, str]]) -> None:
        """Remove the triggers from each `(schema, table)` and delete its pending changes."""
        self._changes.untrack(TableRef(*table) for table in tables)

    def get_tracked_tables(self) -> list[tuple[str, str]]:
        """Every tracked `(schema, table)`, sorted."""
        return [(ref.schema, ref.table) for ref in self._changes.tracked()]

    def has_pending_changes(self, schema: str) -> bool:
        """True when a tracked table of `schema` has net pending changes."""
        return self._changes.has_pending(schema)

    def get_changed_tables(self, schema: str) -> list[str]:
        """The tracked tables of `schema` whose content has net pending changes, sorted."""
        return self._changes.changed_tables(schema)

    @overload
    def get_pending_changes(
        self, schema: str, table: str, aggregate: Literal[False] = False
    ) -> list[Change]: ...

    @overload
    def get_pending_changes(
        self, schema: str, table: str, aggregate: Literal[True]
    ) -> ChangeCounts: ...

    @overload
    def get_pending_changes(
        self, schema: str, table: str, aggregate: bool
    ) -> list[Change] | ChangeCounts: ...

    def get_pending_changes(
        self, schema: str, table: str, aggregate: bool = False
    ) -> list[Change] | ChangeCounts:
        """Net changes of a tracked table: `(added, removed, updated)` counts, or every change.

        Changes are `(primary_key, change_type, change_data)` in key order: INSERT carries the
        new row, UPDATE the new values of the changed columns, DELETE the old row.
        """
        ref = TableRef(schema, table)
        return self._changes.counts(ref) if aggregate else self._changes.pending(ref)

    def first_pending_changes(self, schema: str, table: str, limit: int) -> list[Change]:
        """The net changes of the first `limit` changed keys, in key order (for previews)."""
        return self._changes.pending(TableRef(schema, table), limit)

    def discard_pending_changes(self, schema: str, table: str | None = None) -> None:
        """Forget the pending changes of one tracked table, or of every one in `schema`."""
        self._changes.discard(schema, table)

    def compact_pending_changes(
        self, schema: str, table: str | None = None
    ) -> dict[tuple[str, str], CompactedLog]:
        """Shrink the change logs of one tracked table, or of every one in `schema`, to the
        entries their net changes are resolved from; the pending changes stay the same.

        Per table: the log's entries before and how many went. Writers go on meanwhile;
        commits of the table wait until the transaction ends: commit to keep the result.
        PostgreSQL reuses or returns the freed space at the log's next (auto)vacuum.
        """
        done = (
            self._changes.compact_schema(schema)
            if table is None
            else self._changes.compact([TableRef(schema, table)])
        )
        return {(ref.schema, ref.table): log for ref, log in done.items()}
