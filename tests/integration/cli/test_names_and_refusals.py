"""Names parse the same way in every command and print so they can be passed back; commands
that would change nothing say so with an error instead of reporting success."""

from __future__ import annotations

import json
from pathlib import Path

from sg.app.cli import app
from tests.support.cli import CliWorld

ODD = """CREATE SCHEMA "My Schema";
CREATE TABLE "My Schema"."Orders" (id int PRIMARY KEY);
CREATE TABLE public."dot.ted" (id int PRIMARY KEY);
CREATE TABLE public."quo""te" (id int PRIMARY KEY);
CREATE TABLE public.plain (id int PRIMARY KEY)"""


def test_tracked_names_can_be_passed_back_to_every_command(cli: CliWorld) -> None:
    cli.sg("sql", ODD)
    cli.sg("track", '"My Schema"."Orders"', 'public."dot.ted"', '"quo""te"', "PUBLIC.Plain")
    printed = cli.sg("tracked").stdout.splitlines()
    assert sorted(printed) == sorted(
        ['"My Schema"."Orders"', 'public."dot.ted"', 'public."quo""te"', "public.plain"]
    )
    cli.sg("sql", 'INSERT INTO "My Schema"."Orders" VALUES (1)')
    for name in printed:
        cli.sg("diff", name)
    status = json.loads(cli.sg("status", '"My Schema"', "--json").stdout)
    assert [(s["schema"], s["table"], s["added"]) for s in status] == [("My Schema", "Orders", 1)]
    cli.sg("discard", '"My Schema"')
    assert json.loads(cli.sg("status", '"My Schema"', "--json").stdout)[0]["added"] == 0
    cli.sg("untrack", *printed)
    assert cli.sg("tracked").stdout == ""


def test_unquoted_names_fold_to_lower_case_like_sql(cli: CliWorld) -> None:
    cli.sg("sql", "CREATE TABLE Notes (id int PRIMARY KEY)")  # SQL folds it to notes
    cli.sg("track", "NOTES")
    assert cli.sg("tracked").stdout.split() == ["public.notes"]
    missing = cli.sg("track", '"NOTES"', code=1)
    assert "NOTES" in str(missing.exception)


def test_commands_that_change_nothing_are_errors(cli: CliWorld) -> None:
    cli.sg("sql", "CREATE SCHEMA sales; CREATE TABLE sales.t (id int PRIMARY KEY)")
    nosuch = cli.sg("untrack", "sales.nosuch", code=1)
    assert "sales.nosuch is not tracked" in str(nosuch.exception)
    never = cli.sg("untrack", "sales.t", code=1)
    assert "sales.t is not tracked" in str(never.exception)
    assert "no tracked tables in schema nosuchschema" in str(
        cli.sg("discard", "nosuchschema", code=1).exception
    )
    assert "is not tracked" in str(cli.sg("discard", "sales.t", code=1).exception)


def test_stopping_an_unknown_engine_is_an_error_that_leaves_nothing(
    sg_home: Path, cli: CliWorld
) -> None:
    result = cli.runner.invoke(app, ["engine", "stop", "nosuch"])
    assert result.exit_code == 1
    assert "no embedded engine named 'nosuch'" in str(result.exception)
    engines = sg_home / "data" / "engines"
    assert not engines.exists() or not any(p.name.startswith(".nosuch") for p in engines.iterdir())


def test_a_missing_config_file_is_an_error(sg_home: Path, cli: CliWorld) -> None:
    env = {**cli.env, "SG_CONFIG": str(sg_home / "missing.toml")}
    result = cli.runner.invoke(app, ["--engine", "a", "tracked"], env=env)
    assert result.exit_code == 1
    assert "missing.toml" in str(result.exception)
