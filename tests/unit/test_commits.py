"""The commit service against hand-written fakes of change capture, storage and locking."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import pytest

from sg.domain.errors import TableNotTrackedError
from sg.domain.model import StagedKeys, TableRef
from sg.domain.object_id import ObjectId
from sg.domain.services.change_tracking import ChangeTracking
from sg.domain.services.commits import ChangeCommitter
from tests.fakes.capture import FakeChangeCapture

T = TableRef("public", "t")
U = TableRef("public", "u")


@dataclass
class FakeObjectStorer:
    """Records the staged keys (with whether each has a row now) it was asked to store."""

    capture: FakeChangeCapture
    stored: list[tuple[TableRef, list[tuple[tuple[Any, ...], bool]]]] = field(default_factory=list)
    fail: bool = False

    def store_staged(self, source: TableRef, keys: StagedKeys) -> ObjectId:
        if self.fail:
            raise RuntimeError("disk full")
        staged = self.capture.staged[keys.handle]
        assert len(staged) == keys.size
        self.stored.append((source, list(staged)))
        return ObjectId("o" + f"{len(self.stored):062x}")


@dataclass
class FakeLock:
    locked: list[TableRef] = field(default_factory=list)

    def lock_table(self, table: TableRef) -> None:
        self.locked.append(table)


@dataclass
class SnapshotTransaction:
    """Savepoints that restore the capture fake's logs and staged keys on failure."""

    capture: FakeChangeCapture

    @contextmanager
    def savepoint(self) -> Iterator[None]:
        saved = {ref: list(log) for ref, log in self.capture.logs.items()}
        staged = dict(self.capture.staged)
        try:
            yield
        except BaseException:
            self.capture.logs, self.capture.staged = saved, staged
            raise


@dataclass
class World:
    capture: FakeChangeCapture
    storer: FakeObjectStorer
    lock: FakeLock
    committer: ChangeCommitter


@pytest.fixture
def world() -> World:
    capture = FakeChangeCapture()
    capture.create_table(T, ["id", "v"], key=["id"])
    capture.create_table(U, ["a", "b"])
    capture.insert(T, {"id": 1, "v": "a"}, {"id": 2, "v": "b"}, {"id": 3, "v": "c"})
    capture.insert(U, {"a": 1, "b": None})
    capture.track(T)
    capture.track(U)
    storer, lock = FakeObjectStorer(capture), FakeLock()
    committer = ChangeCommitter(ChangeTracking(capture), storer, lock, SnapshotTransaction(capture))
    return World(capture, storer, lock, committer)


def test_commit_stores_net_keys_and_discards_them(world: World) -> None:
    world.capture.update(T, {"id": 1}, {"v": "A"})
    world.capture.delete(T, {"id": 2})
    world.capture.insert(T, {"id": 4, "v": "d"})
    world.capture.update(T, {"id": 3}, {"id": 30})  # key change: delete 3, insert 30
    object_id = world.committer.commit(T)
    assert object_id is not None
    present, gone = True, False
    assert world.storer.stored == [
        (T, [((1,), present), ((2,), gone), ((3,), gone), ((4,), present), ((30,), present)])
    ]
    assert world.lock.locked == [T]
    assert ChangeTracking(world.capture).pending(T) == []
    assert world.capture.staged == {}


def test_no_net_change_stores_nothing(world: World) -> None:
    world.capture.update(T, {"id": 1}, {"v": "x"})
    world.capture.update(T, {"id": 1}, {"v": "a"})
    assert world.committer.commit(T) is None
    assert world.storer.stored == []
    assert world.capture.staged == {}


def test_whole_row_keys_are_stored_once_per_row_value(world: World) -> None:
    world.capture.insert(U, {"a": 2, "b": "x"}, {"a": 2, "b": "x"})
    world.capture.delete(U, {"a": 1})
    world.committer.commit(U)
    assert world.storer.stored == [(U, [((1, None), False), ((2, "x"), True)])]


def test_changes_after_the_read_stay_pending(world: World) -> None:
    world.capture.update(T, {"id": 1}, {"v": "A"})
    world.committer.commit(T)
    world.capture.update(T, {"id": 2}, {"v": "B"})
    assert [c.primary_key for c in ChangeTracking(world.capture).pending(T)] == [(2,)]


def test_a_failed_store_keeps_the_changes(world: World) -> None:
    world.capture.update(T, {"id": 1}, {"v": "A"})
    world.storer.fail = True
    with pytest.raises(RuntimeError):
        world.committer.commit(T)
    assert [c.primary_key for c in ChangeTracking(world.capture).pending(T)] == [(1,)]
    assert world.capture.staged == {}


def test_untracked_table_is_an_error(world: World) -> None:
    with pytest.raises(TableNotTrackedError):
        world.committer.commit(TableRef("public", "other"))
