"""`sg sql` and `sg diff` speak PostgreSQL: text forms, psql tables, JSON keyed by column."""

from __future__ import annotations

import csv
import io
import json

from tests.support.cli import CliWorld

UTC = (
    "DO $$ BEGIN EXECUTE pg_catalog.format('ALTER DATABASE %I SET TimeZone = ''UTC''',"
    " pg_catalog.current_database()); END $$"
)
TABLE = (
    "CREATE TABLE sales (id int PRIMARY KEY, amount numeric(8, 2), at timestamptz,"
    " tags text[], doc jsonb, ok boolean, note text)"
)
ROW = (
    "INSERT INTO sales VALUES (1, 74.10, '2025-02-13 08:39:00+00', '{t3,NULL}',"
    ' \'{"k": 3, "flag": false}\', false, NULL)'
)


def _sales(cli: CliWorld) -> None:
    cli.sg("sql", UTC)
    cli.sg("sql", TABLE)


def test_query_results_are_psql_tables_in_postgres_text_forms(cli: CliWorld) -> None:
    _sales(cli)
    cli.sg("sql", ROW)
    result = cli.sg("sql", "SELECT * FROM sales; SELECT 2 AS two WHERE false")
    lines = result.stdout.splitlines()
    assert [c.strip() for c in lines[0].split("|")] == [
        "id",
        "amount",
        "at",
        "tags",
        "doc",
        "ok",
        "note",
    ]
    assert set(lines[1]) == {"-", "+"}
    cells = [c.strip() for c in lines[2].split("|")]
    assert cells == [
        "1",
        "74.10",
        "2025-02-13 08:39:00+00",
        "{t3,NULL}",
        '{"k": 3, "flag": false}',
        "f",
        "NULL",
    ]
    assert lines[3] == "(1 row)"
    # every statement's result, an empty one included, with its header
    assert [line.strip() for line in lines[4:]] == ["two", "-----", "(0 rows)"]
    assert "Decimal" not in result.stdout and "datetime" not in result.stdout


def test_statements_without_rows_print_their_command_tag(cli: CliWorld) -> None:
    _sales(cli)
    result = cli.sg("sql", ROW + "; UPDATE sales SET ok = true")
    assert result.stdout == ""
    assert result.stderr.splitlines() == ["INSERT 0 1", "UPDATE 1"]


def test_json_is_objects_keyed_by_column_and_csv_has_a_header(cli: CliWorld) -> None:
    _sales(cli)
    cli.sg("sql", ROW)
    rows = json.loads(cli.sg("sql", "--json", "SELECT * FROM sales").stdout)
    assert rows == [
        {
            "id": 1,
            "amount": "74.10",
            "at": "2025-02-13 08:39:00+00",
            "tags": "{t3,NULL}",
            "doc": {"k": 3, "flag": False},
            "ok": False,
            "note": None,
        }
    ]
    table = list(csv.reader(io.StringIO(cli.sg("sql", "--csv", "TABLE sales").stdout)))
    assert table == [
        ["id", "amount", "at", "tags", "doc", "ok", "note"],
        ["1", "74.10", "2025-02-13 08:39:00+00", "{t3,NULL}", '{"k": 3, "flag": false}', "f", ""],
    ]


def test_an_empty_statement_is_an_error(cli: CliWorld) -> None:
    for statement in ("", "   ", ";", "/* only a comment */"):
        failed = cli.sg("sql", statement, code=1)
        assert "no SQL statement" in str(failed.exception)


def test_diff_shows_sql_literals_and_typed_json(cli: CliWorld) -> None:
    _sales(cli)
    cli.sg("sql", ROW)
    cli.sg("track", "sales")
    cli.sg(
        "sql",
        "UPDATE sales SET amount = 80.5, note = E'two\\nlines', tags = NULL;"
        " INSERT INTO sales VALUES (2, NULL, '2025-02-13 09:00+00', '{}', '[1]', true, 'it''s')",
    )
    lines = cli.sg("diff", "public.sales").stdout.splitlines()
    assert lines == [
        "~ (1) amount=80.50, tags=NULL, note=E'two\\nlines'",
        "+ (2) id=2, amount=NULL, at='2025-02-13 09:00:00+00', tags='{}', doc='[1]', ok=true,"
        " note='it''s'",
    ]
    typed = json.loads(cli.sg("diff", "public.sales", "--json").stdout)
    assert typed[0] == {
        "key": [1],
        "kind": "UPDATE",
        "data": {"amount": "80.50", "tags": None, "note": "two\nlines"},
    }
    assert typed[1]["data"]["doc"] == [1] and typed[1]["data"]["ok"] is True


def test_copy_through_the_client_is_refused_cleanly(cli: CliWorld) -> None:
    _sales(cli)
    failed = cli.sg("sql", "INSERT INTO sales (id) VALUES (9); COPY sales TO STDOUT", code=1)
    assert "use psql" in str(failed.exception)
    counted = json.loads(cli.sg("sql", "--json", "SELECT count(*) AS n FROM sales").stdout)
    assert counted == [{"n": 0}]
