"""One contract for the change-capture port, run against PostgreSQL and the in-memory fake,
so the fake the unit tests rely on cannot drift from the real adapter."""

from __future__ import annotations

import pytest

from sg.domain.capture import KeyState
from sg.domain.errors import TableNotFoundError, TableNotTrackedError
from sg.domain.model import TableRef
from tests.support.capture_harness import Harness, harness

__all__ = ["harness"]  # the parametrized fixture every test here runs with


@pytest.fixture
def t(harness: Harness) -> TableRef:
    table = harness.create("t", ["id", "a", "b"], ["id"])
    harness.insert(table, *({"id": i, "a": i * 10, "b": None} for i in range(1, 6)))
    harness.capture.track(table)
    return table


def test_key_states_after_a_mix_of_statements(harness: Harness, t: TableRef) -> None:
    harness.insert(t, {"id": 9, "a": 90, "b": 9})
    harness.update(t, {"id": 9}, {"b": 99})
    harness.insert(t, {"id": 8, "a": 80, "b": 8})
    harness.delete(t, {"id": 8})
    harness.update(t, {"id": 1}, {"a": 11, "b": 1})
    harness.update(t, {"id": 2}, {"a": 0})
    harness.update(t, {"id": 2}, {"a": 20})
    harness.update(t, {"id": 3}, {"id": 7})
    harness.delete(t, {"id": 4})
    harness.insert(t, {"id": 4, "a": 40, "b": None})
    harness.delete(t, {"id": 5})
    harness.insert(t, {"id": 5, "a": 55, "b": None})
    assert harness.capture.read(t).states == [
        KeyState((1,), 1, 1, {"a": 11, "b": 1}),
        KeyState((3,), 1, 0, {"id": 3, "a": 30, "b": None}),
        KeyState((5,), 1, 1, {"a": 55}),
        KeyState((7,), 0, 1, {"id": 7, "a": 30, "b": None}),
        KeyState((9,), 0, 1, {"id": 9, "a": 90, "b": 99}),
    ]
    assert harness.capture.read(t, limit=2).states == harness.capture.read(t).states[:2]
    assert harness.capture.count(t) == (2, 1, 2)


def test_has_changes_is_true_only_for_a_net_change(harness: Harness, t: TableRef) -> None:
    assert not harness.capture.has_changes(t)
    harness.update(t, {"id": 1}, {"a": 11})
    assert harness.capture.has_changes(t)
    harness.update(t, {"id": 1}, {"a": 10})
    assert not harness.capture.has_changes(t)  # logged, but cancelled out
    harness.delete(t, {"id": 2})
    harness.insert(t, {"id": 2, "a": 20, "b": None})
    assert not harness.capture.has_changes(t)
    harness.insert(t, {"id": 8, "a": 80, "b": None})
    assert harness.capture.has_changes(t)
    k = harness.create("k", ["x"], [])
    harness.insert(k, {"x": 1})
    harness.capture.track(k)
    assert not harness.capture.has_changes(k)
    harness.insert(k, {"x": 1})
    assert harness.capture.has_changes(k)  # a second copy of the same row
    harness.delete(k, {"x": 1})
    assert harness.capture.has_changes(k)  # both copies gone


def test_has_changes_looks_past_keys_whose_changes_cancel(harness: Harness) -> None:
    # More cancelled-out entries than the engine's first sample of keys, then one change.
    u = harness.create("u", ["id", "a"], ["id"])
    harness.insert(u, *({"id": i, "a": 0} for i in range(1, 301)))
    harness.capture.track(u)
    for i in range(1, 151):
        harness.update(u, {"id": i}, {"a": 1})
        harness.update(u, {"id": i}, {"a": 0})
    assert not harness.capture.has_changes(u)
    harness.update(u, {"id": 300}, {"a": 3})
    assert harness.capture.has_changes(u)
    harness.update(u, {"id": 300}, {"a": 0})
    harness.update(u, {"id": 1}, {"a": 9})  # a sampled key, changed again later
    assert harness.capture.has_changes(u)


def test_truncate_and_reinsert(harness: Harness, t: TableRef) -> None:
    harness.update(t, {"id": 1}, {"a": 0})
    harness.truncate(t)
    harness.insert(t, {"id": 2, "a": 20, "b": None}, {"id": 6, "a": 60, "b": None})
    assert [(s.key, s.before, s.after) for s in harness.capture.read(t).states] == [
        ((1,), 1, 0),
        ((3,), 1, 0),
        ((4,), 1, 0),
        ((5,), 1, 0),
        ((6,), 0, 1),
    ]


def test_whole_row_keys_count_copies(harness: Harness) -> None:
    k = harness.create("k", ["x", "y"], [])
    harness.insert(k, {"x": 1, "y": None}, {"x": 1, "y": None}, {"x": 2, "y": 2})
    harness.capture.track(k)
    harness.insert(k, {"x": 1, "y": None}, {"x": 3, "y": 3})
    harness.update(k, {"x": 1}, {"y": 5})
    harness.update(k, {"x": 2}, {"y": 2})
    harness.delete(k, {"x": 3})
    assert harness.capture.read(k).states == [
        KeyState((1, 5), 0, 3, {"x": 1, "y": 5}),
        KeyState((1, None), 3, 1, {"x": 1, "y": None}),
    ]
    assert harness.capture.count(k) == (3, 2, 0)


def test_tracked_tables_untrack_and_drop(harness: Harness, t: TableRef) -> None:
    u = harness.create("u", ["id"], ["id"])
    harness.capture.track(u)
    harness.capture.track(u)
    assert harness.capture.tracked() == [t, u]
    harness.insert(u, {"id": 1})
    harness.capture.untrack(u)
    harness.capture.untrack(u)
    assert harness.capture.tracked() == [t]
    with pytest.raises(TableNotTrackedError):
        harness.capture.read(u)
    harness.drop(t)
    assert harness.capture.tracked() == []
    with pytest.raises(TableNotFoundError):
        harness.capture.track(t)


