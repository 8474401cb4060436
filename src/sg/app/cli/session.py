"""Per-invocation state of the command line: chosen engine, output and progress settings."""

from __future__ import annotations

import contextlib
import json
import sys
from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING, Any

import typer

if TYPE_CHECKING:
    from rich.console import Console

    from sg.app.cli.config import EngineChoice
    from sg.app.facades.object_engine import PostgresEngine


@dataclass
class Session:
    """What every command needs: the engine (opened on first use) and how to print."""

    engine_name: str | None = None
    quiet: bool = False
    _engines: dict[str | None, PostgresEngine] = field(default_factory=dict)

    @cached_property
    def err(self) -> Console:
        """The console for progress and messages (stderr); markup off: names are user data."""
        from rich.console import Console

        return Console(stderr=True, highlight=False, soft_wrap=True, markup=False)

    @property
    def shows_progress(self) -> bool:
        """Progress only for a person watching a terminal, and never with --quiet."""
        return not self.quiet and sys.stderr.isatty()

    def engine(self, name: str | None = None) -> PostgresEngine:
        """The engine named `name` (else `--engine`, else the default), initialized if embedded."""
        from sg.app.cli.config import choose_engine

        key = self.engine_name if name is None else name
        if key not in self._engines:
            choice = choose_engine(key, on_start=self.started)
            self._engines[key] = open_engine(choice)
        return self._engines[key]

    def close(self) -> None:
        """Roll back what no command committed, then close every engine this run opened.

        Commands commit their own work when it succeeds, so a failed or interrupted command
        keeps nothing.
        """
        engines, self._engines = list(self._engines.values()), {}
        for engine in engines:
            try:
                engine.rollback()
            except Exception:  # a broken connection: closing it discards the work anyway
                with contextlib.suppress(Exception):
                    engine.connection.close()
            with contextlib.suppress(Exception):
                engine.close()

    def say(self, message: str) -> None:
        """A human message on stderr (silenced by --quiet)."""
        if not self.quiet:
            typer.echo(message, err=True)

    def emit(self, text: str) -> None:
        """A line of output on stdout (ids, names, tables): what scripts read."""
        typer.echo(text)

    def emit_json(self, value: Any) -> None:
        """Machine-readable output on stdout."""
        typer.echo(json.dumps(value, default=str, indent=2, ensure_ascii=False))

    def started(self, name: str) -> None:
        """Tell the user an embedded engine is being started (it takes a few seconds)."""
        self.say(f"starting embedded engine {name}")


def open_engine(choice: EngineChoice) -> PostgresEngine:
    """A facade on the chosen engine; an embedded one is initialized on first use."""
    from sg.app.facades.object_engine import PostgresEngine

    engine = PostgresEngine(choice.params, choice.label)
    try:
        if choice.embedded and not engine.is_initialized():
            engine.initialize()
    except BaseException:
        engine.close()
        raise
    return engine


def session_of(ctx: typer.Context, quiet: bool = False) -> Session:
    """The session stored on the root command's context; `quiet` adds a command's --quiet."""
    found = ctx.find_object(Session)
    if found is None:  # a subcommand invoked without the root callback (tests)
        found = Session()
        ctx.obj = found
    found.quiet = found.quiet or quiet
    return found
