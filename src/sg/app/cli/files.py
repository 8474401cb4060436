"""Files named on the command line: `-` for stdin/stdout, checks before work, atomic writes."""

from __future__ import annotations

import os
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO

from sg.domain.errors import FileAccessError

STDIO = "-"


def check_output(name: str, force: bool) -> None:
    """Refuse before any work: a missing or read-only directory, an existing file, a tty."""
    if name == STDIO:
        if sys.stdout.isatty():
            raise FileAccessError("refusing to write a binary dump to a terminal; redirect stdout")
        return
    path = Path(name)
    folder = path.parent
    if not folder.is_dir():
        raise FileAccessError(f"directory {folder} does not exist; create it first")
    if path.is_dir():
        raise FileAccessError(f"{path} is a directory; name a file inside it")
    if path.exists() and not force:
        raise FileAccessError(f"{path} exists; pass --force to overwrite it")
    if not os.access(folder, os.W_OK | os.X_OK):
        raise FileAccessError(f"cannot write in directory {folder}: permission denied")


@contextmanager
def output_stream(name: str) -> Iterator[IO[bytes]]:
    """stdout for `-`; else a hidden temporary file renamed onto `name` only on success."""
    if name == STDIO:
        yield sys.stdout.buffer
        sys.stdout.buffer.flush()
        return
    path = Path(name)
    try:
        handle = tempfile.NamedTemporaryFile(  # noqa: SIM115 (renamed or removed below)
            dir=path.parent, prefix=f".{path.name}.", suffix=".partial", delete=False
        )
    except OSError as exc:
        raise FileAccessError(f"cannot write {path}: {exc.strerror}") from None
    partial = Path(handle.name)
    try:
        with handle:
            yield handle
        os.replace(partial, path)
    except OSError as exc:
        raise FileAccessError(f"cannot write {path}: {exc.strerror}") from None
    finally:
        partial.unlink(missing_ok=True)


@contextmanager
def input_stream(name: str) -> Iterator[IO[bytes]]:
    """stdin for `-`, else the file opened for reading (one clear error when it cannot be)."""
    if name == STDIO:
        if sys.stdin.isatty():
            raise FileAccessError("refusing to read a binary dump from a terminal; pipe one in")
        yield sys.stdin.buffer
        return
    path = Path(name)
    if path.is_dir():
        raise FileAccessError(f"{path} is a directory, not a dump file")
    try:
        handle = path.open("rb")
    except FileNotFoundError:
        raise FileAccessError(f"{path} does not exist") from None
    except OSError as exc:
        raise FileAccessError(f"cannot read {path}: {exc.strerror}") from None
    with handle:
        yield handle


def input_size(name: str) -> int | None:
    """The size of a regular input file, None for stdin or a pipe."""
    if name == STDIO:
        return None
    path = Path(name)
    return path.stat().st_size if path.is_file() else None


class ReplayStream:
    """A read stream that first replays bytes already consumed (a header), then the rest."""

    def __init__(self, head: bytes, rest: IO[bytes]) -> None:
        self._head = memoryview(head)
        self._rest = rest

    def read(self, size: int = -1) -> bytes:
        """Up to `size` bytes (all when negative)."""
        if not self._head:
            return self._rest.read(size)
        if size < 0:
            data, self._head = bytes(self._head) + self._rest.read(), memoryview(b"")
            return data
        data, self._head = bytes(self._head[:size]), self._head[size:]
        return data

    def readinto(self, buffer: bytearray | memoryview) -> int:
        """Fill `buffer` as `read` would."""
        data = self.read(len(buffer))
        buffer[: len(data)] = data
        return len(data)


class RecordingStream:
    """A read stream that keeps a copy of every byte read through it."""

    def __init__(self, stream: IO[bytes]) -> None:
        self._stream = stream
        self.seen = bytearray()

    def read(self, size: int = -1) -> bytes:
        """Read and remember."""
        data = self._stream.read(size)
        self.seen += data
        return data
