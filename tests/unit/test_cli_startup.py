"""Start-up of the command line: help and usage load none of the heavy libraries."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

HEAVY = [
    "psycopg",
    "dependency_injector",
    "pydantic",
    "rich",
    "asyncio",
    "sg.app.container",
    "sg.app.facades.object_engine",
    "sg.domain.versions",
]
PROBE = """
import json, sys
from sg.app.cli import main
heavy = json.loads(sys.argv[2])
sys.argv = ["sg", *json.loads(sys.argv[1])]
try:
    main()
except SystemExit:
    pass
print(json.dumps(sorted(m for m in heavy if m in sys.modules)),
      file=sys.stderr)
"""


@pytest.mark.parametrize(
    "args", [["--help"], ["commit", "--help"], ["log", "--help"], ["diff", "--help"]]
)
def test_help_loads_no_heavy_library(args: list[str]) -> None:
    done = subprocess.run(
        [sys.executable, "-c", PROBE, json.dumps(args), json.dumps(HEAVY)],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    assert json.loads(done.stderr.splitlines()[-1]) == []


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["tracked"], "tracked"),
        (["-q", "--engine", "log", "log", "shop"], "log"),
        (["-e", "tracked", "status"], "status"),
        (["--engine=x", "engine", "start"], "engine"),
        (["--help"], None),
        (["--version"], None),
        (["nosuch", "tracked"], None),
        ([], None),
    ],
)
def test_invoked_command_skips_global_options(args: list[str], expected: str | None) -> None:
    from sg.app.cli.main import invoked_command

    assert invoked_command(args) == expected


def test_a_run_builds_only_the_invoked_command() -> None:
    from typer.main import get_command

    from sg.app.cli.main import app, build_app

    def names(built: object) -> set[str]:
        group = get_command(built)  # type: ignore[arg-type]
        return set(group.commands)  # type: ignore[attr-defined]

    assert names(build_app(["tracked"])) == {"tracked"}
    assert names(build_app(["engine"])) == {"engine"}
    assert {"tracked", "engine", "log", "sql"} <= names(app)


@pytest.mark.parametrize("args", [["tracked", "--help"], ["engine", "env", "--help"]])
def test_a_single_command_run_keeps_its_help(args: list[str]) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "sg", *args], capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    assert f"sg {' '.join(args[:-1])} [OPTIONS]" in done.stdout
