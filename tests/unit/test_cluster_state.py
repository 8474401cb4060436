"""The embedded engine's state file: every field checked, anything others could change refused."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest

from sg.adapters.provisioning.cluster_state import STATE_FILE, ClusterState, read_state, write_state
from sg.adapters.provisioning.server_user import unprivileged_user
from sg.domain.errors import ConfigurationError


@pytest.fixture
def base(tmp_path: Path) -> Path:
    """A cluster folder of ours holding stand-in server programs and a valid state."""
    folder = tmp_path / "engine"
    folder.mkdir(mode=0o700)
    bin_dir = tmp_path / "pg" / "bin"
    bin_dir.mkdir(parents=True)
    for program in ("initdb", "pg_ctl", "postgres"):
        (bin_dir / program).write_text("#!/bin/sh\n")
        (bin_dir / program).chmod(0o755)
    write_state(folder, ClusterState(bin_dir, 5433, "secret", unprivileged_user()))
    return folder


def rewrite(base: Path, **changes: Any) -> None:
    state = json.loads((base / STATE_FILE).read_text())
    (base / STATE_FILE).write_text(json.dumps({**state, **changes}))


def test_a_state_we_wrote_reads_back(base: Path) -> None:
    state = read_state(base)
    assert (state.port, state.password, state.run_as) == (5433, "secret", unprivileged_user())
    assert "secret" not in repr(state)
    assert (base / STATE_FILE).stat().st_mode & 0o777 == 0o600


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"port": "5433"}, "port '5433' is not a number"),
        ({"port": True}, "port True is not a number"),
        ({"port": 80}, "outside 1024-65535"),
        ({"password": ""}, "password is missing"),
        ({"bin_dir": "relative/bin"}, "not an absolute path"),
        ({"bin_dir": "/nonexistent/bin"}, "cannot be resolved"),
        ({"run_as": "daemon"}, "run_as is 'daemon'"),
    ],
)
def test_a_bad_field_is_refused(base: Path, changes: dict[str, Any], message: str) -> None:
    rewrite(base, **changes)
    with pytest.raises(ConfigurationError, match=message):
        read_state(base)


def test_binaries_others_may_change_are_refused(base: Path) -> None:
    program = Path(json.loads((base / STATE_FILE).read_text())["bin_dir"]) / "pg_ctl"
    program.chmod(0o777)
    with pytest.raises(ConfigurationError, match="writable by its group or others"):
        read_state(base)


def test_a_state_file_open_to_others_is_refused(base: Path) -> None:
    (base / STATE_FILE).chmod(0o644)
    with pytest.raises(ConfigurationError, match="open to its group or others"):
        read_state(base)


def test_a_folder_others_may_write_is_refused(base: Path) -> None:
    base.chmod(0o733)
    with pytest.raises(ConfigurationError, match="writable by its group or others"):
        read_state(base)


def test_a_state_file_that_is_a_symlink_is_refused(base: Path, tmp_path: Path) -> None:
    real = tmp_path / "elsewhere.json"
    (base / STATE_FILE).rename(real)
    (base / STATE_FILE).symlink_to(real)
    with pytest.raises(ConfigurationError, match="not a regular file"):
        read_state(base)


def test_garbage_is_refused(base: Path) -> None:
    (base / STATE_FILE).write_text("[1, 2]")
    with pytest.raises(ConfigurationError, match="JSON object"):
        read_state(base)
    (base / STATE_FILE).write_text("{")
    with pytest.raises(ConfigurationError, match="unreadable"):
        read_state(base)


def test_the_folder_must_be_ours(base: Path) -> None:
    if os.geteuid() != 0:
        pytest.skip("only root can give the folder away")
    os.chown(base, 65534, 65534)
    with pytest.raises(ConfigurationError, match="not by you"):
        read_state(base)
