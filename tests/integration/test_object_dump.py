"""Dumping and loading objects: round trips, plain COPY bodies, and every way to be corrupt."""

from __future__ import annotations

import io
from collections.abc import Callable, Iterator
from typing import Any, ClassVar

import psycopg
import pytest
from dependency_injector import providers
from psycopg import sql

from sg import (
    CorruptDumpError,
    DuplicateObjectError,
    ObjectIdMismatchError,
    PostgresEngine,
    ResultShape,
    SgError,
    container,
)
from sg.adapters.postgres.objects.copy_codec import CHUNK_BYTES
from sg.adapters.postgres.objects.fragments import PostgresFragmentStore
from sg.domain.dump_header import DumpHeader, read_header
from sg.domain.model import ColumnSpec, TableRef
from sg.domain.object_record import ContentDigest
from sg.ports.fragments import FragmentStore
from tests.support.engines import EngineFactory
from tests.support.objects import count, differences, ready
from tests.support.servers import TestServer

ROWS = 2000


class CountingStore(PostgresFragmentStore):
    """Counts server-side digests: a load proven from the stream needs none."""

    digests: ClassVar[list[TableRef]] = []

    def content_digest(self, table: TableRef) -> ContentDigest:
        CountingStore.digests.append(table)
        return super().content_digest(table)


@pytest.fixture
def counting() -> Iterator[list[TableRef]]:
    """Count digests of the engines built after it (each engine copies the container)."""
    CountingStore.digests = []
    with container.fragment_store.override(
        providers.Singleton[FragmentStore](CountingStore, container.sql_runner)
    ):
        yield CountingStore.digests


@pytest.fixture
def here(make_engine: EngineFactory) -> PostgresEngine:
    engine = ready(make_engine(PostgresEngine))
    engine.run_sql("CREATE TABLE t (id int PRIMARY KEY, v text, n numeric)")
    engine.run_sql(
        f"INSERT INTO t SELECT g, 'value ' || g, g / 3.0 FROM generate_series({ROWS}, 1, -1) g"
    )
    engine.commit()
    return engine


@pytest.fixture
def there(make_engine: EngineFactory, remote_server: TestServer) -> PostgresEngine:
    return ready(make_engine(PostgresEngine, on=remote_server))


def _dump(engine: PostgresEngine, schema: str, table: str) -> bytes:
    stream = io.BytesIO()
    engine.dump_object(schema, table, stream)
    return stream.getvalue()


def test_object_round_trip_between_servers(
    counting: list[TableRef], here: PostgresEngine, there: PostgresEngine
) -> None:
    object_id = here.snapshot_table("public", "t")
    data = _dump(here, "sg_meta", object_id)
    counting.clear()
    there.load_object("sg_meta", object_id, io.BytesIO(data))
    assert counting == []  # verified from the stream: no server-side digest needed
    assert there.list_objects() == [object_id]
    there.commit()
    original = here.objects.list_objects()
    assert original == there.objects.list_objects()
    there.run_sql("CREATE SCHEMA copies")
    there.load_object("copies", "again", io.BytesIO(_dump(there, "sg_meta", object_id)))
    assert there.list_objects() == [object_id]  # only sg_meta/<id> registers
    assert count(there, TableRef("copies", "again")) == ROWS
    assert differences(there, TableRef("copies", "again"), TableRef("sg_meta", object_id)) == 0


# Keys whose order the fill takes for image order, and tables where the image decides.
ORDERED_KEYS = {
    "smallint": ("k smallint PRIMARY KEY, v text", "(g * (1 - 2 * (g % 2)))::smallint, 'v' || g"),
    "integer": ("k integer PRIMARY KEY, v text", "(g - 500) * 4000000, 'v' || g"),
    "bigint": ("k bigint PRIMARY KEY, v text", "(g - 500) * 9000000000000000, 'v' || g"),
    "bigint, none negative": ("k bigint PRIMARY KEY, v text", "(1001 - g) * 1000, 'v' || g"),
    "uuid": ("k uuid PRIMARY KEY, v text", "md5(g::text)::uuid, 'v' || g"),
    "key not first": ("v text, k bigint PRIMARY KEY", "'v' || g, g - 500"),
    "two key columns": ("k bigint, v text, PRIMARY KEY (k, v)", "g - 500, 'v' || g"),
}


