"""`sg push` and `sg pull`: move objects between engines with a progress bar."""

from __future__ import annotations

from typing import Annotated

import typer

from sg.app.cli.progress import BarProgress
from sg.app.cli.session import Session, session_of

ObjectsArg = Annotated[list[str], typer.Argument(help="Object ids to move.")]


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
