"""How the command line ends: exit codes and the one line it prints on failure."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, NoReturn

if TYPE_CHECKING:
    import typer

    from sg.domain.errors import SgError

EXIT_USER_ERROR = 1
EXIT_USAGE = 2
EXIT_INTERRUPTED = 130  # 128 + SIGINT, as shells report it


def fail(message: str, code: int = EXIT_USER_ERROR) -> NoReturn:
    """Print `sg: error: MESSAGE` (its first line only) on stderr and exit with `code`."""
    text = message.strip().splitlines()[0] if message.strip() else "failed"
    print(f"sg: error: {text}", file=sys.stderr, flush=True)
    sys.exit(code)


def usage_error(ctx: typer.Context, message: str) -> NoReturn:
    """Refuse arguments of a shape the command does not take: exit 2 with one line."""
    from typer._click.exceptions import UsageError

    raise UsageError(message, ctx)


def interrupted() -> NoReturn:
    """Ctrl-C: one line, exit 130. Commands commit only on success, so nothing was kept."""
    print("sg: interrupted; nothing was kept", file=sys.stderr, flush=True)
    sys.exit(EXIT_INTERRUPTED)


def with_command_hint(error: SgError) -> str:
    """The error's message in the command line's words: commands, never library calls.

    Library messages say what to do in words ("start tracking it first") or name the
    library call; on the command line the command itself is the clearest way to say it.
    """
    from sg.domain.errors import EngineNotInitializedError, TableNotTrackedError

    message = (str(error).strip().splitlines() or [type(error).__name__])[0]
    if isinstance(error, EngineNotInitializedError):  # its message names the library call
        return "the engine's database is not initialized for sg; run sg init"
    if isinstance(error, TableNotTrackedError) and "sg " not in message:
        return f"{message} (sg track SCHEMA.TABLE)"
    return message
