"""Checking objects out into a new table on another engine through the facade."""

from __future__ import annotations

from sg import ObjectNotFoundError, PostgresEngine, ResultShape
from sg.domain.model import TableRef
from tests.support.engines import EngineFactory


def test_checkout_into_a_new_schema_and_table(make_engine: EngineFactory) -> None:
    source = make_engine(PostgresEngine)
    source.initialize()
    source.run_sql("CREATE TABLE t (id int PRIMARY KEY, v text, n numeric(6, 2))")
    source.run_sql("INSERT INTO t SELECT g, 'v' || g, g / 4.0 FROM generate_series(1, 50) g")
    base = source.snapshot_table("public", "t")
    source.run_sql("UPDATE t SET v = 'changed' WHERE id < 5; DELETE FROM t WHERE id > 45")
    changed = [(key,) for key in range(1, 5)]
    gone = [(key,) for key in range(46, 51)]
    patch = str(source.objects.store_object(TableRef("public", "t"), changed, gone))
    source.commit()

    record = source.describe_object(patch)
    assert (record.rows_upserted, record.rows_deleted) == (4, 5)
    assert source.checkout_objects([base, patch], "new schema", "t copy") is True
    assert source.checkout_objects([patch], "new schema", "t copy") is False
    rows = "SELECT * FROM {} ORDER BY id"
    assert source.run_sql(rows.format('"new schema"."t copy"')) == source.run_sql(rows.format("t"))
    assert source.get_primary_keys("new schema", "t copy") == [("id", "integer")]


def test_checkout_of_a_missing_object_leaves_nothing(make_engine: EngineFactory) -> None:
    engine = make_engine(PostgresEngine)
    engine.initialize()
    try:
        engine.checkout_objects(["o" + "1" * 62], "fresh", "t")
    except ObjectNotFoundError as error:
        assert "o" + "1" * 62 in str(error)
    else:
        raise AssertionError("expected ObjectNotFoundError")
    found = engine.run_sql(
        "SELECT count(*) FROM pg_namespace WHERE nspname = 'fresh'",
        return_shape=ResultShape.ONE_ONE,
    )
    assert found == 0
