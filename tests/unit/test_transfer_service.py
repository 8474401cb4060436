"""The transfer service against in-memory fakes: what moves, what is skipped, what is left."""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest

from sg.domain.errors import (
    EngineConnectionError,
    InvalidObjectIdError,
    ObjectIdMismatchError,
    ObjectNotFoundError,
)
from sg.domain.model import ColumnSpec, TableRef
from sg.domain.object_id import ObjectId, object_table
from sg.domain.object_record import ContentDigest
from sg.domain.services.transfer import ObjectTransfer
from tests.fakes.bundle import FakePorts
from tests.fakes.database import FakeDatabase, Row
from tests.fakes.fragments import FakeFragmentStore
from tests.fakes.progress import RecordingProgress
from tests.fakes.registry import FakeObjectRegistry, RacingRegistry
from tests.fakes.transport import FakeTransport, copy_object
from tests.fakes.unit_of_work import FakeUnitOfWork

COLUMNS = [ColumnSpec(1, "id", "integer", True), ColumnSpec(2, "v", "text", False)]
UNKNOWN = ObjectId("o" + "ab" * 31)


class CountingStore(FakeFragmentStore):
    """Counts the digests the destination is asked to compute."""

    digests: int = 0

    def content_digest(self, table: TableRef) -> ContentDigest:
        self.digests += 1
        return super().content_digest(table)


@dataclass
class World:
    source: FakeDatabase = field(default_factory=FakeDatabase)
    destination: FakeDatabase = field(default_factory=FakeDatabase)
    progress: RecordingProgress = field(default_factory=RecordingProgress)

    def __post_init__(self) -> None:
        self.work = FakeUnitOfWork(self.destination)
        self.store = CountingStore(self.destination)
        self.transport = FakeTransport(self.source, self.destination)

    def make_object(self, name: str, rows: list[Row]) -> ObjectId:
        table = TableRef("public", name)
        self.source.add_table(table, COLUMNS, rows)
        return FakePorts(self.source).object_service().snapshot(table)

    def service(
        self, verify: bool = True, destination: FakeObjectRegistry | None = None
    ) -> ObjectTransfer:
        return ObjectTransfer(
            source=FakeObjectRegistry(self.source),
            destination=destination or FakeObjectRegistry(self.destination),
            destination_store=self.store,
            destination_work=self.work,
            transport=self.transport,
            progress=self.progress,
            verify=verify,
        )

    def holds(self, object_id: ObjectId) -> bool:
        in_table = object_table(object_id) in self.destination.tables
        in_registry = object_id in self.destination.registry
        assert in_table == in_registry, "a table without its registry row, or the reverse"
        return in_table


@pytest.fixture
def world() -> World:
    return World()


def test_objects_arrive_with_their_rows_and_registry_rows(world: World) -> None:
    a = world.make_object("a", [(1, "x"), (2, "y"), (3, "z")])
    b = world.make_object("b", [(7, None)])
    assert world.service().transfer([a, b]) == [a, b]
    for object_id in (a, b):
        table = object_table(object_id)
        assert world.destination.tables[table].rows == world.source.tables[table].rows
        sent, got = world.source.registry[object_id], world.destination.registry[object_id]
        assert got.columns == sent.columns
        assert (got.rows_upserted, got.rows_deleted) == (sent.rows_upserted, sent.rows_deleted)
        assert got.size_bytes == world.store.table_size(table)
    # One commit for what was open before, then one per object; nothing left open.
    assert world.work.commits == 3
    assert world.work.is_clean()
    assert world.store.digests == 0  # the streamed bytes proved both ids


def test_a_second_transfer_moves_nothing(world: World) -> None:
    a = world.make_object("a", [(1, "x")])
    assert world.service().transfer([a]) == [a]
    assert world.service().transfer([a]) == []
    assert world.transport.copied == [object_table(a)]
    assert world.work.is_clean()


def test_objects_the_destination_has_are_skipped_and_repeats_count_once(world: World) -> None:
    a = world.make_object("a", [(1, "x")])
    b = world.make_object("b", [(2, "y")])
    copy_object(
        world.source.registry[a], world.source.tables[object_table(a)].rows, world.destination
    )
    assert world.service().transfer([b, a, b]) == [b]
    assert world.transport.copied == [object_table(b)]


def test_a_malformed_id_fails_before_anything_moves(world: World) -> None:
    a = world.make_object("a", [(1, "x")])
    with pytest.raises(InvalidObjectIdError, match="not-an-id"):
        world.service().transfer([a, "not-an-id"])
    assert not world.holds(a)
    assert world.transport.copied == []
    assert world.work.commits == 0


