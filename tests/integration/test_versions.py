"""Versions of schemas on PostgreSQL: commit, log, tags, checkout, diff, gc and sync."""

from __future__ import annotations

from typing import Any

import pytest

from sg import (
    ChangeKind,
    PendingChangesError,
    PostgresEngine,
    ResultShape,
    SgError,
    VersionedSchema,
)
from sg.domain.model import TableRef
from sg.domain.object_id import ObjectId
from sg.domain.versions import History, TableCounts, TableShape, Version, derive_version_id
from tests.support.engines import EngineFactory
from tests.support.servers import TestServer

SETUP = """
CREATE SCHEMA shop;
CREATE TABLE shop.items (
    id integer PRIMARY KEY,
    name text NOT NULL DEFAULT 'unnamed',
    price numeric(10, 2),
    tags text[]
);
CREATE INDEX items_name ON shop.items (name);
CREATE UNIQUE INDEX items_lower ON shop.items (lower(name), id) WHERE price > 0;
CREATE TABLE shop.log (who text, what integer);
INSERT INTO shop.items SELECT g, 'item ' || g, g * 1.5, ARRAY['a'] FROM generate_series(1, 50) g;
INSERT INTO shop.log VALUES ('x', 1), ('x', 1), ('y', NULL);
"""


def rows(engine: PostgresEngine, schema: str, table: str) -> list[tuple[Any, ...]]:
    query = f'SELECT * FROM "{schema}"."{table}" ORDER BY 1, 2'
    return list(engine.run_sql(query, return_shape=ResultShape.MANY_MANY))


def shape(engine: PostgresEngine, schema: str, table: str) -> TableShape:
    return engine._graph.table_shapes().describe(TableRef(schema, table))


def copy_of(engine: PostgresEngine, schema: str) -> dict[str, Any]:
    tables = engine._graph.table_shapes().tables(schema)
    return {t: (rows(engine, schema, t), shape(engine, schema, t)) for t in tables}


@pytest.fixture
def local(make_engine: EngineFactory) -> PostgresEngine:
    engine = make_engine(PostgresEngine)
    engine.initialize()
    engine.run_sql(SETUP, return_shape=ResultShape.NONE)
    engine.commit()
    return engine


@pytest.fixture
def remote(make_engine: EngineFactory, remote_server: TestServer) -> PostgresEngine:
    engine = make_engine(PostgresEngine, on=remote_server)
    engine.initialize()
    engine.commit()
    return engine


def test_versions_record_and_rebuild_tables_with_their_shape(local: PostgresEngine) -> None:
    shop = VersionedSchema(local, "shop")
    first = shop.init("start", author="ann")
    local.commit()
    at_first = copy_of(local, "shop")
    local.run_sql(
        "UPDATE shop.items SET price = 0 WHERE id <= 5; DELETE FROM shop.items WHERE id = 50;"
        " INSERT INTO shop.log VALUES ('x', 1); CREATE TABLE shop.extra (k int PRIMARY KEY);"
        " INSERT INTO shop.extra VALUES (1)",
        return_shape=ResultShape.NONE,
    )
    second = shop.commit("edit")
    local.commit()
    assert second is not None and second.parent == first.version_id
    items = second.table("items")
    assert items is not None and items.counts == TableCounts(0, 1, 5)
    assert len(items.chain) == 2
    assert [v.version_id for v in shop.log()] == [second.version_id, first.version_id]
    assert [v.version_id for v in shop.log("extra")] == [second.version_id]
    assert shop.commit("nothing") is None

    shop.checkout(first.version_id[:7], into="old")
    assert copy_of(local, "old") == at_first
    assert shape(local, "old", "items").columns[1].default == "'unnamed'::text"
    assert [i.name for i in shape(local, "old", "items").indexes] == ["items_lower", "items_name"]


def test_checkout_in_place_refuses_pending_changes_unless_forced(local: PostgresEngine) -> None:
    shop = VersionedSchema(local, "shop")
    first = shop.init()
    local.commit()
    before = copy_of(local, "shop")
    local.run_sql("DELETE FROM shop.items WHERE id > 10", return_shape=ResultShape.NONE)
    shop.commit("shrink")
    local.run_sql("INSERT INTO shop.log VALUES ('late', 2)", return_shape=ResultShape.NONE)
    local.commit()
    with pytest.raises(PendingChangesError):
        shop.checkout(first.version_id)
    shop.checkout(first.version_id, force=True)
    local.commit()
    assert copy_of(local, "shop") == before
    assert not local.has_pending_changes("shop")
    local.run_sql("UPDATE shop.items SET name = 'n' WHERE id = 1", return_shape=ResultShape.NONE)
    assert local.get_changed_tables("shop") == ["items"]


