"""Change values keep the Python types psycopg gives for each column type; NULL is None."""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal
from typing import Any

import pytest
from psycopg.types.json import Json, Jsonb

from sg import AuditTriggerChangeEngine, Change, ChangeKind, ResultShape
from tests.support.engines import EngineFactory

# column, SQL type, a value, another value, the Python type psycopg gives
COLUMNS: list[tuple[str, str, Any, Any, type | tuple[type, ...]]] = [
    ("i", "integer", 7, 8, int),
    ("big", "bigint", 2**40, -(2**40), int),
    ("num", "numeric", Decimal("1.500"), Decimal("-2.250"), Decimal),
    ("js", "json", {"a": [1, 2]}, [True, None], (dict, list)),
    ("jsb", "jsonb", {"b": {"c": 1.5}}, {"b": 2}, dict),
    ("arr", "integer[]", [1, 2, 3], [4], list),
    ("txts", "text[]", ["x", None], ["y"], list),
    ("raw", "bytea", b"\x00\xffdata", b"", bytes),
    (
        "ts",
        "timestamptz",
        dt.datetime(2024, 5, 6, 7, 8, 9, 123456, dt.UTC),
        dt.datetime(2001, 1, 1, tzinfo=dt.UTC),
        dt.datetime,
    ),
    ("day", "date", dt.date(2024, 2, 29), dt.date(1999, 12, 31), dt.date),
    ("uid", "uuid", uuid.UUID(int=1), uuid.UUID(int=2), uuid.UUID),
    ("flag", "boolean", True, False, bool),
    ("f", "double precision", 0.1, -1e300, float),
    ("txt", "text", "héllo", "", str),
]


def _adapt(sql_type: str, value: Any) -> Any:
    if sql_type == "json":
        return Json(value)
    if sql_type == "jsonb":
        return Jsonb(value)
    return value


@pytest.fixture
def typed(make_engine: EngineFactory) -> AuditTriggerChangeEngine:
    engine = make_engine(AuditTriggerChangeEngine)
    engine.initialize()
    columns = ", ".join(f"{name} {sql_type}" for name, sql_type, *_ in COLUMNS)
    engine.run_sql(f"CREATE TABLE typed (id int PRIMARY KEY, {columns})")
    engine.run_sql_batch(
        f"INSERT INTO typed VALUES (%s, {', '.join(['%s'] * len(COLUMNS))})",
        [
            [1, *(_adapt(t, first) for _, t, first, _, _ in COLUMNS)],
            [2, *(None for _ in COLUMNS)],
            [3, *(_adapt(t, first) for _, t, first, _, _ in COLUMNS)],
        ],
    )
    engine.track_tables([("public", "typed")])
    engine.commit()
    return engine


def _row(engine: AuditTriggerChangeEngine, key: int) -> dict[str, Any]:
    names = ["id", *(name for name, *_ in COLUMNS)]
    values = engine.run_sql("SELECT * FROM typed WHERE id = %s", [key], ResultShape.ONE_MANY)
    return dict(zip(names, values, strict=True))


def _check_types(data: dict[str, Any]) -> None:
    for name, _sql_type, _first, _second, python_type in COLUMNS:
        if name in data and data[name] is not None:
            assert isinstance(data[name], python_type), (name, data[name])
            if isinstance(data[name], dt.datetime):
                assert data[name].tzinfo is not None


def test_inserted_rows_have_native_types(typed: AuditTriggerChangeEngine) -> None:
    typed.run_sql(
        "INSERT INTO typed SELECT 10, i, big, num, js, jsb, arr, txts, raw, ts, day,"
        " uid, flag, f, txt FROM typed WHERE id = 1"
    )
    typed.run_sql("INSERT INTO typed (id) VALUES (11)")
    (inserted, nulls) = typed.get_pending_changes("public", "typed")
    assert inserted == Change((10,), ChangeKind.INSERT, _row(typed, 10))
    _check_types(inserted.change_data)
    assert inserted.change_data["num"] == Decimal("1.500")
    assert inserted.change_data["js"] == {"a": [1, 2]}
    assert inserted.change_data["ts"] == COLUMNS[8][2]
    assert nulls.change_data == {"id": 11, **{name: None for name, *_ in COLUMNS}}


