"""The log compactor against the in-memory capture fake and a lock that notes what it saw."""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest

from sg.domain.errors import TableNotTrackedError
from sg.domain.model import TableRef
from sg.domain.services.change_tracking import ChangeTracking
from sg.domain.services.compaction import LogCompactor
from tests.fakes.capture import FakeChangeCapture

T = TableRef("shop", "orders")
U = TableRef("shop", "items")
OTHER = TableRef("crm", "people")


@dataclass
class WitnessLock:
    """Notes each table it locks with the size of its log at that moment."""

    capture: FakeChangeCapture
    locked: list[tuple[TableRef, int]] = field(default_factory=list)

    def lock_table(self, table: TableRef) -> None:
        self.locked.append((table, len(self.capture.logs.get(table, []))))


@pytest.fixture
def capture() -> FakeChangeCapture:
    fake = FakeChangeCapture()
    for ref in (T, U, OTHER):
        fake.create_table(ref, ["id", "n"], ["id"])
        fake.insert(ref, *({"id": i, "n": 0} for i in range(3)))
        fake.track(ref)
    for n in range(1, 11):
        fake.update(T, {"id": 0}, {"n": n})
        fake.update(OTHER, {"id": 1}, {"n": n})
    return fake


def test_each_table_is_locked_before_its_log_shrinks(capture: FakeChangeCapture) -> None:
    lock = WitnessLock(capture)
    pending = ChangeTracking(capture).pending(T)
    done = LogCompactor(capture, lock).compact([T])
    assert lock.locked == [(T, 20)]  # the update of each statement logs two entries
    assert (done[T].entries, done[T].removed, done[T].kept) == (20, 19, 1)
    assert ChangeTracking(capture).pending(T) == pending
    assert len(capture.logs[OTHER]) == 20  # untouched


def test_a_schema_compacts_only_its_own_tables(capture: FakeChangeCapture) -> None:
    lock = WitnessLock(capture)
    done = LogCompactor(capture, lock).compact_schema("shop")
    assert [ref for ref, _ in lock.locked] == [U, T]  # tracked order: by name
    assert {ref: log.removed for ref, log in done.items()} == {U: 0, T: 19}
    assert LogCompactor(capture, lock).compact_schema("none") == {}


def test_an_untracked_table_is_an_error(capture: FakeChangeCapture) -> None:
    with pytest.raises(TableNotTrackedError):
        LogCompactor(capture, WitnessLock(capture)).compact([TableRef("shop", "nope")])