@pytest.mark.parametrize("case", sorted(ORDERED_KEYS))
def test_objects_stream_in_canonical_order(
    counting: list[TableRef], here: PostgresEngine, there: PostgresEngine, case: str
) -> None:
    columns, values = ORDERED_KEYS[case]
    here.run_sql(f"CREATE TABLE k ({columns})")
    here.run_sql(f"INSERT INTO k SELECT {values} FROM generate_series(1, 1000) g")
    snapshot = here.snapshot_table("public", "k")
    here.track_tables([("public", "k")])
    here.run_sql("UPDATE k SET v = v || '!' WHERE length(v) < 4")
    here.run_sql("DELETE FROM k WHERE length(v) = 4 AND v LIKE '%7'")
    here.commit()
    patch = here.commit_changes("public", "k")
    here.commit()
    assert patch is not None
    for object_id in [snapshot, patch]:
        data = _dump(here, "sg_meta", object_id)
        counting.clear()
        there.load_object("sg_meta", object_id, io.BytesIO(data))
        assert counting == [], object_id  # proven from the stream: its rows came in order
    there.commit()


# Tables whose primary key can hold a value twice: the fill must order them by image.
REPEATED_KEYS = {
    "an inheriting table": [
        "CREATE TABLE k (k bigint PRIMARY KEY, v text)",
        "CREATE TABLE k_child () INHERITS (k)",
        "INSERT INTO k SELECT g - 500, 'v' || g FROM generate_series(1, 1000) g",
        "INSERT INTO k_child SELECT g - 500, 'w' || (1000 - g) FROM generate_series(1, 1000) g",
    ],
    "a deferred key": [
        "CREATE TABLE k (k bigint PRIMARY KEY DEFERRABLE INITIALLY DEFERRED, v text)",
        "INSERT INTO k SELECT g - 500, 'v' || g FROM generate_series(1, 1000) g",
        "INSERT INTO k SELECT g - 500, 'w' || (1000 - g) FROM generate_series(1, 1000) g",
    ],
}


@pytest.mark.parametrize("case", sorted(REPEATED_KEYS))
def test_objects_of_repeated_keys_stream_in_canonical_order(
    counting: list[TableRef], here: PostgresEngine, there: PostgresEngine, case: str
) -> None:
    for statement in REPEATED_KEYS[case]:
        here.run_sql(statement)
    snapshot = here.snapshot_table("public", "k")
    assert count(here, TableRef("sg_meta", snapshot)) == 2000
    data = _dump(here, "sg_meta", snapshot)
    counting.clear()
    there.load_object("sg_meta", snapshot, io.BytesIO(data))
    assert counting == []  # proven from the stream: its rows came in order
    there.commit()
    here.rollback()  # the deferred key would refuse the duplicates at commit


def test_plain_table_dump_is_verified_against_the_database(
    counting: list[TableRef], here: PostgresEngine, there: PostgresEngine
) -> None:
    data = _dump(here, "public", "t")  # rows lie in descending order: not canonical
    header = read_header(io.BytesIO(data))
    assert header.rows == ROWS and [c.is_pk for c in header.columns] == [True, False, False]
    counting.clear()
    there.load_object("public", "t", io.BytesIO(data))
    assert counting == [TableRef("public", "t")]
    assert there.list_objects() == []
    assert there.snapshot_table("public", "t") == here.snapshot_table("public", "t")


def test_the_body_is_plain_binary_copy(here: PostgresEngine) -> None:
    object_id = here.snapshot_table("public", "t")
    stream = io.BytesIO(_dump(here, "sg_meta", object_id))
    header = read_header(stream)
    here.run_sql("CREATE TABLE plain (id int, v text, n numeric, flag boolean)")
    here.commit()
    conn: psycopg.Connection[Any] = here.connection
    with conn.cursor() as cursor, cursor.copy("COPY plain FROM STDIN (FORMAT binary)") as copy:
        while chunk := stream.read(65536):
            copy.write(chunk)
    assert count(here, TableRef("public", "plain")) == header.rows == ROWS


class MeasuredStream(io.BytesIO):
    """Records the size of every single read and write."""

    def __init__(self, data: bytes = b"") -> None:
        super().__init__(data)
        self.sizes: list[int] = []

    def write(self, data: Any) -> int:
        self.sizes.append(len(data))
        return super().write(data)

    def read(self, size: int | None = -1) -> bytes:
        data = super().read(size)
        self.sizes.append(len(data))
        return data


