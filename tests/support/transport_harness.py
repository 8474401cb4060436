"""The harness the transport contract runs against: the fake, the COPY pipe and postgres_fdw.

The shape of every contract harness here: a `Harness` Protocol, a `FakeHarness`, a
`PostgresHarness`, and a `harness` fixture over them.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any, Protocol

import pytest
from psycopg import sql
from psycopg.types.json import Jsonb

from sg import PostgresEngine, ResultShape
from sg.adapters.fdw.transport import FdwTransport
from sg.adapters.postgres.session.postgres_session import PostgresSession
from sg.adapters.postgres.transfer.copy_transport import CopyStreamTransport
from sg.adapters.provisioning.local_cluster import free_port
from sg.domain.engine_params import EngineParams
from sg.domain.model import ColumnSpec, TableRef
from sg.domain.object_id import ObjectId, object_table
from sg.domain.object_record import ContentDigest, ObjectRecord
from sg.ports.transport import ObjectTransport, TransferRoute
from tests.fakes.bundle import FakePorts
from tests.fakes.database import FakeDatabase, Row
from tests.fakes.fragments import FakeFragmentStore
from tests.fakes.transport import FakeTransport
from tests.support.engines import EngineFactory
from tests.support.servers import TestServer
from tests.support.transfers import fdw_leftovers

Column = tuple[str, str, bool]
# Names that need quoting, and values whose binary forms differ from their text.
COLUMNS: list[Column] = [
    ("id", "integer", True),
    ("fo'o", "text", False),
    ('ba"r', "numeric(12,2)", False),
    ("ü ts", "timestamp with time zone", False),
    ("doc", "jsonb", False),
    ("raw", "bytea", False),
    ("xs", "integer[]", False),
    ("f", "double precision", False),
]
START = datetime(2024, 2, 29, 23, 59, 59, 123456, tzinfo=UTC)
ROWS: list[Row] = [
    (1, "it's", Decimal("1.50"), START, {"a": [1, "x"]}, b"\x00\xff", [1, None, 3], 1.5),
    (2, None, None, None, None, None, None, None),
    (3, "ünï\tcode", Decimal("-0.01"), START, {"b": None}, b"", [], float("inf")),
    *[
        (i, f"row {i}", Decimal(i) / 100, START + timedelta(seconds=i), {"i": i}, bytes([i % 256]),
         [i], i / 7)
        for i in range(4, 300)
    ],
]  # fmt: skip


class Harness(Protocol):
    def make_object(self, name: str, rows: list[Row]) -> ObjectRecord: ...

    def make_large_object(self, rows: int) -> ObjectRecord: ...

    def prepare(self, record: ObjectRecord) -> TableRef: ...

    def transport(self) -> ObjectTransport: ...

    def unreachable_transport(self) -> ObjectTransport: ...

    def destination_rows(self, table: TableRef) -> list[Row]: ...

    def destination_digest(self, table: TableRef) -> ContentDigest: ...

    def commit_destination(self) -> None: ...

    def leftovers(self) -> list[str]: ...

    def begin_source_work(self) -> None: ...

    def source_work_survives(self) -> bool: ...


def specs() -> list[ColumnSpec]:
    return [ColumnSpec(i, n, t, k) for i, (n, t, k) in enumerate(COLUMNS, start=1)]


class FakeHarness:
    secret = "fake-secret"

    def __init__(self) -> None:
        self.source, self.destination = FakeDatabase(), FakeDatabase()

    def make_object(self, name: str, rows: list[Row]) -> ObjectRecord:
        table = TableRef("public", name)
        self.source.add_table(table, specs(), rows)
        return self.source.registry[FakePorts(self.source).object_service().snapshot(table)]

    def make_large_object(self, rows: int) -> ObjectRecord:
        return self.make_object("large", [(i, *[None] * (len(COLUMNS) - 1)) for i in range(rows)])

    def prepare(self, record: ObjectRecord) -> TableRef:
        table = object_table(record.object_id)
        FakeFragmentStore(self.destination).create_table(table, record.columns, with_key=False)
        return table

    def transport(self) -> ObjectTransport:
        return FakeTransport(self.source, self.destination, chunk_rows=50)

    def unreachable_transport(self) -> ObjectTransport:
        return FakeTransport(self.source, self.destination, unreachable=True)

    def destination_rows(self, table: TableRef) -> list[Row]:
        return sorted(self.destination.tables[table].rows, key=repr)

    def destination_digest(self, table: TableRef) -> ContentDigest:
        return FakeFragmentStore(self.destination).content_digest(table)

    def commit_destination(self) -> None:
        pass

    def leftovers(self) -> list[str]:
        return []

    def begin_source_work(self) -> None:
        pass

    def source_work_survives(self) -> bool:
        return True


class PostgresHarness:
    def __init__(self, kind: str, source: PostgresEngine, destination: PostgresEngine) -> None:
        self.kind = kind
        self.source, self.destination = source, destination
        self.secret = source.params.password or ""

    def route(self, source_params: EngineParams | None = None) -> TransferRoute:
        params = source_params or self.source.params
        runner = self.source._sql if source_params is None else PostgresSession(params, "gone")
        return TransferRoute(runner, params, self.destination._sql, self.destination.params)

    def make_object(self, name: str, rows: list[Row]) -> ObjectRecord:
        table = sql.Identifier("public", name)
        parts = [sql.SQL("{} {}").format(sql.Identifier(n), sql.SQL(t)) for n, t, _ in COLUMNS]
        self.source.run_sql(
            sql.SQL("CREATE TABLE {} ({}, PRIMARY KEY (id))").format(
                table, sql.SQL(", ").join(parts)
            )
        )
        if rows:
            insert = sql.SQL("INSERT INTO {} VALUES ({})").format(
                table, sql.SQL(", ").join(sql.Placeholder() * len(COLUMNS))
            )
            adapted = [tuple(Jsonb(v) if isinstance(v, dict) else v for v in r) for r in rows]
            self.source.run_sql_batch(insert, adapted)
        object_id = ObjectId(self.source.snapshot_table("public", name))
        self.source.commit()
        record = self.source.objects._registry.get(object_id)
        assert record is not None
        return record

    def make_large_object(self, rows: int) -> ObjectRecord:
        self.make_object("large", [])
        self.source.run_sql(
            "INSERT INTO public.large (id, \"fo'o\") SELECT g, repeat('x', 100) || g"
            " FROM generate_series(1, %s) AS g",
            [rows],
        )
        object_id = ObjectId(self.source.snapshot_table("public", "large"))
        self.source.commit()
        record = self.source.objects._registry.get(object_id)
        assert record is not None
        return record

    def prepare(self, record: ObjectRecord) -> TableRef:
        table = object_table(record.object_id)
        self.destination.objects._store.create_table(table, record.columns, with_key=False)
        return table

    def transport(self) -> ObjectTransport:
        if self.kind == "copy":
            return CopyStreamTransport(self.route(), chunk_bytes=512)
        return FdwTransport(self.route())

    def unreachable_transport(self) -> ObjectTransport:
        closed = free_port()
        if self.kind == "copy":
            return CopyStreamTransport(self.route(_replace(self.source.params, port=closed)))
        return FdwTransport(self.route(_replace(self.source.params, fdw_port=closed)))

    def destination_rows(self, table: TableRef) -> list[Row]:
        found = self.destination.run_sql(sql.SQL("SELECT * FROM {}").format(sql.Identifier(*table)))
        return sorted((tuple(r[:-1]) for r in found), key=repr)

    def destination_digest(self, table: TableRef) -> ContentDigest:
        return self.destination.objects._store.content_digest(table)

    def commit_destination(self) -> None:
        self.destination.commit()

    def leftovers(self) -> list[str]:
        return fdw_leftovers(self.destination) + fdw_leftovers(self.source)

    def begin_source_work(self) -> None:
        self.source.run_sql("CREATE TABLE public.pending (n integer)")
        self.source.run_sql("INSERT INTO public.pending VALUES (42)")

    def source_work_survives(self) -> bool:
        found = self.source.run_sql(
            "SELECT n FROM public.pending", return_shape=ResultShape.ONE_ONE
        )
        return bool(found == 42)


def _replace(params: EngineParams, **changes: Any) -> EngineParams:
    from dataclasses import replace

    return replace(params, **changes)


@pytest.fixture(params=["fake", "copy", "fdw"])
def harness(
    request: pytest.FixtureRequest, make_engine: EngineFactory, remote_server: TestServer
) -> Iterator[Harness]:
    if request.param == "fake":
        yield FakeHarness()
        return
    source = make_engine(PostgresEngine, on=remote_server)
    destination = make_engine(PostgresEngine)
    for engine in (source, destination):
        engine.initialize()
    yield PostgresHarness(request.param, source, destination)
