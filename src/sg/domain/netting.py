"""Net changes from key states, and how many rows they add, remove and update."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import NamedTuple

from sg.domain.capture import KeyState, Watermark
from sg.domain.model import Change, ChangeKind


class ChangeCounts(NamedTuple):
    """Net counts of a table's pending changes, as `get_pending_changes(aggregate=True)` gives."""

    added_rows: int
    removed_rows: int
    updated_rows: int


class PendingChanges(NamedTuple):
    """A table's net changes in key order and the watermark to discard exactly them."""

    changes: list[Change]
    watermark: Watermark


def net_changes(states: Iterable[KeyState]) -> Iterator[Change]:
    """The net changes of key states, one per key, or one per copy for a whole-row key.

    More copies now than before are INSERTs of the row, fewer are DELETEs of it; as many, with
    changed columns, is an UPDATE carrying those columns' new values.
    """
    for state in states:
        surplus = state.after - state.before
        if surplus > 0:
            yield from _copies(state, ChangeKind.INSERT, surplus)
        elif surplus < 0:
            yield from _copies(state, ChangeKind.DELETE, -surplus)
        elif state.after and state.values:
            yield Change(state.key, ChangeKind.UPDATE, state.values)


def _copies(state: KeyState, kind: ChangeKind, count: int) -> Iterator[Change]:
    yield Change(state.key, kind, state.values)
    for _ in range(count - 1):
        yield Change(state.key, kind, dict(state.values))


def count_changes(changes: Iterable[Change]) -> ChangeCounts:
    """How many rows the changes add, remove and update."""
    counts = dict.fromkeys(ChangeKind, 0)
    for change in changes:
        counts[change.change_type] += 1
    return ChangeCounts(
        counts[ChangeKind.INSERT], counts[ChangeKind.DELETE], counts[ChangeKind.UPDATE]
    )
