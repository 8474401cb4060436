"""The change-tracking service's net-change rules, against the in-memory capture fake."""

from __future__ import annotations

import pytest

from sg.domain.capture import KeyState
from sg.domain.errors import EngineNotInitializedError, TableNotFoundError, TableNotTrackedError
from sg.domain.model import Change, ChangeKind, TableRef
from sg.domain.netting import ChangeCounts, count_changes, net_changes
from sg.domain.services.change_tracking import ChangeTracking
from tests.fakes.capture import FakeChangeCapture

T = TableRef("s", "t")
U = TableRef("s", "u")
INSERT, DELETE, UPDATE = ChangeKind.INSERT, ChangeKind.DELETE, ChangeKind.UPDATE


@pytest.fixture
def capture() -> FakeChangeCapture:
    fake = FakeChangeCapture()
    fake.create_table(T, ["id", "v", "w"], key=["id"])
    fake.insert(T, {"id": 1, "v": "a", "w": 10}, {"id": 2, "v": "b", "w": 20})
    return fake


@pytest.fixture
def tracking(capture: FakeChangeCapture) -> ChangeTracking:
    service = ChangeTracking(capture)
    service.track([T])
    return service


def test_insert_then_update_is_an_insert_of_the_final_row(
    capture: FakeChangeCapture, tracking: ChangeTracking
) -> None:
    capture.insert(T, {"id": 3, "v": "c", "w": 30})
    capture.update(T, {"id": 3}, {"v": "cc"})
    assert tracking.pending(T) == [Change((3,), INSERT, {"id": 3, "v": "cc", "w": 30})]


def test_insert_then_delete_is_nothing(
    capture: FakeChangeCapture, tracking: ChangeTracking
) -> None:
    capture.insert(T, {"id": 3, "v": "c", "w": 30})
    capture.update(T, {"id": 3}, {"w": 31})
    capture.delete(T, {"id": 3})
    assert tracking.pending(T) == []
    assert not tracking.has_pending("s")


def test_delete_then_identical_insert_is_nothing(
    capture: FakeChangeCapture, tracking: ChangeTracking
) -> None:
    capture.delete(T, {"id": 1})
    capture.insert(T, {"id": 1, "v": "a", "w": 10})
    assert tracking.pending(T) == []


def test_update_and_update_back_is_nothing(
    capture: FakeChangeCapture, tracking: ChangeTracking
) -> None:
    capture.update(T, {"id": 1}, {"v": "x"})
    capture.update(T, {"id": 1}, {"v": "a"})
    assert tracking.pending(T) == []
    assert tracking.changed_tables("s") == []


def test_update_then_delete_is_a_delete_of_the_original_row(
    capture: FakeChangeCapture, tracking: ChangeTracking
) -> None:
    capture.update(T, {"id": 2}, {"v": "x"})
    capture.delete(T, {"id": 2})
    assert tracking.pending(T) == [Change((2,), DELETE, {"id": 2, "v": "b", "w": 20})]


def test_delete_then_different_insert_is_an_update_of_the_changed_columns(
    capture: FakeChangeCapture, tracking: ChangeTracking
) -> None:
    capture.delete(T, {"id": 1})
    capture.insert(T, {"id": 1, "v": "a", "w": 11})
    assert tracking.pending(T) == [Change((1,), UPDATE, {"w": 11})]


def test_key_change_is_a_delete_and_an_insert(
    capture: FakeChangeCapture, tracking: ChangeTracking
) -> None:
    capture.update(T, {"id": 1}, {"id": 5})
    assert tracking.pending(T) == [
        Change((1,), DELETE, {"id": 1, "v": "a", "w": 10}),
        Change((5,), INSERT, {"id": 5, "v": "a", "w": 10}),
    ]


def test_no_op_update_is_not_a_change(capture: FakeChangeCapture, tracking: ChangeTracking) -> None:
    capture.update(T, {"id": 1}, {"v": "a"})
    assert tracking.pending(T) == []
    assert tracking.counts(T) == ChangeCounts(0, 0, 0)


def test_counts_are_net(capture: FakeChangeCapture, tracking: ChangeTracking) -> None:
    capture.insert(T, {"id": 3, "v": "c", "w": 30}, {"id": 4, "v": "d", "w": 40})
    capture.delete(T, {"id": 4})
    capture.delete(T, {"id": 2})
    capture.update(T, {"id": 1}, {"w": 99})
    assert tracking.counts(T) == ChangeCounts(added_rows=1, removed_rows=1, updated_rows=1)


def test_changes_come_in_key_order(capture: FakeChangeCapture, tracking: ChangeTracking) -> None:
    capture.insert(T, {"id": 9, "v": "i", "w": 0}, {"id": 0, "v": "z", "w": 0})
    capture.update(T, {"id": 2}, {"w": 0})
    assert [change.primary_key for change in tracking.pending(T)] == [(0,), (2,), (9,)]


