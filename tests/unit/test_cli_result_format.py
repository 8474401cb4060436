"""psql-style tables, JSON keyed by column and CSV from PostgreSQL text values."""

from __future__ import annotations

import json

from sg.app.cli.result_format import as_csv, as_json, as_table
from sg.app.cli.text_results import Column, StatementResult

RESULT = StatementResult(
    "SELECT 2",
    [Column("id", 23), Column("body", 25), Column("doc", 3802), Column("ok", 16)],
    [["1", "two\nlines", '{"k": 3}', "t"], ["22", None, None, "f"]],
)


def test_aligned_table_like_psql() -> None:
    assert as_table(RESULT).splitlines() == [
        " id | body  |   doc    | ok",
        "----+-------+----------+----",
        '  1 | two  +| {"k": 3} | t',
        "    | lines |          |",
        " 22 | NULL  | NULL     | f",
        "(2 rows)",
    ]


def test_empty_result_keeps_its_header() -> None:
    empty = StatementResult("SELECT 0", [Column("n", 20)], [])
    assert as_table(empty).splitlines() == [" n", "---", "(0 rows)"]


def test_json_objects_keyed_by_column() -> None:
    assert json.loads(as_json(RESULT)) == [
        {"id": 1, "body": "two\nlines", "doc": {"k": 3}, "ok": True},
        {"id": 22, "body": None, "doc": None, "ok": False},
    ]


def test_csv_with_header_and_empty_nulls() -> None:
    assert as_csv(RESULT) == 'id,body,doc,ok\n1,"two\nlines","{""k"": 3}",t\n22,,,f'
