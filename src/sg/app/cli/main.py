"""The root `sg` command: global options, subcommands, and every ending as one clear line."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterable, Sequence
from typing import Annotated, Any

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

HELP = (
    "Git-like plumbing and version history for PostgreSQL tables: versions of schemas"
    " (init, commit, log, diff, tag, checkout, push, pull, clone), tracked changes and objects."
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
    tracking_cmds.compact,
    object_cmds.snapshot,
    object_cmds.objects,
    object_cmds.dump,
    object_cmds.load,
    sql_cmd.sql,
)
GROUPS = {"engine": engine_cmds.engine_app}
# Global options that take a value: the token after them is not a command name.
_VALUED_OPTIONS = ("-e", "--engine")


def _version(value: bool) -> None:
    if value:
        from importlib.metadata import version

        typer.echo(f"sg {version('sg')}")
        raise typer.Exit()


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


def build_app(names: Iterable[str] | None = None) -> typer.Typer:
    """The `sg` command with every subcommand, or with only those in `names`."""
    wanted = None if names is None else set(names)
    built = typer.Typer(
        name="sg",
        help=HELP,
        no_args_is_help=True,
        pretty_exceptions_enable=False,
        rich_markup_mode=None,
        context_settings={"help_option_names": ["-h", "--help"]},
    )
    built.callback()(root)
    for command in COMMANDS:
        if wanted is None or _command_name(command) in wanted:
            built.command(cls=SgCommand)(command)
    for name, group in GROUPS.items():
        if wanted is None or name in wanted:
            built.add_typer(group, name=name)
    return built


def _command_name(command: Callable[..., Any]) -> str:
    return command.__name__.replace("_", "-")


app = build_app()


def invoked_command(arguments: Sequence[str]) -> str | None:
    """The subcommand `arguments` name after sg's global options, or None (help, completion,
    an unknown name)."""
    known = {*(_command_name(command) for command in COMMANDS), *GROUPS}
    skip_value = False
    for token in arguments:
        if skip_value:
            skip_value = False
        elif token in _VALUED_OPTIONS:
            skip_value = True
        elif not token.startswith("-"):
            return token if token in known else None
    return None


def _app_for_this_run() -> typer.Typer:
    # Typer turns each subcommand's signature into a click command on every run; building
    # only the one invoked saves most of that (about 0.04 s of start-up for 25 commands).
    # Help, completion and unknown names get the whole command.
    if "_SG_COMPLETE" in os.environ:
        return app
    command = invoked_command(sys.argv[1:])
    return app if command is None else build_app([command])


def run() -> None:
    """Run `sg`: exit 0 on success, 1 on a user error, 2 on bad usage, 130 on Ctrl-C."""
    from typer._click import exceptions as click_exceptions

    from sg.domain.errors import SgError

    try:
        code = _app_for_this_run()(standalone_mode=False)
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