def test_diff_tags_storage_and_gc(local: PostgresEngine) -> None:
    shop = VersionedSchema(local, "shop")
    first = shop.init()
    local.run_sql(
        "UPDATE shop.items SET price = 7 WHERE id = 3; DELETE FROM shop.items WHERE id = 1;"
        " INSERT INTO shop.items (id) VALUES (99)",
        return_shape=ResultShape.NONE,
    )
    second = shop.commit("edit")
    assert second is not None
    shop.tag(first.version_id, "v1")
    assert shop.show("v1") == first
    diffs = {d.table: d for d in shop.diff("v1", "latest")}
    assert diffs["log"].status == "unchanged"
    assert [(c.primary_key, c.change_type) for c in diffs["items"].changes] == [
        ((1,), ChangeKind.DELETE),
        ((3,), ChangeKind.UPDATE),
        ((99,), ChangeKind.INSERT),
    ]
    assert diffs["items"].changes[1].change_data == {"price": 7}
    local.run_sql("INSERT INTO shop.log VALUES ('z', 3)", return_shape=ResultShape.NONE)
    live = {d.table: d for d in shop.diff("latest")}
    assert live["items"].status == "unchanged" and live["log"].counts == TableCounts(1, 0, 0)
    storage = shop.storage()
    assert storage[0].total_bytes > storage[0].own_bytes > 0
    stray = local.snapshot_table("shop", "log")
    result = shop.gc()
    assert result.removed == [stray] and result.freed_bytes > 0
    assert set(local.list_objects()) == first.objects() | second.objects()
    local.commit()


@pytest.mark.parametrize("transport", ["copy", "fdw"])
def test_history_moves_between_engines_and_repeats_after_interruption(
    local: PostgresEngine,
    remote: PostgresEngine,
    transport: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("SG_TRANSPORT", transport)
    shop = VersionedSchema(local, "shop")
    shop.init()
    local.run_sql("DELETE FROM shop.items WHERE id > 40", return_shape=ResultShape.NONE)
    shop.commit("shrink")
    shop.tag("latest", "release")
    local.commit()
    expected = copy_of(local, "shop")

    original = remote.versions.receive

    def interrupted(*args: Any) -> Any:
        raise ConnectionError("network gone")

    monkeypatch.setattr(remote.versions, "receive", interrupted)
    with pytest.raises(ConnectionError):
        shop.push(remote)
    remote.rollback()
    mirror = VersionedSchema(remote, "shop")
    assert mirror.log() == []
    monkeypatch.setattr(remote.versions, "receive", original)
    pushed = shop.push(remote)
    assert pushed == [v.version_id for v in reversed(shop.log())]
    assert shop.push(remote) == []
    assert [v.version_id for v in mirror.log()] == [v.version_id for v in shop.log()]
    mirror.checkout("release", into="shop")
    assert copy_of(remote, "shop") == expected

    back = VersionedSchema.clone(local, "copy", remote, "shop")
    assert copy_of(local, "copy") == expected
    assert back.show("release").version_id == shop.show("latest").version_id


def test_shapes_received_from_another_engine_cannot_smuggle_statements(
    local: PostgresEngine,
) -> None:
    shop = VersionedSchema(local, "shop")
    version = shop.init()
    items = version.table("items")
    assert items is not None
    column = items.shape.columns[1]
    evil_column = column._replace(default="'x'; DROP TABLE shop.log; SELECT 'y'")
    evil_shape = items.shape._replace(columns=(items.shape.columns[0], evil_column))
    evil_table = items._replace(shape=evil_shape)
    tables = tuple(t if t.name != "items" else evil_table for t in version.tables)
    when = version.created_at
    evil_id = derive_version_id("shop", None, when, "mallory", "evil", tables)
    evil = Version(evil_id, "shop", None, when, "mallory", "evil", tables)
    local.versions.receive("shop", History([evil], []))
    with pytest.raises(SgError):
        shop.checkout(evil_id, into="victim")
    local.rollback()
    assert local.table_exists("shop", "log")


def test_storage_history_and_garbage_agree_with_the_registry(local: PostgresEngine) -> None:
    shop = VersionedSchema(local, "shop")
    first = shop.init()
    local.run_sql("UPDATE shop.items SET price = 1 WHERE id < 4", return_shape=ResultShape.NONE)
    second = shop.commit("reprice")
    local.run_sql("INSERT INTO shop.log VALUES ('q', 9)", return_shape=ResultShape.NONE)
    third = shop.commit("log")
    assert second is not None and third is not None
    sizes = dict(
        local.run_sql(
            "SELECT object_id, size_bytes FROM sg_meta.objects", return_shape=ResultShape.MANY_MANY
        )
    )
    storage = {s.version_id: s for s in shop.storage()}
    assert [s.version_id for s in shop.storage()] == [v.version_id for v in shop.log()]
    for version, earlier in ((first, set()), (second, first.objects()), (third, second.objects())):
        found = storage[version.version_id]
        assert found.total_bytes == sum(sizes[o] for o in version.objects())
        assert found.own_bytes == sum(sizes[o] for o in version.objects() - earlier)
    every = first.objects() | second.objects() | third.objects()
    assert shop.history_bytes() == sum(sizes[o] for o in every)
    # The log's patch was compacted into a fresh base (it held more rows than 0.4 of the
    # table's): the patch object stays registered, needed by no version, until gc.
    assert len(third.table("log").chain) == 1  # type: ignore[union-attr]
    stray = ObjectId(local.snapshot_table("shop", "items"))  # not part of any version
    predicted = shop.garbage()
    assert set(predicted) == set(sizes) - every | {stray} and len(predicted) == 2
    assert shop.gc().freed_bytes == sum(predicted.values()) > 0
    assert shop.garbage() == {} and shop.history_bytes() == sum(sizes[o] for o in every)
    local.commit()
