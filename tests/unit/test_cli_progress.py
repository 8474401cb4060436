"""Progress on a terminal: byte bars in one unit system, with a bar only for a known total."""

from __future__ import annotations

import io

from rich.console import Console

from sg.app.cli.progress import byte_progress
from sg.app.cli.session import Session


class TerminalSession(Session):
    """A session whose stderr is a captured terminal."""

    @property
    def shows_progress(self) -> bool:
        """Always: the captured console stands for a terminal."""
        return not self.quiet


def _render(total: int | None) -> str:
    session = TerminalSession()
    captured = io.StringIO()
    session.err = Console(file=captured, force_terminal=True, width=120, markup=False)
    with byte_progress(session, "dumping", total) as advance:
        for _ in range(3):
            advance(1024 * 1024)
    return captured.getvalue()


def test_byte_progress_speaks_binary_units_only() -> None:
    shown = _render(4 * 1024 * 1024)
    assert "3.0/4.0 MiB" in shown
    assert " MB" not in shown and " kB" not in shown


def test_unknown_total_shows_bytes_without_a_total() -> None:
    shown = _render(None)
    assert "3.0 MiB" in shown and "/4.0" not in shown


def test_quiet_shows_nothing() -> None:
    session = TerminalSession(quiet=True)
    captured = io.StringIO()
    session.err = Console(file=captured, force_terminal=True)
    with byte_progress(session, "x", 10) as advance:
        advance(5)
    assert captured.getvalue() == ""
