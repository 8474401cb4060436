"""`sg engine start|stop|status` and `sg init` against embedded and configured engines."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from sg.app.cli import app
from tests.support.servers import TestServer


def test_embedded_engine_lifecycle(sg_home: Path, runner: CliRunner) -> None:
    status = runner.invoke(app, ["engine", "status", "--json"])
    assert status.exit_code == 0, status.output
    assert json.loads(status.stdout) == []
    started = runner.invoke(app, ["engine", "start"])
    assert started.exit_code == 0, started.output
    assert "engine default running at 127.0.0.1:" in started.stderr
    also = runner.invoke(app, ["engine", "start", "other"])
    assert also.exit_code == 0, also.output
    listed = json.loads(runner.invoke(app, ["engine", "status", "--json"]).stdout)
    assert [(e["name"], e["running"]) for e in listed] == [("default", True), ("other", True)]
    assert listed[0]["port"] != listed[1]["port"]
    stopped = runner.invoke(app, ["engine", "stop", "other"])
    assert stopped.exit_code == 0 and "engine other stopped" in stopped.stderr
    again = runner.invoke(app, ["engine", "stop", "other"])
    assert "was not running" in again.stderr
    listed = json.loads(runner.invoke(app, ["engine", "status", "--json"]).stdout)
    assert [(e["name"], e["running"]) for e in listed] == [("default", True), ("other", False)]
    # a stopped engine starts again with its data
    assert runner.invoke(app, ["--engine", "other", "init"]).exit_code == 0


def test_init_uses_sg_engine_variables(
    sg_home: Path, runner: CliRunner, server: TestServer
) -> None:
    name = server.create_database()
    try:
        result = runner.invoke(app, ["init"], env=server.params(name))
        assert result.exit_code == 0, result.output
        assert f"/{name}" in result.stderr
        with server.admin_connect(name) as conn:
            found = conn.execute("SELECT count(*) FROM pg_namespace WHERE nspname = 'sg_meta'")
            assert found.fetchone() == (1,)
    finally:
        server.drop_database(name)


def test_init_uses_a_named_remote(sg_home: Path, runner: CliRunner, server: TestServer) -> None:
    name = server.create_database()
    remote = "\n".join(f'{k} = "{v}"' for k, v in server.params(name).items())
    (sg_home / "config.toml").write_text(f"[remotes.warehouse]\n{remote}\n")
    try:
        result = runner.invoke(app, ["--engine", "warehouse", "init"])
        assert result.exit_code == 0, result.output
        assert "initialized warehouse" in result.stderr
    finally:
        server.drop_database(name)


def test_unreachable_engine_is_one_line_and_exit_1(sg_home: Path) -> None:
    import subprocess
    import sys

    env = {
        "SG_ENGINE_HOST": "127.0.0.1",
        "SG_ENGINE_PORT": "1",
        "SG_ENGINE_USER": "x",
        "SG_ENGINE_PWD": "hidden-pw-123",
        "SG_ENGINE_DB_NAME": "x",
        "PATH": "/usr/bin:/bin",
        "SG_DATA_DIR": str(sg_home / "data"),
    }
    result = subprocess.run(
        [sys.executable, "-m", "sg", "init"], env=env, capture_output=True, text=True, check=False
    )
    assert result.returncode == 1
    assert result.stderr.startswith("sg: error: cannot connect to x@127.0.0.1:1/")
    assert len(result.stderr.strip().splitlines()) == 1
    assert "hidden-pw-123" not in result.stderr + result.stdout


def test_bad_usage_exits_2(runner: CliRunner) -> None:
    result = runner.invoke(app, ["engine", "frobnicate"])
    assert result.exit_code == 2


def test_bad_config_file_is_a_user_error(sg_home: Path, runner: CliRunner) -> None:
    (sg_home / "config.toml").write_text("[remotes\n")
    result = runner.invoke(app, ["--engine", "x", "init"])
    assert result.exit_code == 1
    assert "is not valid TOML" in str(result.exception)


def test_unknown_engine_names_are_refused_not_created(sg_home: Path, runner: CliRunner) -> None:
    result = runner.invoke(app, ["--engine", "warehose", "init"])
    assert result.exit_code == 1
    assert "no remote or embedded engine named 'warehose'" in str(result.exception)
    assert "sg engine start warehose" in str(result.exception)
    assert not (sg_home / "data" / "engines" / "warehose").exists()


def test_file_errors_are_one_line(sg_home: Path, server: TestServer) -> None:
    import subprocess
    import sys

    name = server.create_database()
    try:
        env = {
            **server.params(name),
            "SG_DATA_DIR": str(sg_home / "data"),
            "SG_CONFIG": str(sg_home / "config.toml"),
            "PATH": "/usr/bin:/bin",
        }
        run = [sys.executable, "-m", "sg"]
        subprocess.run([*run, "init"], env=env, check=True, capture_output=True)
        subprocess.run(
            [*run, "sql", "CREATE TABLE t (id int PRIMARY KEY)"],
            env=env,
            check=True,
            capture_output=True,
        )
        object_id = subprocess.run(
            [*run, "snapshot", "t"], env=env, check=True, capture_output=True, text=True
        ).stdout.strip()
        result = subprocess.run(
            [*run, "dump", object_id, "-o", str(sg_home / "no" / "such" / "f")],
            env=env,
            capture_output=True,
            text=True,
            check=False,
        )
        assert result.returncode == 1
        assert result.stderr.startswith("sg: error: ") and "Traceback" not in result.stderr
    finally:
        server.drop_database(name)
