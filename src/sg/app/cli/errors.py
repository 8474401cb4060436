"""How the command line ends: exit codes and the one line it prints on failure."""

from __future__ import annotations

import sys
from typing import NoReturn

EXIT_USER_ERROR = 1
EXIT_USAGE = 2
EXIT_INTERRUPTED = 130  # 128 + SIGINT, as shells report it


def fail(message: str, code: int = EXIT_USER_ERROR) -> NoReturn:
    """Print `sg: error: MESSAGE` (its first line only) on stderr and exit with `code`."""
    text = message.strip().splitlines()[0] if message.strip() else "failed"
    print(f"sg: error: {text}", file=sys.stderr, flush=True)
    sys.exit(code)


def interrupted() -> NoReturn:
    """Ctrl-C: one line, exit 130. Commands commit only on success, so nothing was kept."""
    print("sg: interrupted; nothing was kept", file=sys.stderr, flush=True)
    sys.exit(EXIT_INTERRUPTED)