def test_rows_without_a_key_count_every_copy() -> None:
    fake = FakeChangeCapture()
    fake.create_table(U, ["a", "b"])
    fake.insert(U, {"a": 1, "b": None}, {"a": 1, "b": None}, {"a": 2, "b": "x"})
    service = ChangeTracking(fake)
    service.track([U])
    fake.insert(U, {"a": 1, "b": None})
    fake.delete(U, {"a": 2})
    fake.insert(U, {"a": 3, "b": "y"})
    fake.update(U, {"a": 3}, {"b": "z"})
    assert service.pending(U) == [
        Change((1, None), INSERT, {"a": 1, "b": None}),
        Change((2, "x"), DELETE, {"a": 2, "b": "x"}),
        Change((3, "z"), INSERT, {"a": 3, "b": "z"}),
    ]
    fake.delete(U, {"a": 1})
    changes = service.pending(U)
    assert [c.change_type for c in changes] == [DELETE, DELETE, DELETE, INSERT]
    assert service.counts(U) == ChangeCounts(1, 3, 0)


def test_changed_tables_and_has_pending_are_per_schema(
    capture: FakeChangeCapture, tracking: ChangeTracking
) -> None:
    other = TableRef("other", "t")
    capture.create_table(U, ["id"], key=["id"])
    capture.create_table(other, ["id"], key=["id"])
    tracking.track([U, other])
    capture.insert(other, {"id": 1})
    assert not tracking.has_pending("s")
    assert tracking.changed_tables("other") == ["t"]
    capture.insert(U, {"id": 1})
    assert tracking.has_pending("s")
    assert tracking.changed_tables("s") == ["u"]


def test_discard_one_table_or_a_schema(
    capture: FakeChangeCapture, tracking: ChangeTracking
) -> None:
    capture.create_table(U, ["id"], key=["id"])
    tracking.track([U])
    capture.insert(U, {"id": 1})
    capture.delete(T, {"id": 1})
    tracking.discard("s", "u")
    assert tracking.changed_tables("s") == ["t"]
    tracking.discard("s")
    assert not tracking.has_pending("s")


def test_discard_through_a_watermark_keeps_later_changes(
    capture: FakeChangeCapture, tracking: ChangeTracking
) -> None:
    capture.update(T, {"id": 1}, {"v": "x"})
    read = tracking.read_pending(T)
    assert read.changes == [Change((1,), UPDATE, {"v": "x"})]
    capture.update(T, {"id": 2}, {"v": "y"})
    tracking.discard_read(T, read.watermark)
    assert tracking.pending(T) == [Change((2,), UPDATE, {"v": "y"})]


def test_track_twice_is_harmless_and_untrack_discards(
    capture: FakeChangeCapture, tracking: ChangeTracking
) -> None:
    capture.delete(T, {"id": 1})
    tracking.track([T])
    assert tracking.tracked() == [T]
    assert tracking.counts(T) == ChangeCounts(0, 1, 0)
    tracking.untrack([T])
    assert tracking.tracked() == []
    tracking.track([T])
    assert tracking.pending(T) == []


def test_errors_name_the_table(capture: FakeChangeCapture, tracking: ChangeTracking) -> None:
    with pytest.raises(TableNotFoundError, match=r"s\.missing"):
        tracking.track([TableRef("s", "missing")])
    capture.create_table(U, ["id"], key=["id"])
    with pytest.raises(TableNotTrackedError, match=r"s\.u"):
        tracking.pending(U)
    with pytest.raises(TableNotTrackedError, match=r"s\.u"):
        tracking.discard("s", "u")


def test_not_initialized_is_reported(capture: FakeChangeCapture) -> None:
    capture.installed = False
    with pytest.raises(EngineNotInitializedError, match="initialize"):
        ChangeTracking(capture).tracked()


def test_net_changes_of_key_states() -> None:
    states = [
        KeyState((1,), 0, 1, {"id": 1}),
        KeyState((2,), 1, 0, {"id": 2}),
        KeyState((3,), 1, 1, {"v": "new"}),
        KeyState((4,), 1, 1, {}),
        KeyState(("r",), 1, 3, {"v": "r"}),
    ]
    changes = list(net_changes(states))
    assert changes == [
        Change((1,), INSERT, {"id": 1}),
        Change((2,), DELETE, {"id": 2}),
        Change((3,), UPDATE, {"v": "new"}),
        Change(("r",), INSERT, {"v": "r"}),
        Change(("r",), INSERT, {"v": "r"}),
    ]
    assert changes[3].change_data is not changes[4].change_data
    assert count_changes(changes) == ChangeCounts(3, 1, 1)
