"""Object ids hash canonical values: one id per content, however the values were produced."""

from __future__ import annotations

import io
import itertools

import pytest

from sg import PostgresEngine
from tests.support.engines import EngineFactory
from tests.support.objects import ready
from tests.support.servers import TestServer

_names = itertools.count()

# Same content, produced two ways: the ids must agree.
SAME = {
    "array without NULLs but with a null bitmap": (
        "text[]",
        "(ARRAY['x', NULL])[1:1]",
        "ARRAY['x']",
    ),
    "nested array slice with a null bitmap": (
        "int[]",
        "(ARRAY[[1, 2], [NULL, 4]])[1:1]",
        "'{{1,2}}'::int[]",
    ),
    "float8 NaN with the sign bit set": (
        "float8",
        "-'NaN'::float8",
        "'NaN'::float8",
    ),
    "float8 NaN from infinity minus infinity": (
        "float8",
        "'Infinity'::float8 - 'Infinity'::float8",
        "'NaN'::float8",
    ),
    "float4 NaN with the sign bit set": ("float4", "-'NaN'::float4", "'NaN'::float4"),
    "NaN inside an array": ("float8[]", "ARRAY[-'NaN'::float8, 1]", "'{NaN,1}'::float8[]"),
    "NaN inside a point": ("point", "point(-'NaN'::float8, 1)", "point('NaN', 1)"),
    "jsonb key order and spacing": ("jsonb", """'{"b": 1,  "a": [2]}'""", """'{"a":[2],"b":1}'"""),
    "discrete range bounds": ("int4range", "'[1,5]'", "'[1,6)'"),
    "empty ranges": ("numrange", "'[5,5)'", "'empty'"),
    "tsvector lexeme order": ("tsvector", "'b a a'", "'a b'"),
    "a collation is not content": ("text", "'x' COLLATE \"C\"", "'x'"),
}

# Distinct content that PostgreSQL may still call equal: the ids must differ.
DIFFERENT = {
    "numeric scale": ("numeric", "1.0", "1.00"),
    "negative zero float": ("float8", "'-0'", "'0'"),
    "negative zero in an array": ("float8[]", "'{-0}'", "'{0}'"),
    "array lower bounds": ("int[]", "'[2:3]={1,2}'", "'{1,2}'"),
    "jsonb number scale": ("jsonb", "'1.0'", "'1.00'"),
    "time zone of a timetz": ("timetz", "'12:00+01'", "'11:00+00'"),
    "interval units": ("interval", "'1 day'", "'24 hours'"),
    "trailing spaces of a varchar": ("varchar", "'a '", "'a'"),
}


def _object_of(engine: PostgresEngine, column_type: str, value: str) -> str:
    """The id of a one-row table `(id int PRIMARY KEY, v <column_type>)` holding `value`."""
    table = f"t{next(_names)}"
    engine.run_sql(f"CREATE TABLE {table} (id int PRIMARY KEY, v {column_type})")
    engine.run_sql(f"INSERT INTO {table} VALUES (1, {value})")
    return engine.snapshot_table("public", table)


@pytest.fixture
def engine(make_engine: EngineFactory) -> PostgresEngine:
    return ready(make_engine(PostgresEngine))


@pytest.mark.parametrize("case", sorted(SAME))
def test_same_content_made_differently_has_one_id(engine: PostgresEngine, case: str) -> None:
    column_type, made_one_way, made_another = SAME[case]
    assert _object_of(engine, column_type, made_one_way) == _object_of(
        engine, column_type, made_another
    )


@pytest.mark.parametrize("case", sorted(DIFFERENT))
def test_distinct_content_has_distinct_ids(engine: PostgresEngine, case: str) -> None:
    column_type, one, other = DIFFERENT[case]
    assert _object_of(engine, column_type, one) != _object_of(engine, column_type, other)


