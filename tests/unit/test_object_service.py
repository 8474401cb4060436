"""The object service against in-memory fakes: ids, dedupe, apply, dump and load."""

from __future__ import annotations

import io
import operator
from dataclasses import dataclass
from typing import Any

import pytest

from sg.domain.dump_header import DumpHeader, read_header
from sg.domain.errors import (
    CorruptDumpError,
    DuplicateObjectError,
    InvalidIdentifierError,
    InvalidStreamError,
    ObjectIdMismatchError,
    ObjectNotFoundError,
    SgError,
    TableNotFoundError,
)
from sg.domain.model import ColumnSpec, RowFilter, TableRef
from sg.domain.object_id import OBJECT_SCHEMA, ObjectId, object_table
from sg.domain.services.objects import ObjectService
from tests.fakes.bundle import FakePorts
from tests.fakes.database import FakeDatabase, Row
from tests.fakes.fragments import FakeQuals
from tests.fakes.transaction import FakeTransaction

T = TableRef("public", "t")
COLUMNS = [ColumnSpec(1, "id", "integer", True), ColumnSpec(2, "v", "text", False)]


@dataclass
class World:
    db: FakeDatabase
    tx: FakeTransaction
    service: ObjectService

    def table(self, ref: TableRef, rows: list[Row], columns: list[ColumnSpec] = COLUMNS) -> None:
        self.db.add_table(ref, columns, rows)

    def rows(self, ref: TableRef) -> list[Row]:
        return sorted(self.db.tables[ref].rows, key=repr)

    def dump(self, ref: TableRef) -> bytes:
        stream = io.BytesIO()
        self.service.dump(ref, stream)
        return stream.getvalue()


def make_world() -> World:
    fakes = FakePorts()
    return World(fakes.db, fakes.transaction, fakes.object_service())


@pytest.fixture
def world() -> World:
    return make_world()


def test_snapshot_registers_an_object_named_by_its_id(world: World) -> None:
    world.table(T, [(1, "a"), (2, "b")])
    object_id = world.service.snapshot(T)
    record = world.db.registry[object_id]
    assert (record.rows_upserted, record.rows_deleted) == (2, 0)
    assert [c.name for c in record.columns] == ["id", "v", "sg_ud_flag"]
    assert record.columns[0].is_pk and not record.columns[1].is_pk
    assert world.rows(object_table(object_id)) == [(1, "a", True), (2, "b", True)]
    assert world.service.list_objects() == [object_id]
    assert not [t for t in world.db.tables if t.table.startswith("sg_staging")]


def test_ids_ignore_row_order_and_see_every_value(world: World) -> None:
    world.table(T, [(1, "a"), (2, "b")])
    world.table(TableRef("public", "u"), [(2, "b"), (1, "a")])
    world.table(TableRef("public", "w"), [(2, "b"), (1, "A")])
    first = world.service.snapshot(T)
    assert world.service.snapshot(TableRef("public", "u")) == first
    assert world.service.snapshot(TableRef("public", "w")) != first


def test_ids_see_the_schema(world: World) -> None:
    world.table(T, [(1, "a")])
    renamed = [COLUMNS[0], ColumnSpec(2, "w", "text", False)]
    world.table(TableRef("public", "u"), [(1, "a")], renamed)
    unkeyed = [c._replace(is_pk=False) for c in COLUMNS]
    world.table(TableRef("public", "x"), [(1, "a")], unkeyed)
    ids = {world.service.snapshot(t) for t in [T, TableRef("public", "u"), TableRef("public", "x")]}
    assert len(ids) == 3


def test_identical_content_reuses_the_object(world: World) -> None:
    world.table(T, [(1, "a"), (2, "b")])
    first = world.service.store_object(T, [(1,)], [(3,)])
    second = world.service.store_object(T, [(1,)], [(3,)])
    assert first == second
    assert list(world.db.registry) == [first]
    assert world.db.locked == [first, first]
    assert sorted(t.table for t in world.db.tables if t.schema == OBJECT_SCHEMA) == [first]


def test_staged_keys_store_the_same_object_as_key_lists(world: World) -> None:
    world.table(T, [(1, "a"), (2, "b")])
    staged = world.service.store_staged(T, world.db.stage([(1,), (3,)]))
    assert staged == world.service.store_object(T, [(1,)], [(3,)])
    assert world.rows(object_table(staged)) == [(1, "a", True), (3, None, False)]


def test_store_fragment_keeps_the_current_state_of_each_key(world: World) -> None:
    world.table(T, [(1, "a"), (2, "b")])
    target = TableRef("public", "frag")
    info = world.service.store_fragment([(1,), (5,)], [(2,), (1,)], target, T)
    assert (info.rows_upserted, info.rows_deleted) == (2, 1)
    assert world.rows(target) == [(1, "a", True), (2, "b", True), (5, None, False)]


