"""The history command functions, called with parsed arguments on a real engine."""

from __future__ import annotations

import json

import pytest

from sg import PendingChangesError, PostgresEngine, ResultShape
from sg.app.cli import version_cmds as cmds
from tests.support.engines import EngineFactory


def test_history_commands_tell_the_story(make_engine: EngineFactory) -> None:
    engine = make_engine(PostgresEngine)
    engine.initialize()
    engine.run_sql(
        "CREATE SCHEMA s; CREATE TABLE s.t (id int PRIMARY KEY, v text);"
        " INSERT INTO s.t VALUES (1, 'a'), (2, NULL)",
        return_shape=ResultShape.NONE,
    )
    lines: list[str] = []
    first = cmds.init_versions(engine, "s", echo=lines.append)
    engine.run_sql("UPDATE s.t SET v = 'b' WHERE id = 2", return_shape=ResultShape.NONE)
    second = cmds.commit_version(engine, "s", "fill", echo=lines.append)
    assert second is not None
    assert cmds.commit_version(engine, "s", "again", echo=lines.append) is None
    cmds.tag(engine, "s", first.version_id[:6], "v1", echo=lines.append)
    lines.clear()
    cmds.log(engine, "s", as_json=True, echo=lines.append)
    logged = json.loads(lines[0])
    assert [v["id"] for v in logged] == [second.version_id, first.version_id]
    assert logged[1]["tags"] == ["v1"]
    lines.clear()
    cmds.diff_versions(engine, "s", "v1", "latest", echo=lines.append)
    assert lines == ["t: changed +0 -0 ~1", "  ~ (2) v=b"]
    lines.clear()
    cmds.show(engine, "s", "v1", echo=lines.append)
    assert lines[0] == f"version {first.version_id}"
    engine.run_sql("DELETE FROM s.t", return_shape=ResultShape.NONE)
    with pytest.raises(PendingChangesError):
        cmds.checkout_version(engine, "s@v1", echo=lines.append)
    cmds.checkout_version(engine, "s@v1", force=True, echo=lines.append)
    values = engine.run_sql("SELECT v FROM s.t ORDER BY id", return_shape=ResultShape.MANY_ONE)
    assert values == ["a", None]
    lines.clear()
    garbage = engine.versions.garbage()
    cmds.gc(engine, dry_run=True, echo=lines.append)
    objects = f"{len(garbage)} object{'' if len(garbage) == 1 else 's'}"
    assert lines == [f"would remove {objects}, {sum(garbage.values()):,} bytes"]
    lines.clear()
    cmds.gc(engine, echo=lines.append)
    assert lines[0].startswith(f"removed {objects}")
    cmds.checkout_version(engine, "s", into="again", echo=lines.append)
    assert engine.run_sql(
        "SELECT v FROM again.t ORDER BY id", return_shape=ResultShape.MANY_ONE
    ) == [
        "a",
        "b",
    ]
    assert cmds.parse_target("s") == ("s", "latest")
