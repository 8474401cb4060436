"""`sg snapshot`, `objects`, `checkout`, `dump`, `load` and their error paths."""

from __future__ import annotations

import json
from pathlib import Path

from tests.support.cli import CliWorld

TABLE = """CREATE TABLE shop.items (id int PRIMARY KEY, name text, price numeric(8, 2),
 tags text[], extra jsonb);
INSERT INTO shop.items SELECT g, 'item ' || g, g * 1.25, ARRAY['a', 'b'], '{"k": 1}'
FROM generate_series(1, 300) g"""
DIGEST = "SELECT count(*), md5(string_agg(t::text, '|' ORDER BY id)) FROM {} t"


def _digest(cli: CliWorld, table: str, *engine: str) -> object:
    return json.loads(cli.sg(*engine, "sql", "--json", DIGEST.format(table)).stdout)


def test_snapshot_dump_load_checkout(cli: CliWorld, sg_home: Path) -> None:
    cli.sg("sql", "CREATE SCHEMA shop")
    cli.sg("sql", TABLE)
    object_id = cli.sg("snapshot", "shop.items").stdout.strip()
    assert len(object_id) == 63 and object_id.startswith("o")
    listed = json.loads(cli.sg("objects", "--json").stdout)
    assert [(o["id"], o["rows_upserted"], o["rows_deleted"]) for o in listed] == [
        (object_id, 300, 0)
    ]
    assert object_id[:20] in cli.sg("objects").stdout

    dump = sg_home / "items.sgdump"
    cli.sg("dump", object_id, "-o", str(dump))
    assert dump.stat().st_size > 0 and not dump.with_name("items.sgdump.partial").exists()
    assert cli.sg("--engine", "b", "load", str(dump)).stdout.strip() == object_id
    assert "already here" in cli.sg("--engine", "b", "load", str(dump)).stderr
    cli.sg("--engine", "b", "load", str(dump), "--as", "scratch.items")
    cli.sg("--engine", "b", "checkout", object_id, "--into", "copy.items")
    source = _digest(cli, "shop.items")
    assert _digest(cli, "copy.items", "--engine", "b") == source


def test_error_paths(cli: CliWorld, sg_home: Path) -> None:
    missing = cli.sg("snapshot", "public.nope", code=1)
    assert "public.nope" in str(missing.exception)
    bad_id = cli.sg("dump", "not-an-id", "-o", str(sg_home / "x"), code=1)
    assert "not an object id" in str(bad_id.exception)
    absent = "o" + "ab" * 31
    unknown = cli.sg("checkout", absent, "--into", "t", code=1)
    assert absent in str(unknown.exception)
    corrupt = sg_home / "corrupt.sgdump"
    corrupt.write_bytes(b"this is not a dump at all")
    garbage = cli.sg("load", str(corrupt), code=1)
    assert "dump" in str(garbage.exception).lower()
    assert json.loads(cli.sg("objects", "--json").stdout) == []
    cli.sg("checkout", code=2)


def test_failed_load_leaves_no_schema(cli: CliWorld, sg_home: Path) -> None:
    corrupt = sg_home / "corrupt.sgdump"
    corrupt.write_bytes(b"garbage")
    cli.sg("load", str(corrupt), "--as", "brand_new.t", code=1)
    schemas = cli.sg(
        "sql", "--json", "SELECT count(*) FROM pg_namespace WHERE nspname = 'brand_new'"
    )
    assert json.loads(schemas.stdout) == [{"count": 0}]
