"""The installed `sg` console script, run as a subprocess against an embedded engine."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

SG = str(Path(sys.executable).with_name("sg"))


def _sg(env: dict[str, str], *args: str, code: int = 0) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(
        [SG, *args], env=env, capture_output=True, text=True, check=False, timeout=120
    )
    assert result.returncode == code, (args, result.stdout, result.stderr)
    return result


def test_installed_command_against_an_embedded_engine(sg_home: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SG_ENGINE_")}
    assert "Git-like plumbing" in _sg(env, "--help").stdout
    _sg(env, "sql", "CREATE TABLE notes (id int PRIMARY KEY, body text)")
    _sg(env, "track", "notes")
    _sg(env, "sql", "INSERT INTO notes VALUES (1, 'first'), (2, 'second')")
    assert json.loads(_sg(env, "status", "--json").stdout)[0]["added"] == 2
    object_id = _sg(env, "commit", "public.notes").stdout.strip()
    assert [o["id"] for o in json.loads(_sg(env, "objects", "--json").stdout)] == [object_id]
    failed = _sg(env, "diff", "public.nothing", code=1)
    assert failed.stderr.startswith("sg: error: ") and "Traceback" not in failed.stderr
    _sg(env, "diff", "--limit", "x", "notes", code=2)
    quiet = _sg(env, "--quiet", "engine", "stop")
    assert quiet.stderr == ""
    assert json.loads(_sg(env, "engine", "status", "--json").stdout)[0]["running"] is False
