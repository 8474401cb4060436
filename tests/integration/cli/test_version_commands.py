"""The version commands on the command line: init, commit -m, log, show, diff, tag, checkout,
push, pull, clone and gc, and how init/commit/checkout/diff/push/pull tell a schema apart."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from tests.support.cli import CliWorld

SG = str(Path(sys.executable).with_name("sg"))
SHOP = """CREATE SCHEMA shop;
CREATE TABLE shop.items (id int PRIMARY KEY, name text NOT NULL, price numeric(8, 2));
CREATE TABLE shop.notes (body text);
INSERT INTO shop.items SELECT g, 'item ' || g, g * 1.25 FROM generate_series(1, 200) g;
INSERT INTO shop.notes VALUES ('a'), ('a'), (NULL)"""
DIGEST = (
    "SELECT (SELECT md5(string_agg(t::text, '|' ORDER BY id)) FROM {0}.items t),"
    " (SELECT md5(string_agg(coalesce(body, '-'), '|' ORDER BY body)) FROM {0}.notes)"
)


def _digest(cli: CliWorld, schema: str, *engine: str) -> object:
    return json.loads(cli.sg(*engine, "sql", "--json", DIGEST.format(schema)).stdout)


def _log(cli: CliWorld, schema: str, *engine: str) -> list[dict[str, object]]:
    logged: list[dict[str, object]] = json.loads(cli.sg(*engine, "log", schema, "--json").stdout)
    return logged


def test_a_schema_history_from_init_to_another_engine(cli: CliWorld) -> None:
    cli.sg("sql", SHOP)
    first = cli.sg("init", "shop")
    assert "shop: versioned 2 tables as" in first.stderr
    first_id = first.stdout.strip()
    assert len(first_id) == 64
    cli.sg("sql", "UPDATE shop.items SET price = 0 WHERE id <= 3; DELETE FROM shop.notes")
    second = cli.sg("commit", "shop", "-m", "clear out")
    second_id = second.stdout.strip()
    assert "clear out (2 tables changed)" in second.stderr
    assert cli.sg("commit", "shop", "-m", "again").stdout == ""  # nothing changed
    then = _digest(cli, "shop")

    logged = _log(cli, "shop")
    assert [(v["id"], v["message"]) for v in logged] == [
        (second_id, "clear out"),
        (first_id, "init"),
    ]
    text = cli.sg("log", "shop").stdout.splitlines()
    assert text[0].startswith(second_id[:12]) and text[0].endswith(": clear out")
    assert [v["id"] for v in _log(cli, "shop", "--engine", "a")] == [second_id, first_id]
    assert [v["id"] for v in json.loads(cli.sg("log", "shop", "notes", "--json").stdout)] == [
        second_id,
        first_id,
    ]

    cli.sg("tag", "shop", first_id[:8], "v1")
    assert json.loads(cli.sg("log", "shop", "--json").stdout)[1]["tags"] == ["v1"]
    shown = cli.sg("show", "shop@v1").stdout.splitlines()
    assert shown[0] == f"version {first_id}"
    assert json.loads(cli.sg("show", "shop", "--json").stdout)["id"] == second_id

    stat = cli.sg("diff", "shop", "v1", "latest", "--stat").stdout.splitlines()
    assert stat == ["items: changed +0 -0 ~3", "notes: changed +0 -3 ~0"]
    changes = cli.sg("diff", "shop", "v1", "latest", "--limit", "1").stdout.splitlines()
    assert changes[:2] == ["items: changed +0 -0 ~3", "  ~ (1) price=0.00"]
    printed = cli.sg("diff", "shop", "v1", "--json").stdout
    assert printed.startswith("[\n  {")  # indented like every other --json output
    typed = json.loads(printed)
    assert [(d["table"], d["updated"], d["removed"]) for d in typed] == [
        ("items", 3, 0),
        ("notes", 0, 3),
    ]
    quiet = cli.sg("diff", "shop")  # from the version checked out to the live tables
    assert quiet.stdout == "" and "no changes in shop" in quiet.stderr
    cli.sg("sql", "INSERT INTO shop.items VALUES (999, 'new', NULL)")
    pending = cli.sg("diff", "shop").stdout.splitlines()
    assert pending == ["items: changed +1 -0 ~0", "  + (999) id=999, name='new', price=NULL"]

    refused = cli.sg("checkout", "shop@v1", code=1)
    assert "uncommitted changes" in str(refused.exception)
    cli.sg("checkout", "shop@v1", "--force")
    assert json.loads(cli.sg("status", "shop", "--json").stdout)[0]["added"] == 0
    cli.sg("checkout", "shop@latest", "--into", "shop_then")
    assert _digest(cli, "shop_then") == then

    pushed = cli.sg("push", "shop", "--to", "b")
    assert "pushed 2 versions of shop to b" in pushed.stderr
    assert "pushed 0 versions" in cli.sg("push", "shop", "--to", "b").stderr
    assert [v["id"] for v in _log(cli, "shop", "--engine", "b")] == [second_id, first_id]
    unchecked = cli.sg("--engine", "b", "diff", "shop", "--stat").stdout.splitlines()
    assert [line.split(" +")[0] for line in unchecked] == ["items: removed", "notes: removed"]
    cli.sg("--engine", "b", "checkout", "shop@" + second_id[:10])
    assert _digest(cli, "shop", "--engine", "b") == then
    cli.sg("--engine", "b", "tag", "shop", "latest", "remote")
    assert "pulled 0 versions of shop from b" in cli.sg("pull", "shop", "--from", "b").stderr
    assert json.loads(cli.sg("log", "shop", "--json").stdout)[0]["tags"] == ["remote"]
    cli.sg("clone", "b", "shop", "copy")
    assert _digest(cli, "copy") == then

    would = cli.sg("gc", "--dry-run").stderr
    assert would.startswith("would remove ")
    assert cli.sg("gc").stderr.startswith("removed ")
    assert cli.sg("gc").stderr.startswith("removed 0 objects")


def test_names_are_read_the_sql_way(cli: CliWorld) -> None:
    cli.sg("sql", 'CREATE SCHEMA "My Shop"; CREATE TABLE "My Shop".t (id int PRIMARY KEY)')
    cli.sg("sql", "CREATE SCHEMA lower; CREATE TABLE lower.t (id int PRIMARY KEY)")
    cli.sg("init", '"My Shop"')
    cli.sg("init", "LOWER", "-m", "start")  # folded to lower, like SQL
    assert _log(cli, "lower")[0]["message"] == "start"
    cli.sg("sql", 'INSERT INTO "My Shop".t VALUES (1)')
    cli.sg("commit", '"My Shop"', "-m", "one")
    assert [v["message"] for v in _log(cli, '"My Shop"')] == ["one", "init"]
    cli.sg("checkout", '"My Shop"@latest', "--into", '"Other@Shop"')
    rows = cli.sg("sql", "--json", 'SELECT id FROM "Other@Shop".t').stdout
    assert json.loads(rows) == [{"id": 1}]
    missing = cli.sg("log", '"my shop"', code=1)
    assert "my shop" in str(missing.exception)


def test_each_command_tells_a_schema_from_a_table_or_objects(cli: CliWorld) -> None:
    cli.sg("sql", SHOP)
    cli.sg("init", "shop")
    cli.sg("sql", "UPDATE shop.items SET price = 1 WHERE id = 1")
    # a qualified table keeps the plumbing meaning: pending changes, one object
    assert cli.sg("diff", "shop.items").stdout.splitlines() == ["~ (1) price=1.00"]
    object_id = cli.sg("commit", "shop.items").stdout.strip()
    assert object_id.startswith("o") and len(object_id) == 63
    cli.sg("checkout", object_id, "--into", "scratch.patch")
    cli.sg("push", object_id, "--to", "b")
    pulled = cli.sg("pull", object_id, "--from", "b").stderr
    assert "moved 0 object(s) from b, 1 already there" in pulled

    usage = [
        (["commit", "shop"], "sg commit shop -m MESSAGE"),
        (["commit", "shop.items", "-m", "x"], "-m and --author are for a schema's version"),
        (["diff", "shop.items", "latest"], "versions belong to a schema"),
        (["diff", "shop.items", "--stat"], "--stat is for a schema"),
        (["diff", "shop", "a", "b", "c"], "at most two versions"),
        (["checkout", "shop@latest", "shop@init"], "give one SCHEMA@VERSION"),
        (["checkout", object_id], "objects need a table"),
        (["checkout", object_id, "--into", "t", "--force"], "--force is for a version"),
        (["init", "-m", "x"], "sg init SCHEMA -m MESSAGE"),
        (["push", "shop", "other", "--to", "b"], "sg push takes one SCHEMA"),
        (["pull", "shop", object_id, "--from", "b"], "sg pull takes one SCHEMA"),
    ]
    for args, message in usage:
        result = cli.sg(*args, code=2)
        assert message in result.stderr, (args, result.stderr)


def test_a_bare_name_that_is_a_public_table_points_to_the_qualified_form(cli: CliWorld) -> None:
    cli.sg("sql", "CREATE TABLE notes (id int PRIMARY KEY)")
    cli.sg("track", "notes")
    for command in (["commit", "notes", "-m", "x"], ["diff", "notes"]):
        failed = cli.sg(*command, code=1)
        assert f"write sg {command[0]} public.notes" in str(failed.exception)
    unknown = cli.sg("diff", "nowhere", code=1)
    assert "schema nowhere has no versions" in str(unknown.exception)


def test_help_documents_both_forms(cli: CliWorld) -> None:
    for command, forms in {
        "init": ["sg init SCHEMA"],
        "commit": ["sg commit SCHEMA -m MESSAGE", "sg commit SCHEMA.TABLE"],
        "diff": ["sg diff SCHEMA [VERSION_A [VERSION_B]]", "sg diff SCHEMA.TABLE"],
        "checkout": ["sg checkout SCHEMA@VERSION", "sg checkout OBJECT... --into"],
        "push": ["sg push SCHEMA --to ENGINE", "sg push OBJECT... --to ENGINE"],
        "pull": ["sg pull SCHEMA --from ENGINE", "sg pull OBJECT... --from ENGINE"],
    }.items():
        text = " ".join(cli.sg(command, "--help").stdout.split())
        for form in forms:
            assert form in text, (command, form, text)


def test_errors_are_one_line_from_the_installed_command(cli: CliWorld) -> None:
    env = {**{k: v for k, v in os.environ.items() if not k.startswith("SG_ENGINE_")}, **cli.env}

    def sg(*args: str, code: int) -> str:
        done = subprocess.run(
            [SG, *args], env=env, capture_output=True, text=True, check=False, timeout=120
        )
        assert done.returncode == code, (args, done.stdout, done.stderr)
        assert done.stdout == ""
        return done.stderr

    cli.sg("sql", "CREATE SCHEMA s; CREATE TABLE s.t (id int PRIMARY KEY)")
    assert sg("commit", "s", code=2) == (
        "sg: error: a version needs a message: sg commit s -m MESSAGE (a table's changes as"
        " one object: sg commit SCHEMA.TABLE) (see sg commit --help)\n"
    )
    assert sg("log", "s", code=1) == "sg: error: schema s has no versions; run sg init s\n"
    cli.sg("init", "s")
    for args in (["checkout", "s@nope"], ["diff", "s", "nope"], ["tag", "s", "nope", "x"]):
        failed = sg(*args, code=1)
        assert failed.startswith("sg: error: schema s has no ") and failed.count("\n") == 1
