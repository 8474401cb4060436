"""The command line's default engine: a local PostgreSQL server in the user's data directory.

It is started on first use from the same provisioning code as the tests and stays up
between commands until `sg engine stop`. It listens on 127.0.0.1 and a private unix socket,
with a generated password kept in a state file only the invoking user can read.
"""

from __future__ import annotations

import fcntl
import os
import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import platformdirs

from sg.adapters.provisioning.local_cluster import LocalCluster
from sg.domain.errors import ConfigurationError

DEFAULT_ENGINE = "default"
DATABASE = "sg"
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,40}$")


def data_root() -> Path:
    """Where embedded engines live: `SG_DATA_DIR`, else the user's data directory.

    As root the server runs as an unprivileged user that cannot enter root's home, so root's
    engines live under /var/lib/sg instead (no parent directory is ever loosened).
    """
    configured = os.environ.get("SG_DATA_DIR")
    if configured:
        return Path(configured)
    if os.geteuid() == 0:
        return Path("/var/lib/sg")
    return Path(platformdirs.user_data_dir("sg"))


@dataclass(frozen=True)
class EngineStatus:
    """What `sg engine status` reports about one embedded engine."""

    name: str
    exists: bool
    running: bool
    port: int | None
    data_dir: Path


class EmbeddedEngines:
    """Creates, starts, stops and describes named embedded engines under one root."""

    def __init__(self, root: Path | None = None) -> None:
        self.root = root or data_root()

    def directory(self, name: str) -> Path:
        """The directory of engine `name` (validated)."""
        if not _NAME.match(name):
            raise ConfigurationError(
                f"engine name {name!r} must be letters, digits, '-' or '_' (at most 41)"
            )
        return self.root / "engines" / name

    def ensure_running(
        self, name: str = DEFAULT_ENGINE, on_start: Callable[[str], None] | None = None
    ) -> dict[str, str]:
        """Create engine `name` if needed, start it if stopped (telling `on_start(name)`
        first), and return its connection parameters."""
        with self._locked(name):  # two commands starting one engine must not race
            cluster = self._existing(name) or self._create(name)
            if not cluster.is_running():
                if on_start is not None:
                    on_start(name)
                cluster.start()
            return cluster.conn_params(DATABASE)

    def stop(self, name: str = DEFAULT_ENGINE) -> bool:
        """Stop engine `name`; True when it was running."""
        with self._locked(name):
            cluster = self._existing(name)
            if cluster is None or not cluster.is_running():
                return False
            cluster.stop()
            return True

    def status(self, name: str = DEFAULT_ENGINE) -> EngineStatus:
        """Whether engine `name` exists and runs, and on which port."""
        cluster = self._existing(name)
        if cluster is None:
            return EngineStatus(name, False, False, None, self.directory(name))
        return EngineStatus(name, True, cluster.is_running(), cluster.port, cluster.data_dir)

    def names(self) -> list[str]:
        """Every embedded engine created under this root."""
        folder = self.root / "engines"
        if not folder.is_dir():
            return []
        return sorted(p.name for p in folder.iterdir() if p.is_dir() and LocalCluster.exists(p))

    @contextmanager
    def _locked(self, name: str) -> Iterator[None]:
        folder = self.directory(name).parent
        _make_folders(folder)
        with (folder / f".{name}.lock").open("a") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)

    def _existing(self, name: str) -> LocalCluster | None:
        base = self.directory(name)
        return LocalCluster.load(base) if LocalCluster.exists(base) else None

    def _create(self, name: str) -> LocalCluster:
        base = self.directory(name)
        _make_folders(base.parent)
        return LocalCluster.create(base)


def _make_folders(folder: Path) -> None:
    """Create `folder` and missing parents writable by their owner only, whatever the umask
    (an engine's state must sit under folders no one else can change)."""
    missing = [p for p in [folder, *folder.parents] if not p.exists()]
    for path in reversed(missing):
        path.mkdir(mode=0o755, exist_ok=True)
        path.chmod(0o755)
