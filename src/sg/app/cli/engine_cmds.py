"""`sg engine start|stop|status|env` and `sg init`."""

from __future__ import annotations

import shlex
from typing import TYPE_CHECKING, Annotated

import typer

from sg.app.cli.errors import usage_error
from sg.app.cli.help_format import SgCommand
from sg.app.cli.names import parse_schema
from sg.app.cli.options import JsonOpt, MessageOpt, QuietOpt
from sg.app.cli.session import open_engine, session_of

if TYPE_CHECKING:
    from sg.app.cli.embedded import EmbeddedEngines

DEFAULT_ENGINE = "default"  # sg.app.cli.embedded.DEFAULT_ENGINE, without importing provisioning

engine_app = typer.Typer(
    help="Embedded engines: local PostgreSQL servers sg starts for you.",
    no_args_is_help=True,
    rich_markup_mode=None,
)

NameArg = Annotated[str, typer.Argument(metavar="NAME", help="Embedded engine name.")]


@engine_app.command("start", cls=SgCommand)
def start(ctx: typer.Context, name: NameArg = DEFAULT_ENGINE, quiet: QuietOpt = False) -> None:
    """Start (creating on first use) an embedded engine.

    Example: sg engine start; sg engine start other
    """
    from sg.app.cli.config import EngineChoice
    from sg.app.cli.embedded import EmbeddedEngines

    params = EmbeddedEngines().ensure_running(name)
    open_engine(EngineChoice(name, params, embedded=True)).close()
    session_of(ctx, quiet).say(
        f"engine {name} running at {params['SG_ENGINE_HOST']}:{params['SG_ENGINE_PORT']}"
    )


@engine_app.command("stop", cls=SgCommand)
def stop(ctx: typer.Context, name: NameArg = DEFAULT_ENGINE, quiet: QuietOpt = False) -> None:
    """Stop an embedded engine (its data stays).

    Example: sg engine stop other
    """
    from sg.app.cli.embedded import EmbeddedEngines

    engines = EmbeddedEngines()
    _require_existing(engines, name)
    was_running = engines.stop(name)
    session_of(ctx, quiet).say(f"engine {name} {'stopped' if was_running else 'was not running'}")


@engine_app.command("status", cls=SgCommand)
def status(ctx: typer.Context, as_json: JsonOpt = False, quiet: QuietOpt = False) -> None:
    """Show every embedded engine, running or not.

    Example: sg engine status --json
    """
    from sg.app.cli.embedded import EmbeddedEngines

    engines = EmbeddedEngines()
    rows = [engines.status(name) for name in engines.names()]
    session = session_of(ctx, quiet)
    if as_json:
        session.emit_json(
            [
                {"name": s.name, "running": s.running, "port": s.port, "data_dir": str(s.data_dir)}
                for s in rows
            ]
        )
    elif not rows:
        session.say("no embedded engines yet (sg engine start)")
    else:
        from sg.app.cli.result_format import plain_table

        table = [
            [s.name, "running" if s.running else "stopped", s.port, str(s.data_dir)] for s in rows
        ]
        session.emit(plain_table(["engine", "state", "port", "data"], table))


@engine_app.command("env", cls=SgCommand)
def env(
    ctx: typer.Context,
    name: NameArg = DEFAULT_ENGINE,
    as_json: Annotated[
        bool, typer.Option("--json", help="Print the settings as one JSON object.")
    ] = False,
    quiet: QuietOpt = False,
) -> None:
    """Print an embedded engine's SG_ENGINE_* settings.

    A stopped engine is started first.

    For shells: eval "$(sg engine env)"; then the library and other tools reach the engine
    with the same settings. The output holds the engine's password: keep it private.

    Example: sg engine env other --json
    """
    from sg.app.cli.config import EngineChoice
    from sg.app.cli.embedded import EmbeddedEngines

    session = session_of(ctx, quiet)
    engines = EmbeddedEngines()
    if name != DEFAULT_ENGINE:
        _require_existing(engines, name)
    params = engines.ensure_running(name, on_start=session.started)
    open_engine(EngineChoice(name, params, embedded=True)).close()
    if as_json:
        session.emit_json(params)
        return
    for key, value in params.items():
        session.emit(f"export {key}={shlex.quote(value)}")


def init(
    ctx: typer.Context,
    schema: Annotated[
        str | None,
        typer.Argument(metavar="SCHEMA", help="Start versioning this schema's tables."),
    ] = None,
    message: MessageOpt = None,
    quiet: QuietOpt = False,
) -> None:
    """Set up the engine (idempotent); with SCHEMA, start versioning that schema.

    sg init SCHEMA also snapshots and tracks every table of the schema, in one step, as its
    first version (message "init" unless -m gives one), and prints the version's id.

    Example: sg init; SG_ENGINE_HOST=db sg init; sg init shop -m "first orders"
    """
    session = session_of(ctx, quiet)
    if schema is not None:
        from sg.app.cli.history_cmds import init_schema

        init_schema(session, parse_schema(schema), message or "init")
        return
    if message is not None:
        usage_error(ctx, "-m is for a schema's first version: sg init SCHEMA -m MESSAGE")
    engine = session.engine()
    engine.initialize()
    session.say(f"initialized {engine.name} ({engine.params.describe()})")


def _require_existing(engines: EmbeddedEngines, name: str) -> None:
    from sg.domain.errors import ConfigurationError

    engines.directory(name)  # validates the name
    if name not in engines.names():
        known = ", ".join(engines.names()) or "none yet"
        raise ConfigurationError(
            f"no embedded engine named {name!r} (known: {known}); sg engine status lists them"
        )