def test_dump_and_load_move_bounded_chunks(here: PostgresEngine, there: PostgresEngine) -> None:
    here.run_sql("INSERT INTO t SELECT g, repeat('x', 200), g FROM generate_series(3001, 15000) g")
    object_id = here.snapshot_table("public", "t")
    out = MeasuredStream()
    here.dump_object("sg_meta", object_id, out)
    assert len(out.getvalue()) > 2 * CHUNK_BYTES
    assert max(out.sizes) < CHUNK_BYTES + 4096 and len(out.sizes) >= 3
    back = MeasuredStream(out.getvalue())
    there.load_object("sg_meta", object_id, back)
    assert max(back.sizes) <= CHUNK_BYTES


Mutation = Callable[[bytes, DumpHeader], bytes]


def _body_at(data: bytes) -> int:
    return data.index(b"PGCOPY\n\xff\r\n\x00")


def _reheader(header: DumpHeader, **changes: Any) -> bytes:
    fields = {"object_id": header.object_id, "columns": header.columns, "rows": header.rows}
    return DumpHeader(**{**fields, **changes}).encode()


def _retype(header: DumpHeader, new_type: str) -> tuple[ColumnSpec, ...]:
    return (header.columns[0]._replace(type=new_type), *header.columns[1:])


MUTATIONS: dict[str, tuple[Mutation, type[SgError]]] = {
    "empty": (lambda d, h: b"", CorruptDumpError),
    "garbage": (lambda d, h: b"\x00garbage\xff" * 50, CorruptDumpError),
    "cut in header": (lambda d, h: d[:20], CorruptDumpError),
    "cut before body": (lambda d, h: d[: _body_at(d)], CorruptDumpError),
    "cut in copy header": (lambda d, h: d[: _body_at(d) + 7], CorruptDumpError),
    "cut in body": (lambda d, h: d[: len(d) // 2], CorruptDumpError),
    "cut at the trailer": (lambda d, h: d[:-2], CorruptDumpError),
    "data after trailer": (lambda d, h: d + b"\x00\x01", CorruptDumpError),
    "tampered value": (lambda d, h: d.replace(b"value 1234", b"value 1294"), ObjectIdMismatchError),
    "tampered length": (
        lambda d, h: d.replace(b"\x00\x00\x00\x0avalue 1234", b"\x00\x00\x70\x0avalue 1234"),
        CorruptDumpError,
    ),
    "fewer rows claimed": (
        lambda d, h: _reheader(h, rows=h.rows - 1) + d[_body_at(d) :],
        CorruptDumpError,
    ),
    "other id claimed": (
        lambda d, h: _reheader(h, object_id="o" + "e" * 62) + d[_body_at(d) :],
        ObjectIdMismatchError,
    ),
    "other type claimed": (
        lambda d, h: _reheader(h, columns=_retype(h, "bigint")) + d[_body_at(d) :],
        CorruptDumpError,
    ),
    "sql in a type": (
        lambda d, h: _reheader(h, columns=_retype(h, "int); DROP TABLE t; --")) + d[_body_at(d) :],
        CorruptDumpError,
    ),
}


@pytest.mark.parametrize("case", sorted(MUTATIONS))
def test_bad_dumps_raise_typed_errors_and_leave_nothing(
    here: PostgresEngine, there: PostgresEngine, case: str
) -> None:
    object_id = here.snapshot_table("public", "t")
    data = _dump(here, "sg_meta", object_id)
    mutate, error = MUTATIONS[case]
    bad = mutate(data, read_header(io.BytesIO(data)))
    assert bad != data
    there.run_sql("CREATE TABLE mine (a int)")  # the caller's own uncommitted work
    for schema, table in [("sg_meta", object_id), ("public", "copy")]:
        with pytest.raises(error):
            there.load_object(schema, table, io.BytesIO(bad))
        assert there.table_exists(schema, table) is False
    assert there.list_objects() == []
    assert there.table_exists("public", "mine")  # the transaction goes on
    assert (
        there.run_sql("SELECT count(*) FROM sg_meta.objects", return_shape=ResultShape.ONE_ONE) == 0
    )


def test_loading_onto_an_existing_table_is_an_error(here: PostgresEngine) -> None:
    data = _dump(here, "public", "t")
    with pytest.raises(DuplicateObjectError):
        here.load_object("public", "t", io.BytesIO(data))
    assert count(here, TableRef("public", "t")) == ROWS
    here.run_sql(sql.SQL("SELECT 1"))