def test_updated_columns_have_native_types(typed: AuditTriggerChangeEngine) -> None:
    assignments = ", ".join(f"{name} = %s" for name, *_ in COLUMNS)
    seconds = [_adapt(t, second) for _, t, _, second, _ in COLUMNS]
    typed.run_sql(f"UPDATE typed SET {assignments} WHERE id IN (1, 2)", seconds)
    typed.run_sql("UPDATE typed SET num = NULL, txt = 'changed' WHERE id = 3")
    changes = typed.get_pending_changes("public", "typed")
    expected = {name: second for name, _, _, second, _ in COLUMNS}
    assert changes == [
        Change((1,), ChangeKind.UPDATE, expected),
        Change((2,), ChangeKind.UPDATE, expected),
        Change((3,), ChangeKind.UPDATE, {"num": None, "txt": "changed"}),
    ]
    for change in changes:
        _check_types(change.change_data)


def test_deleted_rows_have_native_types(typed: AuditTriggerChangeEngine) -> None:
    before = [_row(typed, 1), _row(typed, 2)]
    typed.run_sql("DELETE FROM typed WHERE id IN (1, 2)")
    changes = typed.get_pending_changes("public", "typed")
    assert changes == [
        Change((1,), ChangeKind.DELETE, before[0]),
        Change((2,), ChangeKind.DELETE, before[1]),
    ]
    _check_types(changes[0].change_data)
    assert all(value is None for key, value in changes[1].change_data.items() if key != "id")


def test_value_changes_that_compare_equal_are_still_changes(
    typed: AuditTriggerChangeEngine,
) -> None:
    # numeric 1.500 = 1.5 and jsonb 1.50 = 1.5 compare equal but are not the same value.
    typed.run_sql('UPDATE typed SET num = 1.5, jsb = \'{"b": {"c": 1.50}}\' WHERE id = 1')
    typed.run_sql("UPDATE typed SET f = f, ts = ts, js = js WHERE id = 3")
    (change,) = typed.get_pending_changes("public", "typed")
    assert change.primary_key == (1,)
    assert set(change.change_data) == {"num", "jsb"}
    assert str(change.change_data["num"]) == "1.5"


def test_keys_keep_their_types(make_engine: EngineFactory) -> None:
    engine = make_engine(AuditTriggerChangeEngine)
    engine.initialize()
    engine.run_sql("CREATE TABLE k (u uuid, d date, n numeric, PRIMARY KEY (u, d, n))")
    engine.track_tables([("public", "k")])
    engine.run_sql(
        "INSERT INTO k VALUES (%s, %s, %s)",
        [uuid.UUID(int=5), dt.date(2020, 1, 2), Decimal("3.25")],
    )
    (change,) = engine.get_pending_changes("public", "k")
    assert change.primary_key == (uuid.UUID(int=5), dt.date(2020, 1, 2), Decimal("3.25"))


def test_whole_row_keys_of_types_without_ordering(make_engine: EngineFactory) -> None:
    engine = make_engine(AuditTriggerChangeEngine)
    engine.initialize()
    engine.run_sql("CREATE TABLE loose (j json, p point, n int)")
    engine.track_tables([("public", "loose")])
    engine.run_sql(
        "INSERT INTO loose VALUES ('{\"b\": 1}', '(1,2)', 1), ('{\"b\": 1}', '(1,2)', 1),"
        " ('[]', NULL, 2), ('{\"a\": 0}', '(0,0)', NULL)"
    )
    engine.run_sql("DELETE FROM loose WHERE n = 2")
    changes = engine.get_pending_changes("public", "loose")
    assert [(c.change_type, c.change_data["j"], c.change_data["n"]) for c in changes] == [
        (ChangeKind.INSERT, {"a": 0}, None),
        (ChangeKind.INSERT, {"b": 1}, 1),
        (ChangeKind.INSERT, {"b": 1}, 1),
    ]
