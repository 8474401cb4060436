"""Progress bars for long work: byte streams (dump, load) and transfers (push, pull)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import IO, Any

from rich.progress import (
    BarColumn,
    DownloadColumn,
    MofNCompleteColumn,
    Progress,
    SpinnerColumn,
    TextColumn,
    TimeElapsedColumn,
    TransferSpeedColumn,
)

from sg.app.cli.session import Session


class CountingStream:
    """A binary stream wrapper that reports every byte read or written."""

    def __init__(self, stream: IO[bytes], advance: Any) -> None:
        self._stream = stream
        self._advance = advance

    def write(self, data: bytes | bytearray | memoryview) -> int:
        """Write and report the bytes."""
        written = self._stream.write(data)
        self._advance(len(data))
        return written

    def read(self, size: int = -1) -> bytes:
        """Read and report the bytes."""
        data = self._stream.read(size)
        self._advance(len(data))
        return data

    def readinto(self, buffer: bytearray | memoryview) -> int:
        """Read into `buffer` and report the bytes."""
        count = self._stream.readinto(buffer)  # type: ignore[attr-defined]
        self._advance(count or 0)
        return int(count or 0)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._stream, name)


@contextmanager
def byte_progress(session: Session, label: str, total: int | None) -> Iterator[Any]:
    """A transient bar of bytes done; yields the `advance(n)` callback."""
    if session.quiet:
        yield lambda n: None
        return
    columns = [
        SpinnerColumn(),
        TextColumn("{task.description}"),
        BarColumn(),
        DownloadColumn(),
        TransferSpeedColumn(),
        TimeElapsedColumn(),
    ]
    with Progress(*columns, console=session.err, transient=True) as progress:
        task = progress.add_task(label, total=total)
        yield lambda n: progress.advance(task, n)


@contextmanager
def spinner(session: Session, label: str) -> Iterator[None]:
    """A transient spinner for work whose progress cannot be measured."""
    if session.quiet:
        yield
        return
    with session.err.status(label):
        yield


class BarProgress:
    """The transfer progress port as a rich bar of rows, with objects in the label."""

    def __init__(self, session: Session, verb: str) -> None:
        self._verb = verb
        self._progress = Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("rows"),
            TimeElapsedColumn(),
            console=session.err,
            transient=True,
            disable=session.quiet,
        )
        self._task = self._progress.add_task(verb, total=None)
        self._objects = 0

    def started(self, objects: int, rows: int) -> None:
        """Show the bar with its totals."""
        self._objects = objects
        self._progress.start()
        self._progress.update(self._task, total=rows, description=self._label(0))

    def advanced(self, objects: int, rows: int) -> None:
        """Move the bar to the counts so far."""
        self._progress.update(self._task, completed=rows, description=self._label(objects))

    def finished(self) -> None:
        """Remove the bar."""
        self._progress.stop()

    def _label(self, done: int) -> str:
        return f"{self._verb} {done}/{self._objects} objects"
