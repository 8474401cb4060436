"""An embedded engine started by root: the database superuser (who runs programs as the
server's OS user through `COPY ... TO PROGRAM`) cannot make root run anything, and the
server holds none of root's groups."""

from __future__ import annotations

import json
import os
import pwd
import shutil
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import suppress
from pathlib import Path

import psycopg
import pytest
from psycopg import sql
from typer.testing import CliRunner

from sg.adapters.provisioning.local_cluster import LocalCluster
from sg.adapters.provisioning.server_user import unprivileged_user
from sg.app.cli import app
from sg.app.cli.embedded import EmbeddedEngines
from sg.domain.errors import ConfigurationError

pytestmark = pytest.mark.skipif(
    os.geteuid() != 0, reason="the server runs as another OS user only when sg runs as root"
)
NAME = "victim"
STATE_FILE = "sg-cluster.json"


class Victim:
    """Root's embedded engine, started, and a place the attacker's programs report to."""

    def __init__(self, engines: EmbeddedEngines) -> None:
        self.engines = engines
        self.params = engines.ensure_running(NAME)
        self.base = engines.directory(NAME)
        self.cluster = LocalCluster.load(self.base)  # trusted now: stops the server at the end
        self.evil = Path(tempfile.gettempdir()) / f"sg-test-evil-{uuid.uuid4().hex[:12]}"
        self.ran_as = self.evil / "ran-as"

    def as_database_superuser(self, shell: str) -> None:
        """Run `shell` on the server through COPY TO PROGRAM, as the attacker would."""
        with psycopg.connect(
            host="127.0.0.1",
            port=int(self.params["SG_ENGINE_PORT"]),
            user=self.params["SG_ENGINE_USER"],
            password=self.params["SG_ENGINE_PWD"],
            dbname="postgres",
            autocommit=True,
        ) as conn:
            conn.execute(
                sql.SQL("COPY (SELECT 1) TO PROGRAM {}").format(sql.Literal(shell + "; true"))
            )

    def plant_programs(self) -> Path:
        """Server programs, written by the server's user, that record who ran them."""
        self.as_database_superuser(
            f"mkdir -m 755 -p {self.evil}/bin && chmod 777 {self.evil} && for p in initdb"
            f" pg_ctl postgres; do printf '#!/bin/sh\\nid -u >> {self.ran_as}\\n'"
            f" > {self.evil}/bin/$p; chmod 755 {self.evil}/bin/$p; done"
        )
        assert (self.evil / "bin" / "pg_ctl").is_file()
        return self.evil / "bin"

    def state_naming(self, bin_dir: Path, run_as: str | None) -> str:
        return json.dumps(
            {
                "bin_dir": str(bin_dir),
                "port": int(self.params["SG_ENGINE_PORT"]),
                "password": self.params["SG_ENGINE_PWD"],
                "run_as": run_as,
            }
        )

    def close(self) -> None:
        with suppress(Exception):
            self.cluster.stop()
        shutil.rmtree(self.evil, ignore_errors=True)


@pytest.fixture
def victim() -> Iterator[Victim]:
    home = Path(tempfile.mkdtemp(prefix="sg-test-home-"))
    home.chmod(0o755)
    engine = None
    try:
        engine = Victim(EmbeddedEngines(home / "data"))
        yield engine
    finally:
        if engine is not None:
            engine.close()
        shutil.rmtree(home, ignore_errors=True)


def postmaster_status(cluster: LocalCluster) -> dict[str, list[int]]:
    pid = int((cluster.data_dir / "postmaster.pid").read_text().split()[0])
    fields: dict[str, list[int]] = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, value = line.partition(":")
        if key in ("Uid", "Gid", "Groups"):
            fields[key] = [int(v) for v in value.split()]
    return fields


