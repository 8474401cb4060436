"""Whether a file that decides what runs can be changed by anyone but us (or root).

A path is trusted when it and every folder above it are owned by root or the invoking
user and writable by no one else. A folder others may write to is accepted above the
path only with the sticky bit set (as /tmp), where others cannot rename or remove what
is ours inside it.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

_OTHERS_WRITE = stat.S_IWGRP | stat.S_IWOTH


def trusted_owners() -> frozenset[int]:
    """The user ids whose files we may run or believe: root and the invoking user."""
    return frozenset({0, os.geteuid()})


def untrusted_reason(path: Path, owners: frozenset[int] | None = None) -> str | None:
    """Why `path` (resolved, with its parent folders) is not trusted, or None when it is."""
    allowed = owners if owners is not None else trusted_owners()
    try:
        resolved = path.resolve(strict=True)
    except (OSError, RuntimeError) as exc:
        return f"{path} cannot be resolved ({exc})"
    for step, current in enumerate([resolved, *resolved.parents]):
        try:
            info = current.lstat()
        except OSError as exc:
            return f"{current} cannot be examined ({exc})"
        if info.st_uid not in allowed:
            return f"{current} is owned by uid {info.st_uid}"
        if info.st_mode & _OTHERS_WRITE:
            sticky_folder = stat.S_ISDIR(info.st_mode) and info.st_mode & stat.S_ISVTX
            if step == 0 or not sticky_folder:
                return f"{current} is writable by its group or others"
    return None


def private_file_reason(path: Path) -> str | None:
    """Why `path` is not a regular file of the invoking user's that no one else may read
    or change (nor a folder above it be changed by others), or None when it is one."""
    try:
        info = path.lstat()
    except OSError as exc:
        return f"{path} cannot be examined ({exc})"
    if not stat.S_ISREG(info.st_mode):
        return f"{path} is not a regular file"
    if info.st_uid != os.geteuid():
        return f"{path} is owned by uid {info.st_uid}, not by uid {os.geteuid()}"
    if info.st_mode & 0o077:
        return f"{path} is open to its group or others (mode {stat.S_IMODE(info.st_mode):o})"
    return untrusted_reason(path.parent, frozenset({os.geteuid(), 0}))
