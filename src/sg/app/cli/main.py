"""The root `sg` command: global options, subcommands, and every ending as one clear line."""

from __future__ import annotations

from typing import Annotated

import typer

from sg.app.cli import (
    engine_cmds,
    history_cmds,
    object_cmds,
    sql_cmd,
    tracking_cmds,
    transfer_cmds,
)
from sg.app.cli.errors import (
    EXIT_INTERRUPTED,
    EXIT_USAGE,
    EXIT_USER_ERROR,
    fail,
    interrupted,
    with_command_hint,
)
from sg.app.cli.help_format import SgCommand
from sg.app.cli.options import QuietOpt
from sg.app.cli.session import Session

app = typer.Typer(
    name="sg",
    help="Git-like plumbing and version history for PostgreSQL tables: versions of schemas"
    " (init, commit, log, diff, tag, checkout, push, pull, clone), tracked changes and objects.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
    context_settings={"help_option_names": ["-h", "--help"]},
)
COMMANDS = (
    engine_cmds.init,
    tracking_cmds.commit,
    history_cmds.log,
    history_cmds.show,
    tracking_cmds.diff,
    history_cmds.tag,
    object_cmds.checkout,
    transfer_cmds.push,
    transfer_cmds.pull,
    history_cmds.clone,
    history_cmds.gc,
    tracking_cmds.track,
    tracking_cmds.untrack,
    tracking_cmds.tracked,
    tracking_cmds.status,
    tracking_cmds.discard,
    object_cmds.snapshot,
    object_cmds.objects,
    object_cmds.dump,
    object_cmds.load,
    sql_cmd.sql,
)
for command in COMMANDS:
    app.command(cls=SgCommand)(command)
app.add_typer(engine_cmds.engine_app, name="engine")


def _version(value: bool) -> None:
    if value:
        from importlib.metadata import version

        typer.echo(f"sg {version('sg')}")
        raise typer.Exit()


@app.callback()
def root(
    ctx: typer.Context,
    engine: Annotated[
        str | None,
        typer.Option(
            "--engine",
            "-e",
            metavar="NAME",
            help="A remote from the config file or an embedded engine name.",
        ),
    ] = None,
    quiet: QuietOpt = False,
    version: Annotated[
        bool,
        typer.Option(
            "--version", callback=_version, is_eager=True, help="Print sg's version and exit."
        ),
    ] = False,
) -> None:
    """Choose the engine; by default SG_ENGINE_* variables, else the embedded engine."""
    session = Session(engine_name=engine, quiet=quiet)
    ctx.obj = session
    ctx.call_on_close(session.close)


def run() -> None:
    """Run `sg`: exit 0 on success, 1 on a user error, 2 on bad usage, 130 on Ctrl-C."""
    from typer._click import exceptions as click_exceptions

    from sg.domain.errors import SgError

    try:
        code = app(standalone_mode=False)
    except KeyboardInterrupt:
        interrupted()
    except typer.Abort:  # click's name for an interrupt while it reads input
        interrupted()
    except click_exceptions.UsageError as exc:
        path = " ".join(["sg", *exc.ctx.command_path.split()[1:]]) if exc.ctx else "sg"
        fail(f"{exc.format_message()} (see {path} --help)", EXIT_USAGE)
    except click_exceptions.ClickException as exc:
        fail(exc.format_message(), exc.exit_code)
    except SgError as exc:
        fail(with_command_hint(exc), EXIT_USER_ERROR)
    except OSError as exc:
        fail(str(exc) or type(exc).__name__, EXIT_USER_ERROR)
    if code == EXIT_INTERRUPTED:  # typer turns Ctrl-C inside a command into this exit code
        interrupted()
    raise SystemExit(code if isinstance(code, int) else 0)