def test_the_database_superuser_cannot_rewrite_roots_engine_state(victim: Victim) -> None:
    bin_dir = victim.plant_programs()
    state = victim.base / STATE_FILE
    before = (state.read_bytes(), sorted(p.name for p in victim.base.iterdir()))
    forged = victim.state_naming(bin_dir, None).replace("'", "")
    victim.as_database_superuser(
        f"printf '%s' '{forged}' > {state} || {{ rm -f {state}; printf '%s' '{forged}'"
        f" > {state}; }}; touch {victim.base}/planted;"
        f" ln -sf /etc/shadow {victim.base}/server.log"
    )
    params = victim.engines.ensure_running(NAME)  # the next command run by root
    assert params["SG_ENGINE_PORT"] == victim.params["SG_ENGINE_PORT"]
    assert not victim.ran_as.exists(), "a program the database superuser wrote was run"
    assert (state.read_bytes(), sorted(p.name for p in victim.base.iterdir())) == before
    assert not (victim.base / "server.log").is_symlink()


@pytest.mark.parametrize("run_as", ["server user", "root"])
def test_a_state_file_naming_untrusted_binaries_is_refused(victim: Victim, run_as: str) -> None:
    bin_dir = victim.plant_programs()
    user = unprivileged_user() if run_as == "server user" else None
    forged = victim.state_naming(bin_dir, user)
    descriptor = os.open(victim.base / STATE_FILE, os.O_WRONLY | os.O_TRUNC)
    with os.fdopen(descriptor, "w") as out:
        out.write(forged)
    with pytest.raises(ConfigurationError, match="not trusted"):
        victim.engines.ensure_running(NAME)
    assert not victim.ran_as.exists(), "a program the database superuser wrote was run"


def test_a_state_file_naming_another_server_user_is_refused(victim: Victim) -> None:
    state = json.loads((victim.base / STATE_FILE).read_text())
    descriptor = os.open(victim.base / STATE_FILE, os.O_WRONLY | os.O_TRUNC)
    with os.fdopen(descriptor, "w") as out:
        json.dump({**state, "run_as": None}, out)
    with pytest.raises(ConfigurationError, match="run_as is None"):
        victim.engines.ensure_running(NAME)


def test_an_engine_folder_the_server_user_owns_is_refused(victim: Victim) -> None:
    """The layout older versions made: the state file sat in the server user's folder."""
    server_user = pwd.getpwnam(str(unprivileged_user()))
    os.chown(victim.base, server_user.pw_uid, server_user.pw_gid)
    with pytest.raises(ConfigurationError, match="older versions of sg") as refused:
        victim.engines.ensure_running(NAME)
    assert "chmod 711" in str(refused.value)
    result = CliRunner().invoke(
        app, ["--engine", NAME, "sql", "SELECT 1"], env={"SG_DATA_DIR": str(victim.engines.root)}
    )
    assert result.exit_code == 1 and isinstance(result.exception, ConfigurationError)
    assert "\n" not in str(result.exception)  # `sg` shows one `sg: error:` line


def test_engines_are_not_made_where_the_server_user_can_write() -> None:
    server_user = pwd.getpwnam(str(unprivileged_user()))
    home = Path(tempfile.mkdtemp(prefix="sg-test-home-"))
    try:
        home.chmod(0o755)
        os.chown(home, server_user.pw_uid, server_user.pw_gid)
        engines = EmbeddedEngines(home / "data")
        with pytest.raises(ConfigurationError, match=f"owned by uid {server_user.pw_uid}"):
            engines.ensure_running(NAME)
        assert not engines.directory(NAME).exists()
    finally:
        shutil.rmtree(home, ignore_errors=True)


def test_the_server_runs_without_roots_user_or_groups(victim: Victim) -> None:
    status = postmaster_status(victim.cluster)
    assert 0 not in status["Uid"]
    assert 0 not in status["Gid"], status
    assert 0 not in status["Groups"], status
    server_user = pwd.getpwnam(str(unprivileged_user()))
    assert status["Gid"][0] == server_user.pw_gid
    own_groups = os.getgrouplist(server_user.pw_name, server_user.pw_gid)
    assert {*status["Groups"], server_user.pw_gid} == set(own_groups)
