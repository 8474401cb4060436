"""Options and arguments shared by several commands."""

from __future__ import annotations

from typing import Annotated

import typer

QuietOpt = Annotated[bool, typer.Option("--quiet", "-q", help="No progress or chatter on stderr.")]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON for scripts.")]
TableArg = Annotated[
    str, typer.Argument(metavar="SCHEMA.TABLE", help="A table (a bare name means public).")
]
TablesArg = Annotated[
    list[str], typer.Argument(metavar="SCHEMA.TABLE...", help="Tables (bare names mean public).")
]
SchemaOrTableArg = Annotated[
    str,
    typer.Argument(
        metavar="SCHEMA[.TABLE]",
        help="A versioned schema (a bare name) or a tracked table (SCHEMA.TABLE).",
    ),
]
MessageOpt = Annotated[
    str | None,
    typer.Option("--message", "-m", metavar="MESSAGE", help="What the version records."),
]
