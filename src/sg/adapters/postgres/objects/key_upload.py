"""Upload key tuples into a temporary table with COPY (one round trip for any number)."""

from __future__ import annotations

import itertools
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from psycopg import sql
from psycopg.types.json import Json, Jsonb

from sg.adapters.postgres.catalog.trust import require_trusted_types
from sg.adapters.postgres.objects.key_match import KeyShape
from sg.adapters.postgres.session.postgres_session import PostgresSession
from sg.domain.errors import DataValueError
from sg.domain.model import ResultShape, TableRef

_names = itertools.count(1)
_JSON_WRAPPERS: dict[str, type[Json] | type[Jsonb]] = {"json": Json, "jsonb": Jsonb}


@contextmanager
def uploaded_keys(
    runner: PostgresSession, source: TableRef, shape: KeyShape, keys: Sequence[tuple[Any, ...]]
) -> Iterator[str]:
    """A temporary table (yielded by name) holding `keys`, typed like the source's key."""
    name = f"sg_keys_{next(_names)}"
    # Keys are received into columns of the key's types: a domain's checks would run.
    require_trusted_types(runner, [c.spec.type for c in shape.columns])
    width = len(shape.columns)
    for key in keys:
        if len(key) != width:
            raise DataValueError(
                f"a key of {source} has {width} value(s) ({', '.join(shape.names)}), got {key!r}"
            )
    runner.run(
        sql.SQL("CREATE TEMP TABLE {} ON COMMIT DROP AS SELECT {} FROM {} WITH NO DATA").format(
            sql.Identifier(name),
            sql.SQL(", ").join(map(sql.Identifier, shape.names)),
            sql.Identifier(*source),
        ),
        None,
        ResultShape.NONE,
    )
    _copy_in(runner, name, shape, keys)
    # With row counts known, a few keys look up the source through its primary key index
    # instead of scanning it whole.
    runner.run(
        sql.SQL("ANALYZE {}").format(sql.Identifier("pg_temp", name)), None, ResultShape.NONE
    )
    yield name
    runner.run(
        sql.SQL("DROP TABLE {}").format(sql.Identifier("pg_temp", name)), None, ResultShape.NONE
    )


def _copy_in(
    runner: PostgresSession, name: str, shape: KeyShape, keys: Sequence[tuple[Any, ...]]
) -> None:
    wrappers = [_JSON_WRAPPERS.get(c.spec.type) for c in shape.columns]
    statement = sql.SQL("COPY {} FROM STDIN").format(sql.Identifier("pg_temp", name))
    with runner.copy(statement) as pipe:
        for key in keys:
            pipe.write_row(
                [
                    wrap(value) if wrap is not None and value is not None else value
                    for wrap, value in zip(wrappers, key, strict=True)
                ]
            )
