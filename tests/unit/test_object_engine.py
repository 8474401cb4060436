"""The `PostgresEngine` object methods, wired to in-memory fakes through the container."""

from __future__ import annotations

import io
from collections.abc import Iterator

import pytest

from sg import PostgresEngine
from sg.domain.model import ColumnSpec, TableRef
from tests.fakes.bundle import FakePorts
from tests.fakes.database import FakeDatabase

PARAMS = {
    "SG_ENGINE_HOST": "db.invalid",
    "SG_ENGINE_PORT": "5432",
    "SG_ENGINE_USER": "u",
    "SG_ENGINE_DB_NAME": "d",
}


@pytest.fixture
def db() -> Iterator[FakeDatabase]:
    with FakePorts().installed() as fakes:
        yield fakes.db


def test_facade_methods_reach_the_service(db: FakeDatabase) -> None:
    columns = [ColumnSpec(1, "id", "integer", True), ColumnSpec(2, "v", "text", False)]
    db.add_table(TableRef("public", "t"), columns, [(1, "a"), (2, "b")])
    db.add_table(TableRef("public", "t2"), columns, [])
    engine = PostgresEngine(PARAMS, "unit")
    object_id = engine.snapshot_table("public", "t")
    assert engine.list_objects() == [object_id]
    engine.store_fragment([(2,)], [(3,)], "public", "frag", "public", "t")
    engine.apply_fragments([("sg_meta", object_id), ("public", "frag")], "public", "t2")
    assert sorted(db.tables[TableRef("public", "t2")].rows) == [(1, "a"), (2, "b")]
    dump = io.BytesIO()
    engine.dump_object("sg_meta", object_id, dump)
    engine.load_object("public", "copy", io.BytesIO(dump.getvalue()))
    assert sorted(db.tables[TableRef("public", "copy")].rows) == [(1, "a", True), (2, "b", True)]