def test_apply_rebuilds_in_order(world: World) -> None:
    world.table(T, [(1, "a"), (2, "b"), (3, "c")])
    base = world.service.snapshot(T)
    world.db.tables[T].rows = [(1, "A"), (3, "c"), (4, "d")]
    patch = world.service.store_object(T, [(1,), (4,)], [(2,)])
    world.table(TableRef("public", "t2"), [])
    world.service.apply([object_table(base), object_table(patch)], TableRef("public", "t2"))
    assert world.rows(TableRef("public", "t2")) == world.rows(T)


def test_apply_uses_the_key_objects_were_stored_with(world: World) -> None:
    world.table(T, [(1, "a"), (2, "b")])
    base = world.service.snapshot(T)
    world.db.tables[T].rows = [(1, "A")]
    patch = world.service.store_object(T, [(1,)], [(2,)])
    unkeyed = TableRef("public", "t2")
    world.table(unkeyed, [], [c._replace(is_pk=False) for c in COLUMNS])
    world.service.apply([object_table(base), object_table(patch)], unkeyed)
    assert world.rows(unkeyed) == [(1, "A")]


def test_apply_filters_inserted_rows_only(world: World) -> None:
    world.table(T, [(1, "a"), (2, "b"), (3, "c")])
    base = world.service.snapshot(T)
    target = TableRef("public", "t2")
    world.table(target, [(9, "z")])
    quals = FakeQuals("id", ">", operator.gt)
    world.service.apply([object_table(base)], target, RowFilter(quals, (1,)))
    assert world.rows(target) == [(2, "b"), (3, "c"), (9, "z")]


def test_apply_with_a_missing_object_changes_nothing(world: World) -> None:
    world.table(T, [(1, "a")])
    base = world.service.snapshot(T)
    ghost = ObjectId("o" + "0" * 62)
    target = TableRef("public", "t2")
    world.table(target, [(7, "x")])
    with pytest.raises(ObjectNotFoundError, match=ghost):
        world.service.apply([object_table(base), object_table(ghost)], target)
    assert world.rows(target) == [(7, "x")]
    with pytest.raises(TableNotFoundError):
        world.service.apply([object_table(base)], TableRef("public", "nowhere"))
    with pytest.raises(TableNotFoundError):
        world.service.apply([TableRef("public", "nofrag")], target)


def test_dump_and_load_round_trip_registers_under_its_id(world: World) -> None:
    world.table(T, [(1, "a"), (2, None)])
    object_id = world.service.snapshot(T)
    data = world.dump(object_table(object_id))
    header = read_header(io.BytesIO(data))
    assert (header.object_id, header.rows) == (object_id, 2)
    elsewhere = TableRef("other", "copy")
    world.service.load(elsewhere, io.BytesIO(data))
    assert world.rows(elsewhere) == world.rows(object_table(object_id))
    assert list(world.db.registry) == [object_id]
    # a fresh engine: loading into sg_meta under the id registers it
    fresh = make_world()
    fresh.service.load(object_table(object_id), io.BytesIO(data))
    assert fresh.db.registry[object_id].rows == 2
    assert fresh.db.registry[object_id].columns == world.db.registry[object_id].columns


def test_dump_of_a_plain_table_carries_its_content_id(world: World) -> None:
    world.table(T, [(2, "b"), (1, "a")])
    header = read_header(io.BytesIO(world.dump(T)))
    world.table(TableRef("public", "u"), [(1, "a"), (2, "b")])
    assert (
        read_header(io.BytesIO(world.dump(TableRef("public", "u")))).object_id == header.object_id
    )


def test_load_verifies_a_body_out_of_canonical_order(world: World) -> None:
    world.table(T, [(2, "b"), (1, "a")])  # physical order is not image order
    data = world.dump(T)
    world.service.load(TableRef("public", "copy"), io.BytesIO(data))
    assert world.rows(TableRef("public", "copy")) == world.rows(T)


def test_load_onto_an_existing_table_is_an_error(world: World) -> None:
    world.table(T, [(1, "a")])
    data = world.dump(T)
    with pytest.raises(DuplicateObjectError):
        world.service.load(T, io.BytesIO(data))
    assert world.rows(T) == [(1, "a")]


