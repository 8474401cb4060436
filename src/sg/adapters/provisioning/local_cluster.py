"""Throwaway or long-lived local PostgreSQL clusters driven from initdb and pg_ctl.

Shared by the test fixtures and the command line's embedded engine. When run as root the
server binaries run as an unprivileged user (PostgreSQL refuses to run as root) with that
user's own groups. The cluster folder stays the invoking user's: only the data, socket and
log inside it are given to the server's user, so the state file beside them, which decides
what runs, cannot be changed by the server (see `cluster_state`).
"""

from __future__ import annotations

import glob
import os
import pwd
import secrets
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from sg.adapters.provisioning.cluster_state import (
    STATE_FILE,
    ClusterState,
    read_state,
    recorded_owner_pid,
    require_private_folder,
    write_state,
)
from sg.adapters.provisioning.pg_binaries import (
    bin_dir_reason,
    find_bin_dir,
    server_env,
    usable_bin_dir,
)
from sg.adapters.provisioning.server_user import ServerIdentity, run_as, unprivileged_user
from sg.domain.errors import ConfigurationError, EngineConnectionError

SUPERUSER = "sg"
_SERVER_SETTINGS = {
    "listen_addresses": "'127.0.0.1'",
    "fsync": "off",
    "synchronous_commit": "off",
    "full_page_writes": "off",
    "max_connections": "60",
    "shared_buffers": "128MB",
    "max_wal_size": "2GB",
    "log_min_messages": "warning",
}


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class LocalCluster:
    """One PostgreSQL cluster in `base_dir`: data, socket, log and its state file."""

    base_dir: Path
    bin_dir: Path
    port: int
    password: str
    run_as: str | None

    @property
    def data_dir(self) -> Path:
        """The cluster's data directory."""
        return self.base_dir / "data"

    @property
    def socket_dir(self) -> Path:
        """The private unix-socket directory."""
        return self.base_dir / "socket"

    @property
    def log_file(self) -> Path:
        """The server log."""
        return self.base_dir / "server.log"

    def __repr__(self) -> str:
        return f"LocalCluster({str(self.base_dir)!r}, port={self.port})"

    def conn_params(self, dbname: str = "postgres") -> dict[str, str]:
        """`SG_ENGINE_*` parameters for `dbname` as the cluster's superuser over TCP."""
        return {
            "SG_ENGINE_HOST": "127.0.0.1",
            "SG_ENGINE_PORT": str(self.port),
            "SG_ENGINE_USER": SUPERUSER,
            "SG_ENGINE_PWD": self.password,
            "SG_ENGINE_DB_NAME": dbname,
            "SG_ENGINE_POSTGRES_DB_NAME": "postgres",
        }

    @property
    def server_identity(self) -> ServerIdentity | None:
        """Who the server programs run as (None: as ourselves)."""
        return None if self.run_as is None else ServerIdentity.of(self.run_as)

    @classmethod
    def create(
        cls,
        base_dir: Path,
        bin_dir: Path | None = None,
        settings: Mapping[str, str] | None = None,
    ) -> LocalCluster:
        """initdb a new cluster in the empty (or missing) `base_dir`; not started yet.

        `settings` are extra `postgresql.conf` lines (values as the file spells them).
        """
        fresh = not base_dir.exists() or not any(base_dir.iterdir())
        try:
            return cls._initdb(base_dir, bin_dir, settings or {})
        except BaseException:
            if fresh:  # leave nothing half-made behind: the next attempt starts clean
                shutil.rmtree(base_dir, ignore_errors=True)
            raise

    @classmethod
    def _initdb(
        cls, base_dir: Path, bin_dir: Path | None, settings: Mapping[str, str]
    ) -> LocalCluster:
        user = unprivileged_user()
        base_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
        require_private_folder(base_dir)
        if user is not None:
            base_dir.chmod(0o711)  # the server's user may pass through, not list or write
            _require_reachable(base_dir, user)
        binaries = usable_bin_dir(bin_dir or find_bin_dir(), user)
        problem = bin_dir_reason(binaries)
        if problem is not None:
            raise ConfigurationError(f"the PostgreSQL binaries cannot be trusted: {problem}")
        cluster = cls(base_dir, binaries, free_port(), secrets.token_urlsafe(24), user)
        cluster.data_dir.mkdir(mode=0o700)
        cluster.socket_dir.mkdir(mode=0o700)
        _write_private(cluster.log_file, "")
        password_file = base_dir / "initdb.pw"
        _write_private(password_file, cluster.password)
        cluster._give_to_server_user(
            cluster.data_dir, cluster.socket_dir, cluster.log_file, password_file
        )
        try:
            cluster._run(
                "initdb",
                "--no-sync",
                "-D",
                str(cluster.data_dir),
                "-U",
                SUPERUSER,
                "--pwfile",
                str(password_file),
                "-A",
                "scram-sha-256",
                "-E",
                "UTF8",
                "--locale",
                "C",
            )
        finally:
            password_file.unlink(missing_ok=True)
        with (cluster.data_dir / "postgresql.conf").open("a") as conf:
            for key, value in {**_SERVER_SETTINGS, **settings}.items():
                conf.write(f"{key} = {value}\n")
            socket_dir = str(cluster.socket_dir).replace("'", "''")
            conf.write(f"unix_socket_directories = '{socket_dir}'\n")
        cluster.save_state()
        return cluster

    @staticmethod
    def exists(base_dir: Path) -> bool:
        """True when `base_dir` holds a cluster created by `create`."""
        return (base_dir / STATE_FILE).is_file() and (base_dir / "data" / "PG_VERSION").is_file()

    @classmethod
    def load(cls, base_dir: Path) -> LocalCluster:
        """The cluster previously created in `base_dir`, once its state file proved trusted;
        `ConfigurationError` (saying how to recover) otherwise."""
        state = read_state(base_dir)
        return cls(base_dir, state.bin_dir, state.port, state.password, state.run_as)

    def save_state(self) -> None:
        """Record port, password and binaries so another process can reach this cluster."""
        write_state(
            self.base_dir, ClusterState(self.bin_dir, self.port, self.password, self.run_as)
        )

    def start(self, timeout_s: int = 30) -> None:
        """Start the server and wait until it accepts connections; re-pick a taken port."""
        for _attempt in range(3):
            log_start = self.log_file.stat().st_size if self.log_file.exists() else 0
            result = self._run(
                "pg_ctl",
                "-D",
                str(self.data_dir),
                "-l",
                str(self.log_file),
                "-o",
                f"-p {self.port}",
                "-w",
                "-t",
                str(timeout_s),
                "start",
                check=False,
            )
            if result.returncode == 0:
                return
            new_lines = self._log_tail(log_start)
            if "could not bind" not in new_lines and "in use" not in new_lines:
                break
            self.port = free_port()
            self.save_state()
        raise EngineConnectionError(
            f"PostgreSQL in {self.base_dir} did not start:\n{self._log_tail()}"
        )

    def is_running(self) -> bool:
        """True when the server of this cluster is up."""
        if not self.data_dir.exists():
            return False
        return self._run("pg_ctl", "-D", str(self.data_dir), "status", check=False).returncode == 0

    def stop(self, mode: str = "fast") -> None:
        """Stop the server if it runs (`mode`: smart, fast or immediate)."""
        if self.is_running():
            self._run("pg_ctl", "-D", str(self.data_dir), "-m", mode, "-w", "stop")

    def destroy(self) -> None:
        """Stop the server at once and remove every file of the cluster."""
        try:
            self.stop(mode="immediate")
        finally:
            shutil.rmtree(self.base_dir, ignore_errors=True)

    def _give_to_server_user(self, *paths: Path) -> None:
        identity = self.server_identity
        if identity is None:
            return
        for path in paths:
            os.chown(path, identity.uid, identity.gid, follow_symlinks=False)

    def _run(
        self, program: str, *args: str, check: bool = True
    ) -> subprocess.CompletedProcess[str]:
        command = [str(self.bin_dir / program), *args]
        try:
            result = run_as(
                command,
                self.server_identity,
                cwd=self.base_dir,
                env=server_env(self.bin_dir),
                timeout=120,
            )
        except subprocess.TimeoutExpired:
            raise EngineConnectionError(f"{program} did not finish within 120 s") from None
        if check and result.returncode != 0:
            raise EngineConnectionError(
                f"{program} failed ({result.returncode}): {result.stderr.strip()[-2000:]}"
            )
        return result

    def _log_tail(self, start: int = 0) -> str:
        try:
            with self.log_file.open("rb") as log:
                log.seek(max(start, self.log_file.stat().st_size - 4000))
                return log.read().decode(errors="replace")[-2000:]
        except OSError:
            return "(no server log)"


