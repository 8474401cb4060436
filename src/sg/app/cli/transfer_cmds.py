"""`sg push` and `sg pull`: move a schema's history, or objects, between engines."""

from __future__ import annotations

from typing import Annotated, Literal

import typer

from sg.app.cli.errors import usage_error
from sg.app.cli.options import QuietOpt
from sg.app.cli.progress import BarProgress
from sg.app.cli.session import session_of

Direction = Literal["push", "pull"]
MovedArg = Annotated[
    list[str],
    typer.Argument(
        metavar="SCHEMA|OBJECT...",
        help="A versioned schema (its versions, tags and the objects they need) or object ids.",
    ),
]


def push(
    ctx: typer.Context,
    targets: MovedArg,
    to: Annotated[
        str,
        typer.Option("--to", metavar="ENGINE", help="A remote (config file) or embedded engine."),
    ],
    quiet: QuietOpt = False,
) -> None:
    """Send a schema's history, or objects, to another engine.

    sg push SCHEMA --to ENGINE sends the versions, tags and objects the other engine lacks
    (its tables stay as they are: check out a version there).
    sg push OBJECT... --to ENGINE uploads objects and prints the ids moved.
    What the other engine already has is skipped.

    Example: sg push shop --to other; sg push o1a2… o3b4… --to other
    """
    _move(ctx, "push", targets, to, quiet)


def pull(
    ctx: typer.Context,
    targets: MovedArg,
    source: Annotated[
        str,
        typer.Option("--from", metavar="ENGINE", help="A remote (config file) or embedded engine."),
    ],
    quiet: QuietOpt = False,
) -> None:
    """Fetch a schema's history, or objects, from another engine.

    sg pull SCHEMA --from ENGINE fetches the versions, tags and objects this engine lacks
    (the live tables stay as they are: check out a version to use it).
    sg pull OBJECT... --from ENGINE downloads objects and prints the ids moved.
    What is here already is skipped.

    Example: sg pull shop --from other; sg pull o1a2… --from other
    """
    _move(ctx, "pull", targets, source, quiet)


def _move(
    ctx: typer.Context, direction: Direction, targets: list[str], other: str, quiet: bool
) -> None:
    """Move a schema's history (one bare name) or objects (object ids only) either way."""
    from sg.app.cli.names import is_object_id, parse_schema

    session = session_of(ctx, quiet)
    local, remote = session.engine(), session.engine(other)
    progress = BarProgress(session, "pushing" if direction == "push" else "pulling")
    where = f"to {other}" if direction == "push" else f"from {other}"
    if not all(is_object_id(t) for t in targets):
        if len(targets) != 1:
            usage_error(ctx, f"sg {direction} takes one SCHEMA, or object ids only")
        from sg.app.cli import version_cmds

        move_versions = (
            version_cmds.push_versions if direction == "push" else version_cmds.pull_versions
        )
        move_versions(local, parse_schema(targets[0]), remote, echo=session.say, progress=progress)
        return
    move_objects = local.upload_objects if direction == "push" else local.download_objects
    moved = move_objects(targets, remote, progress=progress)
    skipped = len(set(targets)) - len(moved)
    session.say(
        f"moved {len(moved)} object(s) {where}" + (f", {skipped} already there" if skipped else "")
    )
    for object_id in moved:
        session.emit(object_id)
