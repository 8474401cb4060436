"""`sg track`, `untrack`, `tracked`, `status`, `diff`, `discard`, `compact`, `commit`."""

from __future__ import annotations

import json

from tests.support.cli import CliWorld


def _setup(cli: CliWorld) -> None:
    cli.sg("sql", "CREATE SCHEMA shop")
    cli.sg("sql", "CREATE TABLE shop.t (id int PRIMARY KEY, v text, n numeric)")
    cli.sg("sql", "INSERT INTO shop.t SELECT g, 'v' || g, g * 1.5 FROM generate_series(1, 20) g")
    cli.sg("sql", "CREATE TABLE shop.u (a int)")


def test_track_change_status_diff_commit(cli: CliWorld) -> None:
    _setup(cli)
    assert "tracking shop.t, shop.u" in cli.sg("track", "shop.t", "shop.u").stderr
    assert cli.sg("tracked").stdout.split() == ["shop.t", "shop.u"]
    assert json.loads(cli.sg("tracked", "--json").stdout) == [
        {"schema": "shop", "table": "t"},
        {"schema": "shop", "table": "u"},
    ]
    cli.sg(
        "sql",
        "UPDATE shop.t SET v = 'new' WHERE id <= 3; DELETE FROM shop.t WHERE id = 20;"
        " INSERT INTO shop.t VALUES (0, 'zero', 0)",
    )
    status = json.loads(cli.sg("status", "shop", "--json").stdout)
    assert status == [
        {"schema": "shop", "table": "t", "added": 1, "removed": 1, "updated": 3},
        {"schema": "shop", "table": "u", "added": 0, "removed": 0, "updated": 0},
    ]
    assert "shop.t" in cli.sg("status").stdout
    changes = json.loads(cli.sg("diff", "shop.t", "--limit", "2", "--json").stdout)
    assert changes == [
        {"key": [0], "kind": "INSERT", "data": {"id": 0, "v": "zero", "n": "0"}},
        {"key": [1], "kind": "UPDATE", "data": {"v": "new"}},
    ]
    text = cli.sg("diff", "shop.t").stdout
    assert "+ (0)" in text and "~ (1) v='new'" in text and "- (20)" in text

    object_id = cli.sg("commit", "shop.t").stdout.strip()
    assert object_id.startswith("o") and len(object_id) == 63
    assert "nothing to commit" in cli.sg("commit", "shop.t").stderr
    assert cli.sg("commit", "shop.t").stdout == ""
    listed = json.loads(cli.sg("objects", "--json").stdout)
    assert [(o["id"], o["rows_upserted"], o["rows_deleted"]) for o in listed] == [(object_id, 4, 1)]


def test_discard_and_untrack(cli: CliWorld) -> None:
    _setup(cli)
    cli.sg("track", "shop.t", "shop.u")
    cli.sg("sql", "DELETE FROM shop.t WHERE id < 5; INSERT INTO shop.u VALUES (1)")
    cli.sg("discard", "shop.t")
    status = {
        r["table"]: r["added"] + r["removed"] for r in json.loads(cli.sg("status", "--json").stdout)
    }
    assert status == {"t": 0, "u": 1}
    cli.sg("discard", "shop")
    assert "no pending changes" in cli.sg("diff", "shop.u").stderr
    cli.sg("untrack", "shop.u")
    assert cli.sg("tracked").stdout.split() == ["shop.t"]


def test_compact(cli: CliWorld) -> None:
    _setup(cli)
    cli.sg("track", "shop.t", "shop.u")
    cli.sg("sql", "UPDATE shop.t SET n = n + 1 WHERE id = 1; UPDATE shop.t SET n = n + 1")
    before = cli.sg("diff", "shop.t", "--json").stdout
    # The two UPDATEs logged an old row and a new key per row (2 + 40): one per key stays.
    said = cli.sg("compact", "shop").stderr
    assert "compacted shop.t: 42 log entries, 22 removed" in said
    assert "compacted shop.u: 0 log entries, 0 removed" in said
    assert cli.sg("diff", "shop.t", "--json").stdout == before
    assert json.loads(cli.sg("compact", "--json").stdout) == [
        {"schema": "shop", "table": "t", "entries": 20, "removed": 0},
        {"schema": "shop", "table": "u", "entries": 0, "removed": 0},
    ]
    assert "not tracked" in str(cli.sg("compact", "shop.v", code=1).exception)
    assert "no tracked tables" in str(cli.sg("compact", "crm", code=1).exception)


def test_tracking_error_paths(cli: CliWorld) -> None:
    _setup(cli)
    unknown = cli.sg("track", "shop.missing", code=1)
    assert "shop.missing" in str(unknown.exception)
    untracked = cli.sg("diff", "shop.t", code=1)
    assert "not tracked" in str(untracked.exception)
    assert "not tracked" in str(cli.sg("commit", "shop.t", code=1).exception)
    bad_name = cli.sg("track", "a.b.c", code=1)
    assert "SCHEMA.TABLE" in str(bad_name.exception)
    cli.sg("diff", "shop.t", "--limit", "0", code=2)


def test_a_failed_command_keeps_nothing(cli: CliWorld) -> None:
    _setup(cli)
    failed = cli.sg("track", "shop.t", "shop.missing", code=1)
    assert "shop.missing" in str(failed.exception)
    assert cli.sg("tracked").stdout == ""  # shop.t was not left half-tracked


def test_user_data_is_never_read_as_markup(cli: CliWorld) -> None:
    shown = cli.sg("sql", "SELECT '[/]' AS a, '[bold]x' AS b")
    assert "[/]" in shown.stdout and "[bold]x" in shown.stdout
    _setup(cli)
    cli.sg("track", "shop.t")
    cli.sg("sql", "UPDATE shop.t SET v = '[red]not red[/]' WHERE id = 1")
    assert "v='[red]not red[/]'" in cli.sg("diff", "shop.t").stdout
