"""The change-tracking service over the in-memory capture fake (the net-change rules are a
contract: `tests/integration/test_netting_contract.py`)."""

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


def test_compaction_keeps_the_pending_changes_of_each_schema_table(
    capture: FakeChangeCapture, tracking: ChangeTracking
) -> None:
    other = TableRef("other", "t")
    capture.create_table(other, ["id", "n"], key=["id"])
    capture.insert(other, {"id": 1, "n": 0})
    tracking.track([other])
    for n in range(5):
        capture.update(T, {"id": 1}, {"w": n})
        capture.update(other, {"id": 1}, {"n": n + 1})
    pending = tracking.pending(T)
    done = tracking.compact_schema("s")
    assert {ref: (log.entries, log.kept) for ref, log in done.items()} == {T: (10, 1)}
    assert tracking.pending(T) == pending
    assert len(capture.logs[other]) == 10  # another schema's log is left alone
    assert tracking.compact([other])[other].removed == 9
    with pytest.raises(TableNotTrackedError):
        tracking.compact([U])
