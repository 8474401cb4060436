"""Values the change-capture port speaks in: key states, watermarks, staged keys."""

from __future__ import annotations

from typing import Any, NamedTuple

from sg.domain.model import StagedKeys


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


class CompactedLog(NamedTuple):
    """A table's change log compacted: its entries before, and how many were redundant."""

    entries: int
    removed: int

    @property
    def kept(self) -> int:
        """Entries left."""
        return self.entries - self.removed
