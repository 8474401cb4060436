"""Properties of object ids over random rows: one id per content, wherever and however made.

Random rows go into a table on two servers, in different orders, produced in different ways
(arrays with and without a null bitmap, NaNs with and without the sign bit, jsonb spelt
differently), under random session settings. The ids must agree, and survive dump/load and
transfer. `SG_FUZZ=1` (`make fuzz`) runs many more examples.
"""

from __future__ import annotations

import io
import itertools
import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from psycopg import sql

import tests.support.fuzz  # noqa: F401 - registers and loads the hypothesis profiles
from sg import PostgresEngine
from tests.support.engines import EngineFactory
from tests.support.objects import ready
from tests.support.servers import TestServer

COLUMNS = "id int PRIMARY KEY, s text, x float8, n numeric, a int[], j jsonb, at timestamptz"
# One producer makes every value in a non-canonical way where PostgreSQL has one ...
ODD_ROW = """(%s, %s,
    CASE WHEN %s::float8 = 'NaN' THEN -'NaN'::float8 ELSE %s::float8 END,
    %s::numeric, (%s::int[] || NULL::int)[1:%s], %s::jsonb, %s)"""
# ... the other in the plain way.
PLAIN_ROW = "(%s, %s, %s::float8, %s::numeric, %s::int[], %s::jsonb, %s)"

SETTINGS = {
    "DateStyle": ["ISO, MDY", "SQL, DMY", "Postgres, YMD", "German, DMY"],
    "TimeZone": ["UTC", "Asia/Kolkata", "America/St_Johns", "Pacific/Chatham"],
    "extra_float_digits": ["-15", "0", "1", "3"],
    "IntervalStyle": ["postgres", "sql_standard", "iso_8601", "postgres_verbose"],
    "client_encoding": ["UTF8", "LATIN1", "WIN1252", "EUC_JP"],
    "array_nulls": ["on", "off"],
    "xmloption": ["content", "document"],
    "bytea_output": ["hex", "escape"],
}

_texts = st.text(st.characters(exclude_categories=["Cs"], exclude_characters="\x00"), max_size=12)
_json_scalars = (
    st.none()
    | st.booleans()
    | st.integers(-(10**20), 10**20)
    | st.floats(allow_nan=False, allow_infinity=False)
    | _texts
)
_json = st.recursive(
    _json_scalars,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(_texts, inner, max_size=3),
    max_leaves=6,
)
_zones = st.sampled_from(
    [UTC, timezone(timedelta(hours=5, minutes=30)), timezone(-timedelta(hours=8))]
)


@dataclass(frozen=True)
class Row:
    """One random row."""

    key: int
    text: str | None
    number: float | None
    decimal: Decimal | None
    array: list[int | None] | None
    document: Any
    at: datetime | None


_rows = st.builds(
    Row,
    key=st.integers(-(2**31), 2**31 - 1),
    text=st.none() | _texts,
    number=st.none() | st.floats(allow_nan=True, allow_infinity=True),
    decimal=st.none()
    | st.builds(
        lambda n, s: Decimal(n).scaleb(-s), st.integers(-(10**15), 10**15), st.integers(0, 6)
    ),
    array=st.none() | st.lists(st.none() | st.integers(-(2**31), 2**31 - 1), max_size=4),
    document=_json,
    at=st.none() | st.datetimes(datetime(1900, 1, 1), datetime(2100, 1, 1), timezones=_zones),
)
_tables = st.lists(_rows, max_size=8, unique_by=lambda r: r.key)
_settings = st.fixed_dictionaries({name: st.sampled_from(v) for name, v in SETTINGS.items()})


def _array_text(values: list[int | None] | None) -> str | None:
    if values is None:
        return None
    return "{" + ",".join("NULL" if v is None else str(v) for v in values) + "}"


def _odd_args(row: Row) -> list[Any]:
    array = _array_text(row.array)
    size = None if row.array is None else len(row.array)
    document = json.dumps(row.document)  # keys as generated, no spacing rules
    return [row.key, row.text, row.number, row.number, row.decimal, array, size, document, row.at]


def _plain_args(row: Row) -> list[Any]:
    document = json.dumps(row.document, sort_keys=True, indent=1)
    return [row.key, row.text, row.number, row.decimal, _array_text(row.array), document, row.at]


