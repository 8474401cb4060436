"""Pin session settings for a block of work and put the previous values back afterwards."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Mapping

from sg.domain.errors import SgError
from sg.domain.model import ResultShape
from sg.ports.sql import SqlRunner

# Everything that can change how a value is turned into bytes by send or output functions.
CANONICAL_SETTINGS: Mapping[str, str] = {
    "client_encoding": "UTF8",
    "DateStyle": "ISO, MDY",
    "IntervalStyle": "postgres",
    "TimeZone": "UTC",
    "extra_float_digits": "1",
    "bytea_output": "hex",
    "lc_monetary": "C",
    # Canonical images re-read arrays from their text form: NULL must stay NULL, and XML
    # fragments must read back.
    "array_nulls": "on",
    "xmloption": "content",
}

_READ = (
    "SELECT array_agg(current_setting(n) ORDER BY o)"
    " FROM unnest(%s::text[]) WITH ORDINALITY AS u(n, o)"
)
_WRITE = "SELECT count(set_config(n, v, false)) FROM unnest(%s::text[], %s::text[]) AS u(n, v)"


@contextlib.contextmanager
def pinned_settings(runner: SqlRunner, settings: Mapping[str, str]) -> Iterator[None]:
    """Run the block with `settings` in force (two round trips at most when they differ)."""
    names = list(settings)
    previous = runner.run(_READ, [names], ResultShape.ONE_ONE)
    changed = [(n, p) for n, p in zip(names, previous, strict=True) if p != settings[n]]
    if changed:
        runner.run(
            _WRITE, [[n for n, _ in changed], [settings[n] for n, _ in changed]], ResultShape.NONE
        )
    try:
        yield
    except BaseException:
        if changed:
            # The transaction may be aborted; rolling it (or the savepoint) back undoes
            # these settings too, so the error already unwinding is the one worth raising.
            with contextlib.suppress(SgError):
                _restore(runner, changed)
        raise
    if changed:
        _restore(runner, changed)


def _restore(runner: SqlRunner, changed: list[tuple[str, str]]) -> None:
    runner.run(_WRITE, [[n for n, _ in changed], [p for _, p in changed]], ResultShape.NONE)