def _bad_streams(data: bytes, object_id: str) -> dict[str, tuple[bytes, type[SgError]]]:
    body_at = data.index(b"FAKEBODY")
    digit = data.index(b"1", body_at)
    tampered = data[:digit] + b"7" + data[digit + 1 :]
    return {
        "empty": (b"", CorruptDumpError),
        "garbage": (b"hello, this is not a dump at all" * 4, CorruptDumpError),
        "cut in header": (data[: body_at // 2], CorruptDumpError),
        "cut at body": (data[:body_at], CorruptDumpError),
        "cut in body": (data[: body_at + 14], CorruptDumpError),
        "no trailer": (data[:-4], CorruptDumpError),
        "tampered value": (tampered, ObjectIdMismatchError),
        "fewer rows claimed": (data.replace(b'"rows":2', b'"rows":1'), CorruptDumpError),
        "other id claimed": (
            data.replace(object_id.encode(), object_id[:-4].encode() + b"ffff"),
            ObjectIdMismatchError,
        ),
    }


@pytest.mark.parametrize(
    "case",
    ["empty", "garbage", "cut in header", "cut at body", "cut in body", "no trailer",
     "tampered value", "fewer rows claimed", "other id claimed"],
)  # fmt: skip
def test_bad_dumps_raise_and_leave_nothing(world: World, case: str) -> None:
    world.table(T, [(1, "a"), (2, "b")])
    object_id = world.service.snapshot(T)
    data, error = _bad_streams(world.dump(object_table(object_id)), object_id)[case]
    fresh = make_world()
    with pytest.raises(error):
        fresh.service.load(object_table(object_id), io.BytesIO(data))
    assert fresh.db.tables == {} and fresh.db.registry == {}


@pytest.mark.parametrize("cut", [0, 5, 13, 30])
def test_a_bad_header_is_refused_before_touching_the_database(world: World, cut: int) -> None:
    world.table(T, [(1, "a")])
    data = world.dump(T)
    before = world.db.operations
    with pytest.raises(CorruptDumpError):
        world.service.load(TableRef("public", "copy"), io.BytesIO(data[:cut]))
    assert world.db.operations == before
    assert world.tx.rollbacks == 0


def test_only_fragments_load_as_objects(world: World) -> None:
    world.table(T, [(1, "a")])
    data = world.dump(T)  # a plain table: no flag column
    object_id = read_header(io.BytesIO(data)).object_id
    before = world.db.operations
    with pytest.raises(CorruptDumpError, match="not a fragment"):
        world.service.load(object_table(object_id), io.BytesIO(data))
    assert world.db.operations == before
    world.service.load(TableRef("public", "copy"), io.BytesIO(data))
    assert world.db.tables[TableRef("public", "copy")].columns[0].is_pk  # key restored


def test_checkout_creates_the_missing_table_then_applies(world: World) -> None:
    world.table(T, [(1, "a"), (2, "b")])
    base = world.service.snapshot(T)
    world.db.tables[T].rows[:] = [(1, "a"), (3, "c")]
    patch = world.service.store_object(T, [(3,)], [(2,)])
    target = TableRef("public", "copy")
    assert world.service.checkout([base, patch], target) is True
    assert world.rows(target) == [(1, "a"), (3, "c")]
    assert [c.name for c in world.db.tables[target].columns] == ["id", "v"]
    assert world.service.checkout([patch], target) is False


def test_checkout_of_an_unknown_object_creates_nothing(world: World) -> None:
    world.table(T, [(1, "a")])
    base = world.service.snapshot(T)
    missing = ObjectId("o" + "0" * 62)
    with pytest.raises(ObjectNotFoundError, match=missing):
        world.service.checkout([base, missing], TableRef("public", "copy"))
    assert TableRef("public", "copy") not in world.db.tables
    with pytest.raises(ObjectNotFoundError):
        world.service.checkout([], TableRef("public", "copy"))


def test_describe_gives_the_registry_record(world: World) -> None:
    world.table(T, [(1, "a"), (2, "b")])
    base = world.service.snapshot(T)
    record = world.service.describe(base)
    assert (record.object_id, record.rows_upserted, record.rows_deleted) == (base, 2, 0)


@pytest.mark.parametrize(
    ("target", "stream", "error"),
    [
        (TableRef("public", "\ud800"), io.BytesIO(), InvalidIdentifierError),
        (TableRef("public", 7), io.BytesIO(), InvalidIdentifierError),  # type: ignore[arg-type]
        (TableRef("public", "copy"), "a path", InvalidStreamError),
        (TableRef("public", "copy"), io.StringIO("text"), InvalidStreamError),
    ],
)
def test_bad_arguments_are_refused_before_touching_the_database(
    world: World, target: TableRef, stream: Any, error: type[SgError]
) -> None:
    before = world.db.operations
    with pytest.raises(error):
        world.service.load(target, stream)
    assert world.db.operations == before


def test_the_codec_is_told_how_many_rows_the_header_promises(world: World) -> None:
    world.table(T, [(1, "a"), (2, "b")])
    data = world.dump(T).replace(b'"rows":2', b'"rows":1')
    with pytest.raises(CorruptDumpError, match="more rows than promised"):
        world.service.load(TableRef("public", "copy"), io.BytesIO(data))
    assert TableRef("public", "copy") not in world.db.tables


def test_a_flag_column_of_another_type_is_corrupt(world: World) -> None:
    world.table(T, [(1, "a")])
    stream = io.BytesIO(world.dump(T))
    header = read_header(stream)
    columns = (header.columns[0], header.columns[1]._replace(name="sg_ud_flag"))
    data = DumpHeader(header.object_id, columns, header.rows).encode() + stream.read()
    with pytest.raises(CorruptDumpError, match="is not boolean"):
        world.service.load(TableRef("public", "copy"), io.BytesIO(data))