_tables_made = itertools.count()


def _fill(engine: PostgresEngine, rows: list[Row], odd: bool) -> str:
    table = f"t{next(_tables_made)}"
    engine.run_sql("RESET ALL")
    engine.run_sql(sql.SQL("CREATE TABLE {} ({})").format(sql.Identifier(table), sql.SQL(COLUMNS)))
    insert = sql.SQL("INSERT INTO {} VALUES " + (ODD_ROW if odd else PLAIN_ROW)).format(
        sql.Identifier(table)
    )
    for row in rows:
        engine.run_sql(insert, _odd_args(row) if odd else _plain_args(row))
    return table


def _apply_settings(engine: PostgresEngine, settings: dict[str, str]) -> None:
    for name, value in settings.items():
        engine.run_sql(sql.SQL("SET {} = {}").format(sql.Identifier(name), sql.Literal(value)))


def _forget(engine: PostgresEngine) -> None:
    """Drop every object and table the example made, so the next one starts empty."""
    engine.rollback()
    engine.run_sql("RESET ALL")
    for object_id in engine.list_objects():
        engine.run_sql(sql.SQL("DROP TABLE {}").format(sql.Identifier("sg_meta", object_id)))
    engine.run_sql("DELETE FROM sg_meta.objects")
    engine.run_sql("DROP SCHEMA public CASCADE; CREATE SCHEMA public")
    engine.commit()


@dataclass
class Engines:
    """Two engines on one server and one on the other."""

    here: PostgresEngine
    there: PostgresEngine
    elsewhere: PostgresEngine

    def forget(self) -> None:
        """Drop what an example made on every engine."""
        for engine in (self.here, self.there, self.elsewhere):
            _forget(engine)


@pytest.fixture
def engines(make_engine: EngineFactory, remote_server: TestServer) -> Iterator[Engines]:
    yield Engines(
        ready(make_engine(PostgresEngine)),
        ready(make_engine(PostgresEngine, on=remote_server)),
        ready(make_engine(PostgresEngine)),
    )


@given(rows=_tables, order=st.randoms(use_true_random=False), left=_settings, right=_settings)
def test_ids_depend_on_content_only(
    engines: Engines, rows: list[Row], order: Any, left: dict[str, str], right: dict[str, str]
) -> None:
    try:
        shuffled = list(rows)
        order.shuffle(shuffled)
        here_table = _fill(engines.here, rows, odd=True)
        there_table = _fill(engines.there, shuffled, odd=False)
        engines.there.run_sql(sql.SQL("UPDATE {} SET s = s").format(sql.Identifier(there_table)))
        _apply_settings(engines.here, left)
        _apply_settings(engines.there, right)
        object_id = engines.here.snapshot_table("public", here_table)
        assert engines.there.snapshot_table("public", there_table) == object_id
    finally:
        engines.forget()


@given(rows=_tables, left=_settings, right=_settings)
def test_dump_load_and_transfer_keep_the_id(
    engines: Engines, rows: list[Row], left: dict[str, str], right: dict[str, str]
) -> None:
    try:
        table = _fill(engines.here, rows, odd=True)
        _apply_settings(engines.here, left)
        _apply_settings(engines.there, right)
        object_id = engines.here.snapshot_table("public", table)
        engines.here.commit()
        dump = io.BytesIO()
        engines.here.dump_object("sg_meta", object_id, dump)
        engines.there.load_object("sg_meta", object_id, io.BytesIO(dump.getvalue()))
        engines.there.commit()
        # back to the first server through the other one, each step verified
        assert engines.there.upload_objects([object_id], engines.elsewhere) == [object_id]
        _apply_settings(engines.elsewhere, right)
        engines.elsewhere.checkout_objects([object_id], "public", "rebuilt")
        assert engines.elsewhere.snapshot_table("public", "rebuilt") == object_id
        dump = io.BytesIO()
        engines.elsewhere.dump_object("public", "rebuilt", dump)
        engines.here.run_sql("CREATE SCHEMA again")
        engines.here.load_object("again", "rebuilt", io.BytesIO(dump.getvalue()))
    finally:
        engines.forget()