@pytest.mark.parametrize("every_type", [True, False])
def test_ids_computed_while_writing_are_the_ids_loads_prove(
    engine: PostgresEngine, every_type: bool
) -> None:
    # A snapshot computes its id while writing its rows; a load proves the id again, from
    # the COPY stream (plain types) or from the loaded table (values the stream does not
    # carry canonically). Bodies span several digest blocks, so images cross boundaries.
    cases = sorted({**SAME, **DIFFERENT}) if every_type else []
    columns = "".join(f", v{n} {({**SAME, **DIFFERENT})[c][0]}" for n, c in enumerate(cases))
    values = "".join(f", {({**SAME, **DIFFERENT})[c][1]}" for c in cases)
    engine.run_sql(f"CREATE TABLE t (id int PRIMARY KEY, pad text{columns})")
    engine.run_sql(f"INSERT INTO t SELECT g, repeat(md5(g::text), g % 80){values}"
                   " FROM generate_series(1, 3000) g")  # fmt: skip
    engine.run_sql("INSERT INTO t (id) VALUES (0)")
    object_id = engine.snapshot_table("public", "t")
    body = _dump(engine, object_id)
    assert len(body) > 2 * (1 << 20)
    engine.run_sql("CREATE SCHEMA again")
    engine.load_object("again", "t", io.BytesIO(body))  # raises unless the id is proved


def _dump(engine: PostgresEngine, object_id: str) -> bytes:
    stream = io.BytesIO()
    engine.dump_object("sg_meta", object_id, stream)
    return stream.getvalue()


NON_CANONICAL_ROWS = [
    "(1, (ARRAY['x', NULL])[1:1], -'NaN'::float8)",
    "(2, (ARRAY[NULL, 'y', 'z'])[2:3], 'Infinity'::float8 - 'Infinity'::float8)",
    "(3, ARRAY['w', NULL], 1.5)",
    "(4, NULL, NULL)",
]


@pytest.mark.parametrize(
    "setting", ["array_nulls = off", "xmloption = document", "extra_float_digits = -15"]
)
def test_settings_that_change_text_forms_do_not_change_ids(
    engine: PostgresEngine, setting: str
) -> None:
    engine.run_sql("CREATE TABLE t (id int PRIMARY KEY, a int[], s text[], x xml[], f float8[])")
    engine.run_sql(
        "INSERT INTO t VALUES (1, '{1,NULL}', '{NULL,\"NULL\"}', ARRAY['<a/>b'::xml], '{0.1}')"
    )
    expected = engine.snapshot_table("public", "t")
    engine.run_sql("CREATE TABLE u (LIKE t INCLUDING ALL)")
    engine.run_sql("INSERT INTO u TABLE t")
    engine.run_sql(f"SET {setting}")
    assert engine.snapshot_table("public", "u") == expected


@pytest.mark.parametrize("route", ["upload", "download"])
def test_an_object_loaded_elsewhere_travels_back_verified(
    make_engine: EngineFactory, remote_server: TestServer, route: str
) -> None:
    origin = ready(make_engine(PostgresEngine))
    middle = ready(make_engine(PostgresEngine, on=remote_server))
    back = ready(make_engine(PostgresEngine))  # on origin's server, without the object
    origin.run_sql("CREATE TABLE t (id int PRIMARY KEY, tags text[], x float8)")
    origin.run_sql(f"INSERT INTO t VALUES {', '.join(NON_CANONICAL_ROWS)}")
    object_id = origin.snapshot_table("public", "t")
    origin.commit()

    middle.load_object("sg_meta", object_id, io.BytesIO(_dump(origin, object_id)))
    middle.commit()
    if route == "upload":
        assert middle.upload_objects([object_id], back) == [object_id]
    else:
        assert back.download_objects([object_id], middle) == [object_id]
    assert back.list_objects() == [object_id]
    # and its dump loads on the first server again, verified against the same id
    back.run_sql("CREATE SCHEMA again")
    back.load_object("again", "t", io.BytesIO(_dump(middle, object_id)))
    back.checkout_objects([object_id], "public", "rebuilt")
    assert back.snapshot_table("public", "rebuilt") == object_id
