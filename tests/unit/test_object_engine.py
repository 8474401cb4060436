"""The `PostgresEngine` object methods, wired to in-memory fakes through the container."""

from __future__ import annotations

import io
from collections.abc import Iterator
from contextlib import ExitStack

import pytest
from dependency_injector import providers

from sg import PostgresEngine, container
from sg.domain.model import ColumnSpec, TableRef
from sg.ports.codec import ObjectCodec
from sg.ports.fragments import FragmentStore
from sg.ports.registry import ObjectRegistry
from sg.ports.sql import SqlRunner
from tests.fakes.capture import FakeSqlRunner
from tests.fakes.codec import FakeObjectCodec, FakeObjectRegistry
from tests.fakes.fragments import FakeDatabase, FakeFragmentStore

PARAMS = {
    "SG_ENGINE_HOST": "db.invalid",
    "SG_ENGINE_PORT": "5432",
    "SG_ENGINE_USER": "u",
    "SG_ENGINE_DB_NAME": "d",
}


@pytest.fixture
def db() -> Iterator[FakeDatabase]:
    shared = FakeDatabase()
    with ExitStack() as stack:
        stack.enter_context(
            container.sql_runner.override(providers.Factory[SqlRunner](FakeSqlRunner))
        )
        stack.enter_context(
            container.fragment_store.override(
                providers.Factory[FragmentStore](lambda runner: FakeFragmentStore(shared))
            )
        )
        stack.enter_context(
            container.object_registry.override(
                providers.Factory[ObjectRegistry](lambda runner: FakeObjectRegistry(shared))
            )
        )
        stack.enter_context(
            container.object_codec.override(
                providers.Factory[ObjectCodec](lambda runner: FakeObjectCodec(shared))
            )
        )
        yield shared


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
