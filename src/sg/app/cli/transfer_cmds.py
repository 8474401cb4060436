"""`sg push` and `sg pull`: move objects between engines with a progress bar of rows."""

from __future__ import annotations

from typing import Annotated

import typer

from sg.app.cli.options import ObjectsArg, QuietOpt
from sg.app.cli.progress import BarProgress
from sg.app.cli.session import Session, session_of


def push(
    ctx: typer.Context,
    object_ids: ObjectsArg,
    to: Annotated[
        str,
        typer.Option("--to", metavar="ENGINE", help="A remote (config file) or embedded engine."),
    ],
    quiet: QuietOpt = False,
) -> None:
    """Upload objects to another engine; print the ids moved.

    Objects the other engine already has are skipped.

    Example: sg push o1a2… o3b4… --to other
    """
    session = session_of(ctx, quiet)
    local, remote = session.engine(), session.engine(to)
    moved = local.upload_objects(object_ids, remote, progress=BarProgress(session, "pushing"))
    _report(session, moved, len(set(object_ids)), f"to {to}")


def pull(
    ctx: typer.Context,
    object_ids: ObjectsArg,
    source: Annotated[
        str,
        typer.Option("--from", metavar="ENGINE", help="A remote (config file) or embedded engine."),
    ],
    quiet: QuietOpt = False,
) -> None:
    """Download objects from another engine; print the ids moved.

    Objects already here are skipped.

    Example: sg pull o1a2… --from other
    """
    session = session_of(ctx, quiet)
    local, remote = session.engine(), session.engine(source)
    moved = local.download_objects(object_ids, remote, progress=BarProgress(session, "pulling"))
    _report(session, moved, len(set(object_ids)), f"from {source}")


def _report(session: Session, moved: list[str], asked: int, where: str) -> None:
    skipped = asked - len(moved)
    session.say(
        f"moved {len(moved)} object(s) {where}" + (f", {skipped} already there" if skipped else "")
    )
    for object_id in moved:
        session.emit(object_id)
