"""Fixtures for command-line tests: an isolated data root, config file and environment."""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from sg.app.embedded import EmbeddedEngines


@pytest.fixture
def sg_home(monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A fresh SG_DATA_DIR and SG_CONFIG; every embedded engine in it is stopped afterwards."""
    # not pytest's tmp_path: under root it is 0700 and the unprivileged server could not enter it
    home = Path(tempfile.mkdtemp(prefix="sg-test-home-"))
    home.chmod(0o755)
    monkeypatch.setenv("SG_DATA_DIR", str(home / "data"))
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
