"""The change-capture port: records tracked tables' row changes and reports them per key."""

from __future__ import annotations

from typing import Protocol

from sg.domain.capture import CapturedChanges, CompactedLog, StagedChanges, Watermark
from sg.domain.model import StagedKeys, TableRef


class ChangeCapture(Protocol):
    """Captures changes of tracked tables. Transactional: the caller commits.

    Every method raises `EngineNotInitializedError` when the engine's database lacks the
    capture machinery (`initialize()` was not run).
    """

    def track(self, table: TableRef) -> None:
        """Start capturing `table`'s changes; no-op when tracked; raises `TableNotFoundError`."""
        ...

    def untrack(self, table: TableRef) -> None:
        """Stop capturing `table` and drop its pending changes; no-op when it is not tracked."""
        ...

    def tracked(self) -> list[TableRef]:
        """Tracked tables that still exist, sorted by schema and name; dropped ones are gone."""
        ...

    def read(self, table: TableRef, limit: int | None = None) -> CapturedChanges:
        """The states of the keys with a net change (at most `limit`), in key order.

        Keys whose changes cancel out are left out. The states and the watermark come from one
        snapshot. Raises `TableNotTrackedError` when `table` is not tracked.
        """
        ...

    def discard(self, table: TableRef, through: Watermark | None = None) -> None:
        """Forget `table`'s pending changes: all of them, or only those a read up to `through` saw.

        With `through`, entries written by transactions that read did not see (still running
        or committed later) and entries written after the read are kept, so a caller can read,
        store and then discard exactly what it stored while other sessions keep writing.
        Raises `TableNotTrackedError`.
        """
        ...

    def compact(self, table: TableRef) -> CompactedLog:
        """Delete the log entries `read` does not need; what it reports stays the same.

        A keyed table keeps one entry per key logged; a table keyed by the whole row loses
        pairs of a removed and an added copy of one row value (so its states' `before` and
        `after` shrink alike). Holds off, until the transaction ends, whoever locks the table
        against writers (a commit does, from its read to its discard, which a compaction in
        between could confuse), but not its writers. Raises `TableNotTrackedError` (or
        `TrackingBrokenError`).
        """
        ...

    def has_changes(self, table: TableRef) -> bool:
        """True when `read` would report a change, decided in the engine; raises like `read`."""
        ...

    def count(self, table: TableRef) -> tuple[int, int, int]:
        """Rows added, removed and updated by the net changes `read` would report, counted
        in the engine; raises `TableNotTrackedError` (or `TrackingBrokenError`)."""
        ...

    def stage(self, table: TableRef) -> StagedChanges:
        """Keep the keys with a net change in the engine, where a fragment store reads them.

        The same keys `read` would report (for a table keyed by the whole row: each changed
        row value once), read from one snapshot with the watermark. Valid until `release` or
        the transaction's end. Raises `TableNotTrackedError` when `table` is not tracked.
        """
        ...

    def release(self, keys: StagedKeys) -> None:
        """Forget keys that `stage` kept."""
        ...
