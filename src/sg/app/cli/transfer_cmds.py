"""`sg push` and `sg pull`: move objects between engines with a progress bar."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from sg.app.cli.session import Session, session_of

ObjectsArg = Annotated[list[str], typer.Argument(help="Object ids to move.")]


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


def push(
    ctx: typer.Context,
    object_ids: ObjectsArg,
    to: Annotated[str, typer.Option("--to", help="Remote (config file) or embedded engine.")],
) -> None:
    """Upload objects to another engine; objects it already has are skipped.

    Example: sg push o1a2… o3b4… --to other
    """
    session = session_of(ctx)
    local, remote = session.engine(), session.engine(to)
    moved = local.upload_objects(object_ids, remote, progress=BarProgress(session, "pushing"))
    _report(session, moved, len(set(object_ids)), f"to {to}")


def pull(
    ctx: typer.Context,
    object_ids: ObjectsArg,
    source: Annotated[str, typer.Option("--from", help="Remote (config file) or embedded engine.")],
) -> None:
    """Download objects from another engine; objects already here are skipped.

    Example: sg pull o1a2… --from other
    """
    session = session_of(ctx)
    local, remote = session.engine(), session.engine(source)
    moved = local.download_objects(object_ids, remote, progress=BarProgress(session, "pulling"))
    _report(session, moved, len(set(object_ids)), f"from {source}")


def _report(session: Session, moved: list[str], asked: int, where: str) -> None:
    skipped = asked - len(moved)
    session.say(
        f"moved {len(moved)} object(s) {where}" + (f", {skipped} already there" if skipped else "")
    )
    for object_id in moved:
        typer.echo(object_id)
