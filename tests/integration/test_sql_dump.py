"""dump_table_sql: the script reloads with psql and gives identical rows."""

from __future__ import annotations

import io
import subprocess
from pathlib import Path
from typing import Any

import pytest
from psycopg import sql

from sg import PsycopgEngine, ResultShape
from tests.support.servers import TestServer

ROWS_SQL = """
INSERT INTO {table} VALUES
 (1, '{"a": [1, 2.50, "x"], "b": null}', '{"k": "v\\"q"}', '{1,NULL,3}', '{"a b","c''d",NULL}',
  '\\x00ff10'::bytea, 123456789012345678901234.000000001, 'line one
line two	tab', '2024-02-29 23:59:59.123456+05:30', 0.1::float8, 'P1Y2M3DT4H5M6.789S'),
 (2, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL),
 (3, '[]', '"just a string"', '{}', '{}', '\\x'::bytea, -0.0000000001, 'quote '' and \\ back',
  '1999-12-31 00:00:00+00', 'NaN'::float8, '-1 day'),
 (4, '{}', '{"unicode": "ünï 表 😀"}', '{-2147483648,2147483647}', '{"\\\\"}', '\\x5c27'::bytea,
  'NaN', '', '-infinity', '1e-300'::float8, '00:00:00')
"""

DDL = """CREATE TABLE {table} (
 id int PRIMARY KEY, j json, jb jsonb, ints int[], texts text[], raw bytea, num numeric,
 body text, at timestamptz, f float8, span interval)"""


def _fill(engine: PsycopgEngine, table: sql.Composable) -> None:
    engine.run_sql(sql.SQL(DDL).format(table=table))
    braces_escaped = ROWS_SQL.replace("{", "{{").replace("}", "}}").replace("{{table}}", "{table}")
    engine.run_sql(sql.SQL(braces_escaped).format(table=table))


def _rows(engine: PsycopgEngine, table: sql.Composable) -> list[tuple[Any, ...]]:
    # whole-row text: exact for every type (json keeps its text, numeric its scale, and
    # -infinity, which has no Python value, is compared too)
    return list(engine.run_sql(sql.SQL("SELECT t::text FROM {} t ORDER BY id").format(table)))


def _reload(server: TestServer, dbname: str, script: Path) -> None:
    if server.psql is None:
        pytest.skip("psql is not available to reload the script")
    p = server.params(dbname)
    result = subprocess.run(
        [
            server.psql,
            "-X",
            "-v",
            "ON_ERROR_STOP=1",
            "-q",
            "-f",
            str(script),
            "-h",
            p["SG_ENGINE_HOST"],
            "-p",
            p["SG_ENGINE_PORT"],
            "-U",
            p["SG_ENGINE_USER"],
            dbname,
        ],
        env={
            "PGPASSWORD": p["SG_ENGINE_PWD"],
            "PGTZ": "America/Los_Angeles",
            "PGDATESTYLE": "SQL, DMY",
        },
        capture_output=True,
        text=True,
        check=False,
        cwd=script.parent,  # where a smuggled shell command would leave its trace
    )
    assert result.returncode == 0, result.stderr


def test_round_trip_through_psql(
    engine: PsycopgEngine, server: TestServer, db_params: dict[str, str], tmp_path: Path
) -> None:
    table = sql.Identifier("public", "Mixed Tab'le")
    _fill(engine, table)
    engine.commit()
    before = _rows(engine, table)
    script = tmp_path / "dump.sql"
    with script.open("w", encoding="utf-8") as out:
        engine.dump_table_sql("public", "Mixed Tab'le", out)
    engine.run_sql(sql.SQL("TRUNCATE {}").format(table))
    engine.commit()
    _reload(server, db_params["SG_ENGINE_DB_NAME"], script)
    engine.rollback()
    assert _rows(engine, table) == before


def test_dump_is_independent_of_session_settings(engine: PsycopgEngine) -> None:
    table = sql.Identifier("public", "t")
    _fill(engine, table)
    plain = io.StringIO()
    engine.dump_table_sql("public", "t", plain)
    engine.run_sql(
        "SET DateStyle = 'SQL, DMY'; SET TimeZone = 'Asia/Tokyo';"
        " SET extra_float_digits = 0; SET IntervalStyle = 'sql_standard'"
    )
    odd = io.StringIO()
    engine.dump_table_sql("public", "t", odd)
    assert engine.run_sql("SHOW DateStyle", return_shape=ResultShape.ONE_ONE) == "SQL, DMY"
    # timestamptz renders in the session's zone but denotes the same instant
    engine.run_sql("SET TimeZone = 'UTC'")
    utc = io.StringIO()
    engine.dump_table_sql("public", "t", utc)
    assert "1e-300" in utc.getvalue()
    assert odd.getvalue().count("INSERT INTO") == plain.getvalue().count("INSERT INTO") == 1


def test_columns_where_and_binary_stream(engine: PsycopgEngine) -> None:
    table = sql.Identifier("public", "t")
    _fill(engine, table)
    out = io.BytesIO()
    engine.dump_table_sql(
        "public", "t", out, columns=["id", "body"], where="id > %s", where_args=[2]
    )
    text = out.getvalue().decode("utf-8")
    assert 'INSERT INTO "public"."t" ("id", "body") VALUES' in text
    assert "('3', E'quote '' and \\\\ back')" in text
    assert "('4', '')" in text
    assert "('1'," not in text and "('2'," not in text


def test_large_table_is_written_in_several_statements(engine: PsycopgEngine) -> None:
    engine.run_sql("CREATE TABLE big (id int PRIMARY KEY, v text)")
    engine.run_sql("INSERT INTO big SELECT g, md5(g::text) FROM generate_series(1, 2500) g")
    out = io.StringIO()
    engine.dump_table_sql("public", "big", out)
    text = out.getvalue()
    assert text.count("INSERT INTO") == 3
    assert text.rstrip().endswith("-- 2500 row(s)")
    engine.run_sql("TRUNCATE big")
    engine.run_sql(text)
    assert engine.run_sql("SELECT count(*) FROM big", return_shape=ResultShape.ONE_ONE) == 2500


def test_a_table_name_cannot_escape_into_the_script(
    engine: PsycopgEngine, server: TestServer, db_params: dict[str, str], tmp_path: Path
) -> None:
    name = "evil\n\\! touch pwned\n"
    table = sql.Identifier("public", name)
    engine.run_sql(sql.SQL("CREATE TABLE {} (id int PRIMARY KEY)").format(table))
    engine.run_sql(sql.SQL("INSERT INTO {} VALUES (1), (2)").format(table))
    engine.commit()
    script = tmp_path / "dump.sql"
    with script.open("w", encoding="utf-8") as out:
        engine.dump_table_sql("public", name, out)
    engine.run_sql(sql.SQL("TRUNCATE {}").format(table))
    engine.commit()
    _reload(server, db_params["SG_ENGINE_DB_NAME"], script)
    assert not (tmp_path / "pwned").exists()
    assert (
        engine.run_sql(
            sql.SQL("SELECT count(*) FROM {}").format(table), return_shape=ResultShape.ONE_ONE
        )
        == 2
    )
