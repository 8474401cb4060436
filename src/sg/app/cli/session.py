"""Per-invocation state of the command line: chosen engine, output and progress settings."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

import typer
from rich.console import Console

from sg.app.config import EngineChoice, choose_engine
from sg.app.object_engine import PostgresEngine


@dataclass
class Session:
    """What every command needs: the engine (opened on first use) and how to print."""

    engine_name: str | None = None
    quiet: bool = False
    # markup off: table names, values and messages are user data, never rich markup
    out: Console = field(
        default_factory=lambda: Console(highlight=False, soft_wrap=True, markup=False)
    )
    err: Console = field(
        default_factory=lambda: Console(stderr=True, highlight=False, soft_wrap=True, markup=False)
    )
    _engines: dict[str | None, PostgresEngine] = field(default_factory=dict)

    def engine(self, name: str | None = None) -> PostgresEngine:
        """The engine named `name` (else `--engine`, else the default), initialized if embedded."""
        key = self.engine_name if name is None else name
        if key not in self._engines:
            choice = choose_engine(key)
            self._engines[key] = open_engine(choice)
        return self._engines[key]

    def close(self) -> None:
        """Roll back what no command committed, then close every engine this run opened.

        Commands commit their own work when it succeeds, so a failed command keeps nothing.
        """
        engines, self._engines = list(self._engines.values()), {}
        for engine in engines:
            try:
                engine.rollback()
            finally:
                engine.close()

    def say(self, message: str) -> None:
        """A human message on stderr (silenced by --quiet)."""
        if not self.quiet:
            self.err.print(message)

    def emit_json(self, value: Any) -> None:
        """Machine-readable output on stdout."""
        typer.echo(json.dumps(value, default=str, indent=2, ensure_ascii=False))


def open_engine(choice: EngineChoice) -> PostgresEngine:
    """A facade on the chosen engine; an embedded one is initialized on first use."""
    engine = PostgresEngine(choice.params, choice.label)
    try:
        if choice.embedded and not engine.is_initialized():
            engine.initialize()
    except BaseException:
        engine.close()
        raise
    return engine


def session_of(ctx: typer.Context) -> Session:
    """The session stored on the root command's context."""
    found = ctx.find_object(Session)
    if found is None:  # a subcommand invoked without the root callback (tests)
        found = Session()
        ctx.obj = found
    return found
