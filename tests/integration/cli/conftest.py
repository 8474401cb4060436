"""Fixtures for command-line tests: an isolated data root, config file and environment."""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from sg.app.cli.embedded import EmbeddedEngines
from tests.support.cli import CliWorld
from tests.support.servers import TestServer


@pytest.fixture
def sg_home(monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A fresh SG_DATA_DIR and SG_CONFIG; every embedded engine in it is stopped afterwards."""
    # not pytest's tmp_path: under root it is 0700 and the unprivileged server could not enter it
    home = Path(tempfile.mkdtemp(prefix="sg-test-home-"))
    home.chmod(0o755)
    monkeypatch.setenv("SG_DATA_DIR", str(home / "data"))
    (home / "config.toml").write_text("")  # SG_CONFIG must name a file that exists
    monkeypatch.setenv("SG_CONFIG", str(home / "config.toml"))
    for key in list(os.environ):
        if key.startswith("SG_ENGINE_"):
            monkeypatch.delenv(key)
    try:
        yield home
    finally:
        engines = EmbeddedEngines(home / "data")
        for name in engines.names():
            engines.stop(name)
        shutil.rmtree(home, ignore_errors=True)


@pytest.fixture
def runner() -> CliRunner:
    """Typer's test runner."""
    return CliRunner()


@pytest.fixture
def cli(
    sg_home: Path, runner: CliRunner, server: TestServer, remote_server: TestServer
) -> Iterator[CliWorld]:
    """Engines `a` (default, on the first server) and `b` (on the second), initialized."""
    made = [(server, server.create_database()), (remote_server, remote_server.create_database())]
    lines = []
    for label, (target, name) in zip("ab", made, strict=True):
        lines.append(f"[remotes.{label}]")
        lines += [f'{k} = "{v}"' for k, v in target.params(name).items()]
    (sg_home / "config.toml").write_text("\n".join(lines) + "\n")
    world = CliWorld(runner, made[0][0].params(made[0][1]))
    world.sg("init")
    world.sg("--engine", "b", "init")
    try:
        yield world
    finally:
        for target, name in made:
            target.drop_database(name)
