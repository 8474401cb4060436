"""The change-capture port: records tracked tables' row changes and reports them per key."""

from __future__ import annotations

from typing import Any, NamedTuple, Protocol

from sg.domain.model import StagedKeys, TableRef


class Watermark(NamedTuple):
    """How far into a table's change log one read went; opaque outside the adapter.

    `snapshot` names the committed transactions the read saw, `reader` the reading transaction
    (whose own entries it saw too) and `position` the highest log position it saw; discarding
    through a watermark removes exactly the entries that read saw.
    """

    snapshot: str
    reader: int | None
    position: int


class KeyState(NamedTuple):
    """What the change log and the live table say about one key since the last discard.

    `before` and `after` count the copies of the key's row at the last discard and now; for
    a table keyed by the whole row they count the copies removed and added since, which
    differ by as much. `values` is the row now when `after > before`, the row as it was when
    `after < before`, and, when they are equal, the new values of the columns that changed.
    """

    key: tuple[Any, ...]
    before: int
    after: int
    values: dict[str, Any]


class CapturedChanges(NamedTuple):
    """The key states of one table in key order, and the watermark of the read."""

    states: list[KeyState]
    watermark: Watermark


class StagedChanges(NamedTuple):
    """The keys with a net change, held by the engine, and the watermark of the read."""

    keys: StagedKeys
    watermark: Watermark


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
