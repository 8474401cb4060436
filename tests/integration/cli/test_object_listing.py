"""`sg objects` shows whole ids and engine-independent figures; checkout names mismatches."""

from __future__ import annotations

import json

from sg.app.cli import app
from tests.support.cli import CliWorld


def test_objects_never_cut_ids_and_agree_across_engines(cli: CliWorld) -> None:
    cli.sg("sql", "CREATE TABLE t (id int PRIMARY KEY, v text)")
    cli.sg("sql", "INSERT INTO t SELECT g, repeat('x', g) FROM generate_series(1, 300) g")
    object_id = cli.sg("snapshot", "t").stdout.strip()
    cli.sg("push", object_id, "--to", "b")
    narrow = {**cli.env, "COLUMNS": "80"}
    here = cli.runner.invoke(app, ["objects"], env=narrow).stdout
    there = cli.runner.invoke(app, ["--engine", "b", "objects"], env=narrow).stdout
    row = next(line for line in here.splitlines() if object_id in line)
    assert [c.strip() for c in row.split("|")][:4] == [object_id, "300", "0", "id, v"]
    assert "size" not in here
    assert [line.split("|")[:4] for line in here.splitlines()] == [
        line.split("|")[:4] for line in there.splitlines()
    ]
    listed = json.loads(cli.sg("objects", "--json").stdout)
    assert listed[0]["columns"] == ["id", "v"] and "size_bytes" not in listed[0]


def test_checkout_of_objects_of_two_tables_names_the_mismatch(cli: CliWorld) -> None:
    cli.sg("sql", "CREATE TABLE a (id int PRIMARY KEY, name text); INSERT INTO a VALUES (1, 'x')")
    cli.sg("sql", "CREATE TABLE b (id int PRIMARY KEY, qty int); INSERT INTO b VALUES (1, 2)")
    first, second = (cli.sg("snapshot", t).stdout.strip() for t in ("a", "b"))
    failed = cli.sg("checkout", first, second, "--into", "c", code=1)
    message = str(failed.exception)
    assert "different columns" in message
    assert "name text" in message and "qty integer" in message
    assert first[:12] in message and second[:12] in message
    assert cli.sg("sql", "--json", "SELECT to_regclass('c') IS NULL AS gone").stdout.count("true")
    into_other = cli.sg("checkout", first, "--into", "b", code=1)
    assert "table public.b has columns (id, qty) but the objects have (id, name)" in str(
        into_other.exception
    )


def test_load_as_help_says_what_the_table_holds(cli: CliWorld) -> None:
    text = cli.sg("load", "--help").stdout
    assert "sg_ud_flag" in text and "plain table" not in text
