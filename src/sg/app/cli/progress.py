"""Progress for long work on stderr: bars with totals where a total is known, else a spinner.

Shown only to a person at a terminal (never in pipes, logs or with --quiet). Sizes are in
binary units (KiB, MiB, GiB) everywhere.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import IO, TYPE_CHECKING, Any

from sg.app.cli.session import Session

if TYPE_CHECKING:
    from rich.progress import Progress


class CountingStream:
    """A binary stream wrapper that reports every byte read or written."""

    def __init__(self, stream: IO[bytes], advance: Callable[[int], None]) -> None:
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


def _progress(session: Session, *columns: Any) -> Progress:
    from rich.progress import Progress

    return Progress(*columns, console=session.err, transient=True)


@contextmanager
def byte_progress(
    session: Session, label: str, total: int | None
) -> Iterator[Callable[[int], None]]:
    """Bytes done (of `total` when known, as a bar); yields the `advance(n)` callback."""
    if not session.shows_progress:
        yield lambda n: None
        return
    with _progress(session, *byte_columns(total)) as progress:
        task = progress.add_task(label, total=total)
        yield lambda n: progress.advance(task, n)


def byte_columns(total: int | None) -> list[Any]:
    """Spinner, label, a bar only when the total is known, bytes done, speed, elapsed time."""
    from rich.filesize import pick_unit_and_suffix
    from rich.progress import (
        BarColumn,
        DownloadColumn,
        ProgressColumn,
        SpinnerColumn,
        TextColumn,
        TimeElapsedColumn,
    )
    from rich.text import Text

    def binary(size: float) -> str:
        units = ["bytes", "KiB", "MiB", "GiB", "TiB"]
        unit, suffix = pick_unit_and_suffix(int(size), units, 1024)
        return f"{size:.0f} bytes" if unit == 1 else f"{size / unit:.1f} {suffix}"

    class BytesDoneColumn(ProgressColumn):
        """Bytes so far, for work whose total is not known."""

        def render(self, task: Any) -> Text:
            return Text(binary(task.completed))

    class BinarySpeedColumn(ProgressColumn):
        """Bytes per second in the same binary units as the byte counts (rich's are decimal)."""

        def render(self, task: Any) -> Text:
            speed = task.finished_speed or task.speed
            return Text("?" if speed is None else f"{binary(speed)}/s")

    shape: list[Any] = [SpinnerColumn(), TextColumn("{task.description}")]
    if total is None:
        shape.append(BytesDoneColumn())
    else:
        shape += [BarColumn(), DownloadColumn(binary_units=True)]
    return [*shape, BinarySpeedColumn(), TimeElapsedColumn()]


@contextmanager
def spinner(session: Session, label: str) -> Iterator[Callable[[str], None]]:
    """A spinner with elapsed time for work without a known total; yields `relabel(text)`."""
    if not session.shows_progress:
        yield lambda text: None
        return
    from rich.progress import SpinnerColumn, TextColumn, TimeElapsedColumn

    with _progress(
        session, SpinnerColumn(), TextColumn("{task.description}"), TimeElapsedColumn()
    ) as progress:
        task = progress.add_task(label, total=None)
        yield lambda text: progress.update(task, description=text)


class BarProgress:
    """The transfer progress port as a bar of rows, with objects done in the label."""

    def __init__(self, session: Session, verb: str) -> None:
        self._verb = verb
        self._session = session
        self._progress: Progress | None = None
        self._task: Any = None
        self._objects = 0

    def started(self, objects: int, rows: int) -> None:
        """Show the bar with its totals."""
        self._objects = objects
        if not self._session.shows_progress:
            return
        from rich.progress import BarColumn, MofNCompleteColumn, TextColumn, TimeElapsedColumn

        self._progress = _progress(
            self._session,
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("rows"),
            TimeElapsedColumn(),
        )
        self._task = self._progress.add_task(self._label(0), total=rows)
        self._progress.start()

    def advanced(self, objects: int, rows: int) -> None:
        """Move the bar to the counts so far."""
        if self._progress is not None:
            self._progress.update(self._task, completed=rows, description=self._label(objects))

    def finished(self) -> None:
        """Remove the bar."""
        if self._progress is not None:
            self._progress.stop()
            self._progress = None

    def _label(self, done: int) -> str:
        return f"{self._verb} {done}/{self._objects} objects"
