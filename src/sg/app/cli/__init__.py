"""The `sg` command line: a thin shell over the same facades as the library."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from sg.app.cli.main import app

__all__ = ["app", "main"]


def main() -> None:
    """Console-script entry point; even an interrupt while starting up ends in one line."""
    from sg.app.cli.errors import interrupted

    try:
        from sg.app.cli.main import run
    except KeyboardInterrupt:
        interrupted()
    run()


def __getattr__(name: str) -> Any:
    if name == "app":
        from sg.app.cli.main import app

        return app
    raise AttributeError(name)
