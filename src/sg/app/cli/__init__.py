"""The `sg` command line: a thin shell over the same facades as the library."""

from sg.app.cli.main import app, main

__all__ = ["app", "main"]
