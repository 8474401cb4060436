"""A local cluster's state file: which binaries run, as whom, on which port, with which password.

The file decides what sg executes (as root, for root's engines), so it lives in a folder
only the invoking user can write, never in one the server's OS user owns, and every field
is checked before use. A file that fails any check is refused, never repaired silently.
"""

from __future__ import annotations

import json
import os
import pwd
import stat
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sg.adapters.provisioning.pg_binaries import bin_dir_reason
from sg.adapters.provisioning.server_user import unprivileged_user
from sg.adapters.provisioning.trusted_paths import private_file_reason, untrusted_reason
from sg.domain.errors import ConfigurationError

STATE_FILE = "sg-cluster.json"
_LOWEST_PORT = 1024


@dataclass(frozen=True)
class ClusterState:
    """What another process needs to reach and drive a cluster; the password never in repr."""

    bin_dir: Path
    port: int
    password: str = field(repr=False)
    run_as: str | None


def write_state(base_dir: Path, state: ClusterState) -> None:
    """Record `state` in `base_dir`, readable and writable by its owner only."""
    text = json.dumps(
        {
            "bin_dir": str(state.bin_dir),
            "port": state.port,
            "password": state.password,
            "run_as": state.run_as,
            "owner_pid": os.getpid(),
        }
    )
    target = base_dir / STATE_FILE
    staging = base_dir / f".{STATE_FILE}.{os.getpid()}"
    staging.unlink(missing_ok=True)  # left by a process that died with our pid
    descriptor = os.open(staging, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(descriptor, "w", encoding="utf-8") as out:
            out.write(text)
        staging.replace(target)
    except BaseException:
        staging.unlink(missing_ok=True)
        raise


def read_state(base_dir: Path) -> ClusterState:
    """The validated state in `base_dir`; `ConfigurationError` saying how to recover if the
    folder or file could have been changed by someone else or holds anything unexpected."""
    require_private_folder(base_dir)
    path = base_dir / STATE_FILE
    problem = private_file_reason(path)
    if problem is not None:
        raise _refused(base_dir, problem)
    try:
        raw: Any = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise _refused(base_dir, f"{path} is unreadable ({exc})") from None
    if not isinstance(raw, dict):
        raise _refused(base_dir, f"{path} does not hold a JSON object")
    state = ClusterState(
        _bin_dir(raw.get("bin_dir"), base_dir),
        _port(raw.get("port"), base_dir),
        _password(raw.get("password"), base_dir),
        _run_as(raw.get("run_as"), base_dir),
    )
    problem = bin_dir_reason(state.bin_dir)
    if problem is not None:
        raise _refused(base_dir, f"its binaries cannot be trusted: {problem}")
    return state


def recorded_owner_pid(base_dir: Path) -> int | None:
    """The process that created the cluster, as recorded (unverified: only for reaping)."""
    try:
        value = json.loads((base_dir / STATE_FILE).read_text(encoding="utf-8")).get("owner_pid")
    except (OSError, ValueError, AttributeError):
        return None
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def require_private_folder(base_dir: Path) -> None:
    """Refuse a cluster folder that someone other than us (or root above it) could change."""
    try:
        info = base_dir.lstat()
    except OSError as exc:
        raise _refused(base_dir, f"{base_dir} cannot be examined ({exc})") from None
    if not stat.S_ISDIR(info.st_mode):
        raise _refused(base_dir, f"{base_dir} is not a folder")
    if info.st_uid != os.geteuid():
        raise _foreign_folder(base_dir, info.st_uid)
    problem = untrusted_reason(base_dir)
    if problem is not None:
        raise _refused(base_dir, problem)


def _foreign_folder(base_dir: Path, uid: int) -> ConfigurationError:
    try:
        owner = pwd.getpwuid(uid).pw_name
    except KeyError:
        owner = f"uid {uid}"
    return ConfigurationError(
        f"the engine folder {base_dir} is owned by {owner}, not by you (older versions of sg"
        " gave it to the server's user): whoever controls the database server could have"
        f" rewritten {STATE_FILE} there, so sg will not use it. To keep its data, stop its"
        f" server as {owner}, check that {STATE_FILE}'s bin_dir and run_as are what sg wrote,"
        f" then run `chown {os.geteuid()} {base_dir} {base_dir / STATE_FILE}` and"
        f" `chmod 711 {base_dir}`; or remove {base_dir} to start afresh (its data is lost)"
    )


def _refused(base_dir: Path, problem: str) -> ConfigurationError:
    return ConfigurationError(
        f"the engine in {base_dir} is not trusted: {problem}. sg runs what its state file"
        f" names, so it will not use it; fix that, or remove {base_dir} to start afresh"
        " (its data is lost)"
    )


def _bin_dir(value: object, base_dir: Path) -> Path:
    if not isinstance(value, str) or not value.startswith("/"):
        raise _refused(base_dir, f"bin_dir {value!r} is not an absolute path")
    return Path(value)


def _port(value: object, base_dir: Path) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise _refused(base_dir, f"port {value!r} is not a number")
    if not _LOWEST_PORT <= value <= 65535:
        raise _refused(base_dir, f"port {value} is outside {_LOWEST_PORT}-65535")
    return value


def _password(value: object, base_dir: Path) -> str:
    if not isinstance(value, str) or not value:
        raise _refused(base_dir, "its password is missing")
    return value


def _run_as(value: object, base_dir: Path) -> str | None:
    expected = unprivileged_user()
    if value != expected:
        who = "yourself" if expected is None else f"{expected!r}"
        raise _refused(base_dir, f"run_as is {value!r}, but the server must run as {who}")
    return expected
