"""Pin session settings for a block of work and put the previous values back afterwards."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Mapping

from sg.domain.errors import SgError
from sg.domain.model import ResultShape
from sg.ports.sql import SqlRunner

# What value-to-bytes conversions depend on beyond what every sg statement runs under
# (`session_mode.PINNED`: encoding, DateStyle, IntervalStyle, float digits, bytea output,
# lc_monetary, array_nulls, xmloption): the time zone, which sg leaves the user's otherwise.
CANONICAL_SETTINGS: Mapping[str, str] = {"TimeZone": "UTC"}

READ_SETTINGS = (
    "SELECT pg_catalog.array_agg(pg_catalog.current_setting(u.n) ORDER BY u.o)"
    " FROM pg_catalog.unnest(%s::pg_catalog.text[]) WITH ORDINALITY AS u(n, o)"
)
WRITE_SETTINGS = (
    "SELECT pg_catalog.count(pg_catalog.set_config(u.n, u.v, %s))"
    " FROM ROWS FROM (pg_catalog.unnest(%s::pg_catalog.text[]),"
    " pg_catalog.unnest(%s::pg_catalog.text[])) AS u(n, v)"
)


@contextlib.contextmanager
def pinned_settings(
    runner: SqlRunner, settings: Mapping[str, str], *, local: bool = False
) -> Iterator[None]:
    """Run the block with `settings` in force (two round trips at most when they differ).

    `local` sets them for the transaction only: a rollback undoes them, so they are put
    back only when the block succeeds. Session-wide ones are put back in any case.
    """
    names = list(settings)
    if not names:
        yield
        return
    previous = runner.run(READ_SETTINGS, [names], ResultShape.ONE_ONE)
    changed = [(n, p) for n, p in zip(names, previous, strict=True) if p != settings[n]]
    if changed:
        _write(runner, local, [n for n, _ in changed], [settings[n] for n, _ in changed])
    try:
        yield
    except BaseException:
        if changed and not local:
            # The transaction may be aborted; rolling it (or the savepoint) back undoes
            # these settings too, so the error already unwinding is the one worth raising.
            with contextlib.suppress(SgError):
                _write(runner, local, [n for n, _ in changed], [p for _, p in changed])
        raise
    if changed:
        _write(runner, local, [n for n, _ in changed], [p for _, p in changed])


def _write(runner: SqlRunner, local: bool, names: list[str], values: list[str]) -> None:
    runner.run(WRITE_SETTINGS, [local, names, values], ResultShape.NONE)
