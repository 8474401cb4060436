"""The root `sg` command: global options, subcommands, and errors as one clear line."""

from __future__ import annotations

import sys
from typing import Annotated

import typer

from sg.app.cli import engine_cmds, object_cmds, sql_cmd, tracking_cmds, transfer_cmds
from sg.app.cli.session import Session
from sg.domain.errors import SgError

app = typer.Typer(
    name="sg",
    help="Git-like plumbing for PostgreSQL tables: track, commit, dump, load, push, pull.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)
COMMANDS = (
    engine_cmds.init,
    tracking_cmds.track,
    tracking_cmds.untrack,
    tracking_cmds.tracked,
    tracking_cmds.status,
    tracking_cmds.diff,
    tracking_cmds.discard,
    object_cmds.snapshot,
    tracking_cmds.commit,
    object_cmds.objects,
    object_cmds.checkout,
    object_cmds.dump,
    object_cmds.load,
    transfer_cmds.push,
    transfer_cmds.pull,
    sql_cmd.sql,
)
for command in COMMANDS:
    app.command()(command)
app.add_typer(engine_cmds.engine_app, name="engine")


@app.callback()
def root(
    ctx: typer.Context,
    engine: Annotated[
        str | None,
        typer.Option(
            "--engine", "-e", help="A remote from the config file or an embedded engine name."
        ),
    ] = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress or chatter.")] = False,
) -> None:
    """Choose the engine; by default SG_ENGINE_* variables, else the embedded engine."""
    session = Session(engine_name=engine, quiet=quiet)
    ctx.obj = session
    ctx.call_on_close(session.close)


def main() -> None:
    """Console-script entry point: exit 0 on success, 1 on a user error, 2 on bad usage."""
    try:
        app()
    except (SgError, OSError) as exc:
        text = str(exc).strip()
        print(f"sg: error: {text.splitlines()[0] if text else type(exc).__name__}", file=sys.stderr)
        sys.exit(1)
