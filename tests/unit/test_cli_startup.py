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
