"""`sg engine start|stop|status` and `sg init`."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table

from sg.app.cli.session import open_engine, session_of
from sg.app.config import EngineChoice
from sg.app.embedded import DEFAULT_ENGINE, EmbeddedEngines

engine_app = typer.Typer(
    help="Manage embedded engines: local PostgreSQL servers sg starts for you.",
    no_args_is_help=True,
)

NameArg = Annotated[str, typer.Argument(help="Embedded engine name.")]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON for scripts.")]


@engine_app.command("start")
def start(ctx: typer.Context, name: NameArg = DEFAULT_ENGINE) -> None:
    """Start (creating on first use) an embedded engine.

    Example: sg engine start; sg engine start other
    """
    params = EmbeddedEngines().ensure_running(name)
    open_engine(EngineChoice(name, params, embedded=True)).close()
    session_of(ctx).say(
        f"engine {name} running at {params['SG_ENGINE_HOST']}:{params['SG_ENGINE_PORT']}"
    )


@engine_app.command("stop")
def stop(ctx: typer.Context, name: NameArg = DEFAULT_ENGINE) -> None:
    """Stop an embedded engine (its data stays).

    Example: sg engine stop other
    """
    was_running = EmbeddedEngines().stop(name)
    session_of(ctx).say(f"engine {name} {'stopped' if was_running else 'was not running'}")


@engine_app.command("status")
def status(ctx: typer.Context, as_json: JsonOpt = False) -> None:
    """Show every embedded engine, running or not.

    Example: sg engine status --json
    """
    engines = EmbeddedEngines()
    rows = [engines.status(name) for name in engines.names()]
    session = session_of(ctx)
    if as_json:
        session.emit_json(
            [
                {"name": s.name, "running": s.running, "port": s.port, "data_dir": str(s.data_dir)}
                for s in rows
            ]
        )
        return
    table = Table("engine", "state", "port", "data")
    for s in rows:
        table.add_row(s.name, "running" if s.running else "stopped", str(s.port), str(s.data_dir))
    session.out.print(table if rows else "no embedded engines yet (sg engine start)")


def init(ctx: typer.Context) -> None:
    """Create the engine's database and sg's schemas (idempotent).

    Example: sg init; SG_ENGINE_HOST=db sg init
    """
    session = session_of(ctx)
    engine = session.engine()
    engine.initialize()
    session.say(f"initialized {engine.name} ({engine.params.describe()})")
