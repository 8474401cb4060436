"""The installed `sg` as a shell sees it: version, help, completion, quiet, one-line endings."""

from __future__ import annotations

import json
import os
import shlex
import signal
import subprocess
import sys
import time
from importlib.metadata import version
from pathlib import Path

from tests.support.cli import CliWorld
from tests.support.servers import TestServer

SG = str(Path(sys.executable).with_name("sg"))
COMMANDS = [
    "init", "track", "untrack", "tracked", "status", "diff", "discard", "snapshot", "commit",
    "objects", "checkout", "dump", "load", "push", "pull", "sql", "log", "show", "tag", "gc",
    "clone",
    "engine start", "engine stop", "engine status", "engine env",
]  # fmt: skip


def _env(cli: CliWorld | None = None) -> dict[str, str]:
    base = {k: v for k, v in os.environ.items() if not k.startswith("SG_ENGINE_")}
    return {**base, **(cli.env if cli else {})}


def _sg(env: dict[str, str], *args: str, code: int = 0) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(
        [SG, *args], env=env, capture_output=True, text=True, check=False, timeout=120
    )
    assert result.returncode == code, (args, result.stdout, result.stderr)
    return result


def test_version_help_and_completion(sg_home: Path) -> None:
    env = _env()
    assert _sg(env, "--version").stdout == f"sg {version('sg')}\n"
    for command in COMMANDS:
        text = _sg(env, *command.split(), "--help").stdout
        for python_word in ("<str>", "<int", "<bool>", "<path>", "list[str]", "{", "range"):
            assert python_word not in text, (command, text)
    assert "SCHEMA.TABLE..." in _sg(env, "track", "--help").stdout
    assert "--limit N" in _sg(env, "diff", "--help").stdout
    # The script is for the shell sg runs under (found among its parent processes), as when
    # a user types the command into bash; `; true` keeps bash from replacing itself with sg.
    shown = subprocess.run(
        ["bash", "-c", f"{SG} --show-completion; true"],
        env=env, capture_output=True, text=True, check=True, timeout=120,
    )  # fmt: skip
    script = shown.stdout
    assert "complete" in script and "_SG_COMPLETE" in script
    words = {**env, "_SG_COMPLETE": "complete_bash", "COMP_WORDS": "sg tra", "COMP_CWORD": "1"}
    assert _sg(words).stdout.split() == ["track", "tracked"]


def test_quiet_anywhere_and_stderr_without_blank_lines(cli: CliWorld, sg_home: Path) -> None:
    env = _env(cli)
    _sg(env, "sql", "CREATE TABLE t (id int PRIMARY KEY)")
    assert _sg(env, "track", "t", "--quiet").stderr == ""
    assert _sg(env, "-q", "untrack", "t").stderr == ""
    untracked = _sg(env, "diff", "public.t", code=1).stderr
    assert untracked == (
        "sg: error: table public.t is not tracked; start tracking it first"
        " (sg track SCHEMA.TABLE)\n"
    )
    object_id = _sg(env, "snapshot", "t").stdout.strip()
    dumped = _sg(env, "dump", object_id, "-o", str(sg_home / "t.sgdump"))
    assert dumped.stderr.startswith("wrote ") and "" not in dumped.stderr.splitlines()
    failed = _sg(env, "load", str(sg_home / "missing.sgdump"), code=1)
    assert failed.stderr == f"sg: error: {sg_home / 'missing.sgdump'} does not exist\n"
    usage = _sg(env, "diff", "--limit", "x", "t", code=2)
    assert len(usage.stderr.splitlines()) == 1 and usage.stderr.startswith("sg: error: ")


def test_ctrl_c_mid_operation_keeps_nothing(cli: CliWorld) -> None:
    env = _env(cli)
    running = subprocess.Popen(
        [SG, "sql", "CREATE TABLE kept (id int); SELECT pg_sleep(60)"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    deadline = time.monotonic() + 30
    sleeping = "SELECT count(*) AS n FROM pg_stat_activity WHERE query LIKE '%pg_sleep(60)'"
    # the probe does not count itself: its own text ends in a quote
    while json.loads(_sg(env, "sql", "--json", sleeping).stdout)[0]["n"] < 1:
        assert time.monotonic() < deadline, "the statement never started"
        time.sleep(0.1)
    running.send_signal(signal.SIGINT)
    out, err = running.communicate(timeout=30)
    assert (running.returncode, out, err) == (130, "", "sg: interrupted; nothing was kept\n")
    gone = _sg(env, "sql", "--json", "SELECT to_regclass('kept') IS NULL AS gone").stdout
    assert json.loads(gone) == [{"gone": True}]


def test_ctrl_c_while_starting_up_is_one_line(sg_home: Path) -> None:
    interrupt_on_import = (
        "import builtins\n"
        "real = builtins.__import__\n"
        "def fake(name, *args, **kwargs):\n"
        "    if name == 'sg.app.cli.main':\n"
        "        raise KeyboardInterrupt\n"
        "    return real(name, *args, **kwargs)\n"
        "builtins.__import__ = fake\n"
        "from sg.app.cli import main\n"
        "main()\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", interrupt_on_import],
        env=_env(),
        capture_output=True,
        text=True,
        check=False,
    )
    assert (result.returncode, result.stderr) == (130, "sg: interrupted; nothing was kept\n")


def test_engine_env_for_shells_and_programs_and_a_restart_is_announced(
    cli: CliWorld, sg_home: Path
) -> None:
    env = _env()
    _sg(env, "engine", "start", "other")
    lines = _sg(env, "engine", "env", "other").stdout.splitlines()
    settings = json.loads(_sg(env, "engine", "env", "other", "--json").stdout)
    assert all(line.startswith("export SG_ENGINE_") for line in lines)
    parsed = dict(shlex.split(line)[1].split("=", 1) for line in lines)
    assert parsed == settings
    assert {"SG_ENGINE_HOST", "SG_ENGINE_PORT", "SG_ENGINE_USER", "SG_ENGINE_PWD"} <= set(parsed)
    shell = f'eval "$({shlex.quote(SG)} engine env other)"; {shlex.quote(SG)} sql "SELECT 1 AS one"'
    ran = subprocess.run(["bash", "-c", shell], env=env, capture_output=True, text=True, check=True)
    assert ran.stdout.split() == ["one", "-----", "1", "(1", "row)"]
    _sg(env, "engine", "stop", "other")
    local = _env(cli)
    _sg(local, "sql", "CREATE TABLE t (id int PRIMARY KEY)")
    object_id = _sg(local, "snapshot", "t").stdout.strip()
    pushed = _sg(local, "push", object_id, "--to", "other")
    assert "starting embedded engine other" in pushed.stderr
    assert _sg(env, "engine", "env", "nosuch", code=1).stderr.startswith("sg: error: no embedded")


def test_errors_name_commands_not_library_calls(sg_home: Path, server: TestServer) -> None:
    name = server.create_database()
    try:
        result = _sg({**_env(), **server.params(name)}, "tracked", code=1)
        assert (
            result.stderr
            == "sg: error: the engine's database is not initialized for sg; run sg init\n"
        )
    finally:
        server.drop_database(name)
