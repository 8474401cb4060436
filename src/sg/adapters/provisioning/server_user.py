"""The unprivileged OS user PostgreSQL runs as when sg runs as root, with its own groups."""

from __future__ import annotations

import os
import pwd
import subprocess
from dataclasses import dataclass
from pathlib import Path

from sg.domain.errors import ConfigurationError

CANDIDATES = ("postgres", "nobody")


def unprivileged_user() -> str | None:
    """The user the server runs as when we are root (`postgres`, else `nobody`); else None."""
    if os.geteuid() != 0:
        return None
    for name in CANDIDATES:
        try:
            pwd.getpwnam(name)
        except KeyError:
            continue
        return name
    raise ConfigurationError("running as root and no unprivileged user exists to run PostgreSQL")


@dataclass(frozen=True)
class ServerIdentity:
    """Who a server program runs as: a user, its primary group and its supplementary groups."""

    user: str
    uid: int
    gid: int
    groups: tuple[int, ...]

    @classmethod
    def of(cls, name: str) -> ServerIdentity:
        """`name` with the groups `initgroups` would give it, never those of the caller."""
        try:
            entry = pwd.getpwnam(name)
        except KeyError:
            raise ConfigurationError(f"the server's user {name!r} does not exist") from None
        groups = tuple(g for g in os.getgrouplist(name, entry.pw_gid) if g != entry.pw_gid)
        identity = cls(name, entry.pw_uid, entry.pw_gid, groups)
        if 0 in (identity.uid, identity.gid, *identity.groups):
            raise ConfigurationError(
                f"the server's user {name!r} has uid, group or a supplementary group 0;"
                " PostgreSQL must run as a user without root's user or group"
            )
        return identity


def run_as(
    command: list[str],
    identity: ServerIdentity | None,
    *,
    cwd: str | Path,
    env: dict[str, str],
    timeout: float | None = None,
) -> subprocess.CompletedProcess[str]:
    """Run `command` as `identity` (its uid, primary group and supplementary groups only),
    or as ourselves when None; output captured as text, exit status not checked."""
    if identity is None:
        return subprocess.run(
            command, capture_output=True, text=True, check=False, cwd=cwd, env=env, timeout=timeout
        )
    return subprocess.run(
        command,
        capture_output=True,
        text=True,
        check=False,
        cwd=cwd,
        env=env,
        timeout=timeout,
        user=identity.uid,
        group=identity.gid,
        extra_groups=list(identity.groups),
    )