def test_unknown_ids_fail_before_anything_moves_and_are_named(world: World) -> None:
    a = world.make_object("a", [(1, "x")])
    other = ObjectId("o" + "cd" * 31)
    with pytest.raises(ObjectNotFoundError) as raised:
        world.service().transfer([a, UNKNOWN, other])
    assert UNKNOWN in str(raised.value) and other in str(raised.value)
    assert a not in str(raised.value)
    assert not world.holds(a)
    assert world.transport.copied == []


def test_rows_that_do_not_hash_to_the_id_leave_nothing(world: World) -> None:
    a = world.make_object("a", [(1, "x")])
    b = world.make_object("b", [(2, "y"), (3, "z")])
    world.service().transfer([a])
    world.transport.tamper = True
    with pytest.raises(ObjectIdMismatchError, match=b):
        world.service().transfer([b])
    assert world.holds(a) and not world.holds(b)
    assert world.work.is_clean()
    # The stream disagreed, so the destination was asked before giving up.
    assert world.store.digests == 1


def test_without_the_bytes_the_destination_recomputes_the_digest(world: World) -> None:
    a = world.make_object("a", [(1, "x"), (2, "y")])
    world.transport.sees_bytes = False
    assert world.service().transfer([a]) == [a]
    assert world.store.digests == 1
    world.transport.tamper = True
    b = world.make_object("b", [(5, "q")])
    with pytest.raises(ObjectIdMismatchError):
        world.service().transfer([b])
    assert not world.holds(b)


def test_verification_can_be_turned_off(world: World) -> None:
    a = world.make_object("a", [(1, "x")])
    world.transport.tamper = True
    world.transport.sees_bytes = False
    assert world.service(verify=False).transfer([a]) == [a]
    assert world.store.digests == 0


def test_a_short_object_is_rejected_even_unverified(world: World) -> None:
    a = world.make_object("a", [(1, "x"), (2, "y")])
    world.transport.lose_rows = 1
    with pytest.raises(ObjectIdMismatchError, match="1 rows"):
        world.service(verify=False).transfer([a])
    assert not world.holds(a)


def test_an_interrupted_transfer_keeps_whole_objects_and_can_be_repeated(world: World) -> None:
    a = world.make_object("a", [(1, "x"), (2, "y")])
    b = world.make_object("b", [(i, str(i)) for i in range(10)])
    world.transport.fail_after = 4  # inside b, after a has arrived whole
    with pytest.raises(EngineConnectionError):
        world.service().transfer([a, b])
    assert world.holds(a) and not world.holds(b)
    assert world.work.is_clean()
    world.transport.fail_after = None
    assert world.service().transfer([a, b]) == [b]
    assert world.holds(b)


def test_an_object_registered_meanwhile_by_another_transfer_is_skipped(world: World) -> None:
    a = world.make_object("a", [(1, "x")])
    b = world.make_object("b", [(2, "y")])

    def other_transfer_wins(object_id: ObjectId) -> None:
        if object_id == a and not world.holds(a):
            rows = world.source.tables[object_table(a)].rows
            copy_object(world.source.registry[a], rows, world.destination)
            world.work.commit()

    racing = RacingRegistry(world.destination, other_transfer_wins)
    assert world.service(destination=racing).transfer([a, b]) == [b]
    assert world.transport.copied == [object_table(b)]
    assert world.holds(a) and world.work.is_clean()


def test_progress_knows_the_totals_first_and_only_grows(world: World) -> None:
    a = world.make_object("a", [(i, "x") for i in range(5)])
    b = world.make_object("b", [(i, "y") for i in range(3)])
    c = world.make_object("c", [(1, "z")])
    world.service().transfer([c])
    world.progress.events.clear()
    world.service().transfer([a, b, c])
    events = world.progress.events
    assert events[0] == ("started", 2, 8)
    assert events[-1] == ("finished", 0, 0)
    advanced = [(objects, rows) for kind, objects, rows in events if kind == "advanced"]
    assert advanced == sorted(advanced)
    assert (0, 2) in advanced  # rows reported while the first object was still moving
    assert advanced[-1] == (2, 8)


def test_progress_is_finished_after_a_failure(world: World) -> None:
    a = world.make_object("a", [(i, "x") for i in range(6)])
    world.transport.fail_after = 2
    with pytest.raises(EngineConnectionError):
        world.service().transfer([a])
    assert world.progress.events[0] == ("started", 1, 6)
    assert world.progress.events[-1] == ("finished", 0, 0)