def _require_reachable(folder: Path, user: str) -> None:
    """Fail clearly when `user` cannot enter `folder`; parents are never loosened for it."""
    uid = pwd.getpwnam(user).pw_uid
    for path in [folder.resolve(), *folder.resolve().parents]:
        info = path.stat()
        if not (info.st_mode & 0o001 or (info.st_uid == uid and info.st_mode & 0o100)):
            raise ConfigurationError(
                f"the PostgreSQL server runs as {user!r}, who cannot enter {path}; "
                "choose a data directory outside it (e.g. set SG_DATA_DIR)"
            )


def reap_orphans(prefix: str) -> None:
    """Destroy clusters under the temp dir named `prefix*` whose owning process has died.

    Clusters whose state is not trusted (someone else's, or an older layout) are left alone.
    """
    for state in glob.glob(os.path.join(tempfile.gettempdir(), f"{prefix}*", STATE_FILE)):
        base = Path(state).parent
        owner = recorded_owner_pid(base)
        if not owner or _alive(owner):
            continue
        try:
            cluster = LocalCluster.load(base)
        except ConfigurationError:
            continue
        cluster.destroy()


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _write_private(path: Path, text: str) -> None:
    """Write `text` to a file only its owner can read, from its first byte on."""
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as out:
        out.write(text)
