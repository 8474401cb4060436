"""`sg push` and `sg pull` between two engines, and their error paths."""

from __future__ import annotations

import json
import os

from tests.support.cli import CliWorld


def _objects(cli: CliWorld, *engine: str) -> list[str]:
    return [o["id"] for o in json.loads(cli.sg(*engine, "objects", "--json").stdout)]


def test_push_then_pull_back(cli: CliWorld) -> None:
    cli.sg("sql", "CREATE TABLE t (id int PRIMARY KEY, v text)")
    cli.sg("sql", "INSERT INTO t SELECT g, md5(g::text) FROM generate_series(1, 2000) g")
    first = cli.sg("snapshot", "t").stdout.strip()
    cli.sg("sql", "INSERT INTO t VALUES (0, 'zero')")
    second = cli.sg("snapshot", "t").stdout.strip()

    pushed = cli.sg("push", first, second, "--to", "b")
    assert pushed.stdout.split() == [first, second]
    assert "moved 2 object(s) to b" in pushed.stderr
    again = cli.sg("push", first, second, "--to", "b")
    assert again.stdout == "" and "2 already there" in again.stderr
    assert sorted(_objects(cli, "--engine", "b")) == sorted([first, second])

    cli.sg("sql", "DELETE FROM sg_meta.objects")  # forget them here, then pull back
    cli.sg("sql", f"DROP TABLE sg_meta.{first}, sg_meta.{second}")
    pulled = cli.sg("pull", second, "--from", "b")
    assert pulled.stdout.split() == [second]
    assert _objects(cli) == [second]


def test_transfer_error_paths(cli: CliWorld) -> None:
    absent = "o" + "cd" * 31
    missing = cli.sg("push", absent, "--to", "b", code=1)
    assert absent in str(missing.exception)
    unversioned = cli.sg("pull", "nope", "--from", "b", code=1)  # a bare name is a schema
    assert "b has no versions of schema nope" in str(unversioned.exception)
    unknown = cli.sg("push", "nope", "--to", "b", code=1)
    assert "this engine has no versions of schema nope" in str(unknown.exception)
    mixed = cli.sg("pull", "nope", absent, "--from", "b", code=2)
    assert "sg pull takes one SCHEMA, or object ids only" in mixed.stderr
    cli.sg("push", absent, code=2)  # --to is required


def test_unreachable_remote(cli: CliWorld) -> None:
    with open(os.environ["SG_CONFIG"], "a", encoding="utf-8") as out:
        out.write(
            '[remotes.gone]\nSG_ENGINE_HOST = "127.0.0.1"\nSG_ENGINE_PORT = "1"\n'
            'SG_ENGINE_USER = "sg"\nSG_ENGINE_PWD = "gone-secret-pw"\nSG_ENGINE_DB_NAME = "x"\n'
        )
    cli.sg("sql", "CREATE TABLE t (id int PRIMARY KEY)")
    object_id = cli.sg("snapshot", "t").stdout.strip()
    failed = cli.sg("push", object_id, "--to", "gone", code=1)
    assert "127.0.0.1:1" in str(failed.exception)
    assert "gone-secret-pw" not in str(failed.exception) + failed.stdout + failed.stderr