def test_discard_all_or_through_a_watermark(harness: Harness, t: TableRef) -> None:
    harness.update(t, {"id": 1}, {"a": 0})
    read = harness.capture.read(t)
    harness.update(t, {"id": 2}, {"a": 0})
    harness.capture.discard(t, read.watermark)
    assert [s.key for s in harness.capture.read(t).states] == [(2,)]
    harness.capture.discard(t)
    assert harness.capture.read(t).states == []
    with pytest.raises(TableNotTrackedError):
        harness.capture.discard(TableRef("public", "nope"))


def test_stage_keeps_the_keys_read_reports(harness: Harness, t: TableRef) -> None:
    harness.update(t, {"id": 1}, {"a": 0})
    harness.update(t, {"id": 3}, {"id": 7})
    harness.delete(t, {"id": 4})
    harness.update(t, {"id": 2}, {"a": 0})
    harness.update(t, {"id": 2}, {"a": 20})
    staged = harness.capture.stage(t)
    assert staged.keys.size == 4
    assert harness.staged(staged.keys) == [((1,), True), ((3,), False), ((4,), False), ((7,), True)]
    harness.update(t, {"id": 5}, {"a": 0})
    harness.capture.discard(t, staged.watermark)
    harness.capture.release(staged.keys)
    assert [s.key for s in harness.capture.read(t).states] == [(5,)]


def test_stage_spells_keys_in_key_order(harness: Harness) -> None:
    k = harness.create("ko", ["a", "b", "v"], ["b", "a"])
    harness.insert(k, {"a": 1, "b": 2, "v": 0}, {"a": 2, "b": 1, "v": 0})
    harness.capture.track(k)
    harness.update(k, {"a": 1}, {"v": 5})
    staged = harness.capture.stage(k)
    assert harness.staged(staged.keys) == [((2, 1), True)]
    assert [s.key for s in harness.capture.read(k).states] == [(2, 1)]


def test_stage_whole_rows_once_per_value(harness: Harness) -> None:
    k = harness.create("k", ["x", "y"], [])
    harness.insert(k, {"x": 1, "y": None}, {"x": 1, "y": None}, {"x": 2, "y": 2})
    harness.capture.track(k)
    harness.insert(k, {"x": 1, "y": None}, {"x": 1, "y": None})
    harness.delete(k, {"x": 2})
    staged = harness.capture.stage(k)
    assert staged.keys.size == 2
    assert harness.staged(staged.keys) == [((1, None), True), ((2, 2), False)]


def test_stage_without_changes_keeps_nothing(harness: Harness, t: TableRef) -> None:
    harness.update(t, {"id": 1}, {"a": 0})
    harness.update(t, {"id": 1}, {"a": 10})
    staged = harness.capture.stage(t)
    assert staged.keys.size == 0
    assert harness.staged(staged.keys) == []
    with pytest.raises(TableNotTrackedError):
        harness.capture.stage(TableRef("public", "nope"))


def test_compact_keeps_one_entry_per_key_and_the_same_changes(
    harness: Harness, t: TableRef
) -> None:
    for n in range(1, 6):  # a hot key
        harness.update(t, {"id": 1}, {"a": n})
    harness.update(t, {"id": 2}, {"a": 0})
    harness.update(t, {"id": 2}, {"a": 20})  # cancelled out: still one entry
    harness.update(t, {"id": 3}, {"id": 7})
    harness.delete(t, {"id": 4})
    harness.insert(t, {"id": 4, "a": 44, "b": 4}, {"id": 9, "a": 90, "b": None})
    harness.delete(t, {"id": 9})
    before = harness.capture.read(t).states
    counted = harness.capture.count(t)
    compacted = harness.capture.compact(t)
    # Logged keys: 1, 2, 3, 4, 7 and 9, each now with its earliest entry only.
    assert (compacted.kept, compacted.removed) == (6, compacted.entries - 6)
    assert compacted.removed > 0
    assert harness.capture.read(t).states == before
    assert harness.capture.count(t) == counted
    assert harness.capture.has_changes(t)
    assert harness.capture.compact(t).removed == 0
    harness.update(t, {"id": 1}, {"a": 10})  # back to where it was at tracking
    assert 1 not in {s.key[0] for s in harness.capture.read(t).states}


def test_compact_cancels_pairs_of_whole_row_copies(harness: Harness) -> None:
    k = harness.create("k", ["x", "y"], [])
    harness.insert(k, {"x": 1, "y": 0}, {"x": 2, "y": 2})
    harness.capture.track(k)
    for n in range(1, 6):
        harness.update(k, {"x": 1}, {"y": n})
    harness.insert(k, {"x": 2, "y": 2})
    harness.delete(k, {"x": 2})
    harness.insert(k, {"x": 2, "y": 2})
    states = [(s.key, s.after - s.before, s.values) for s in harness.capture.read(k).states]
    counted = harness.capture.count(k)
    compacted = harness.capture.compact(k)
    # Left: (1, 0) removed and (1, 5) added; (2, 2) was added twice and removed twice.
    assert compacted.kept == 2
    assert [(s.key, s.after - s.before, s.values) for s in harness.capture.read(k).states] == (
        states
    )
    assert harness.capture.count(k) == counted
    assert harness.capture.compact(k).removed == 0
    with pytest.raises(TableNotTrackedError):
        harness.capture.compact(TableRef("public", "nope"))
