"""`sg dump`/`sg load` with files and pipes: `-` streams, refusals before work, checks always."""

from __future__ import annotations

import json
from pathlib import Path

from sg.app.cli import app
from sg.domain.dump_header import MAGIC
from tests.support.cli import CliWorld


def _object(cli: CliWorld) -> str:
    cli.sg("sql", "CREATE TABLE t (id int PRIMARY KEY, v text)")
    cli.sg("sql", "INSERT INTO t SELECT g, 'v' || g FROM generate_series(1, 500) g")
    return cli.sg("snapshot", "t").stdout.strip()


def test_dump_to_stdout_and_load_from_stdin(cli: CliWorld) -> None:
    object_id = _object(cli)
    dumped = cli.sg("dump", object_id, "-o", "-")
    assert dumped.stdout_bytes.startswith(MAGIC)
    assert not Path("-").exists()
    loaded = cli.runner.invoke(
        app, ["--engine", "b", "load", "-"], env=cli.env, input=dumped.stdout_bytes
    )
    assert loaded.exit_code == 0, (loaded.stderr, loaded.exception)
    assert loaded.stdout.strip() == object_id
    listed = json.loads(cli.sg("--engine", "b", "objects", "--json").stdout)
    assert [o["id"] for o in listed] == [object_id]


def test_dump_refuses_to_overwrite_without_force(cli: CliWorld, sg_home: Path) -> None:
    object_id = _object(cli)
    target = sg_home / "t.sgdump"
    target.write_bytes(b"precious")
    refused = cli.sg("dump", object_id, "-o", str(target), code=1)
    assert "--force" in str(refused.exception)
    assert target.read_bytes() == b"precious"
    cli.sg("dump", object_id, "-o", str(target), "--force")
    assert target.stat().st_size > 1000
    assert [p.name for p in sg_home.iterdir() if "partial" in p.name] == []


def test_dump_checks_the_directory_before_any_work(cli: CliWorld, sg_home: Path) -> None:
    object_id = _object(cli)
    missing = cli.sg("dump", object_id, "-o", str(sg_home / "no" / "x.sgdump"), code=1)
    assert "does not exist" in str(missing.exception)
    assert ".partial" not in str(missing.exception)
    into_dir = cli.sg("dump", object_id, "-o", str(sg_home), code=1)
    assert "is a directory" in str(into_dir.exception)


def test_load_of_a_damaged_copy_of_an_object_already_here_is_still_checked(
    cli: CliWorld, sg_home: Path
) -> None:
    object_id = _object(cli)
    good = sg_home / "good.sgdump"
    cli.sg("dump", object_id, "-o", str(good))
    again = cli.sg("load", str(good))
    assert again.stdout.strip() == object_id
    assert "already here" in again.stderr
    data = good.read_bytes()
    truncated = sg_home / "truncated.sgdump"
    truncated.write_bytes(data[: len(data) - 200])
    assert cli.sg("load", str(truncated), code=1).stdout == ""
    tampered = sg_home / "tampered.sgdump"
    tampered.write_bytes(data.replace(b"v499", b"v998"))
    assert "hash" in str(cli.sg("load", str(tampered), code=1).exception)
    assert [o["id"] for o in json.loads(cli.sg("objects", "--json").stdout)] == [object_id]
    schemas = cli.sg(
        "sql", "--json", "SELECT count(*) FROM pg_namespace WHERE nspname LIKE 'sg_load%'"
    )
    assert json.loads(schemas.stdout) == [{"count": 0}]


def test_load_of_a_missing_file_is_one_clear_error(cli: CliWorld, sg_home: Path) -> None:
    result = cli.sg("load", str(sg_home / "nope.sgdump"), code=1)
    assert "nope.sgdump does not exist" in str(result.exception)
