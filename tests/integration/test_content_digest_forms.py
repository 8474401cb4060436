"""The server's two forms of the content digest agree with each other and with the domain's."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from psycopg import sql

from sg import PsycopgEngine
from sg.adapters.postgres.catalog.relation import inherited_size, relation_size
from sg.adapters.postgres.objects import tuple_image
from sg.adapters.postgres.objects.tuple_image import digest_query, digest_row, image_columns
from sg.adapters.postgres.session.postgres_session import PostgresSession
from sg.domain.content_digest import BLOCK_BYTES, digest_of_images
from sg.domain.engine_params import EngineParams
from sg.domain.errors import DataValueError
from sg.domain.model import ResultShape, TableRef
from sg.ports.sql import Arguments, Statement
from tests.fakes.database import Row
from tests.support.contract_harness import KEYED, PostgresHarness

T = TableRef("public", "t")
ONE_ROW = ResultShape.ONE_MANY
# A row (int, text) of this many characters has an image of exactly one block.
ONE_BLOCK = BLOCK_BYTES - (2 + 4 + 4 + 4)

CASES: dict[str, list[Row]] = {
    "no rows": [],
    "one NULL": [(1, None)],
    "images crossing and spanning blocks": [
        (i, "x" * size) for i, size in enumerate([700_000, 10, 2_600_000, 0, 900_000, 1])
    ],
    "a body of exactly one block": [(1, "y" * ONE_BLOCK)],
    "a body one byte past a block": [(1, "y" * (ONE_BLOCK + 1))],
    "many small rows": [(i, f"value {i}" if i % 7 else None) for i in range(20_000, 0, -1)],
}


class BodyTooLarge(PostgresSession):
    """A session on which a whole-body digest fails on the server as a body over 1 GB does."""

    whole_bodies = 0
    refusal: str | None = None  # run in place of a whole-body digest, once set

    def run(self, statement: Statement, arguments: Arguments | None, shape: ResultShape) -> Any:
        """Run `statement`, or the refusal in its place when it is a whole-body digest."""
        if isinstance(statement, sql.Composable) and _is_whole_body(statement, self):
            self.whole_bodies += 1
            if self.refusal is not None:
                statement = self.refusal
        return super().run(statement, arguments, shape)


# A server error of a string over 1 GB: 54000, requested length too large.
TOO_LARGE = "SELECT pg_catalog.repeat('x', 1073741824)"


def _is_whole_body(statement: sql.Composable, session: PostgresSession) -> bool:
    return ") AS body," in statement.as_string(session.native_connection())


@pytest.fixture
def session(db_params: dict[str, str]) -> Iterator[BodyTooLarge]:
    with PsycopgEngine(db_params, "digest-init") as engine:
        engine.initialize()
    runner = BodyTooLarge(EngineParams.from_mapping(db_params), "digest-forms")
    try:
        yield runner
    finally:
        runner.rollback()
        runner.close()


def _forms(runner: PostgresSession, table: TableRef, flag: str | None = None) -> list[Any]:
    """The digest row of `table` in the whole-body form, then in the placed form."""
    columns = image_columns(runner, table)
    return [
        tuple(runner.run(digest_query(table, columns, flag, whole_body=whole), None, ONE_ROW))
        for whole in (True, False)
    ]


def _images(runner: PostgresSession, table: TableRef) -> list[bytes]:
    columns = image_columns(runner, table)
    found = runner.run(
        sql.SQL("SELECT {} FROM {} AS t ORDER BY 1").format(
            tuple_image.tuple_image("t", columns), sql.Identifier(*table)
        ),
        None,
        ResultShape.MANY_ONE,
    )
    return [bytes(image) for image in found]


@pytest.mark.parametrize("case", sorted(CASES))
def test_both_forms_give_the_domain_digest(session: BodyTooLarge, case: str) -> None:
    PostgresHarness(session).create(T, KEYED, CASES[case])
    whole, placed = _forms(session, T)
    expected = (len(CASES[case]), digest_of_images(_images(session, T)))
    assert (int(whole[0]), bytes(whole[1])) == expected
    assert (int(placed[0]), bytes(placed[1])) == expected


def test_both_forms_count_upserts_and_delete_markers(session: BodyTooLarge) -> None:
    rows = [(i, "v" * (i % 5000), i % 3 != 0) for i in range(3000)]
    PostgresHarness(session).create(T, [*KEYED, ("sg_ud_flag", "boolean", False)], rows)
    whole, placed = _forms(session, T, "sg_ud_flag")
    assert whole == placed
    assert whole[:3] == (2000, 1000, 3000)


def test_a_body_too_large_for_memory_falls_back_to_placed_blocks(session: BodyTooLarge) -> None:
    PostgresHarness(session).create(T, KEYED, CASES["images crossing and spanning blocks"])
    session.refusal = TOO_LARGE
    columns = image_columns(session, T)
    assert digest_row(session, T, columns)[1] == digest_of_images(_images(session, T))
    assert session.whole_bodies == 1
    # The failed statement left the transaction usable.
    assert session.run("SELECT 1", None, ResultShape.ONE_ONE) == 1


def test_other_errors_of_a_whole_body_are_not_hidden(session: BodyTooLarge) -> None:
    PostgresHarness(session).create(T, KEYED, [(1, "a")])
    session.refusal = "SELECT 1 / 0"
    with pytest.raises(DataValueError):
        digest_row(session, T, image_columns(session, T))


def test_tables_over_the_limit_take_the_placed_form(
    session: BodyTooLarge, monkeypatch: pytest.MonkeyPatch
) -> None:
    PostgresHarness(session).create(T, KEYED, CASES["many small rows"])
    monkeypatch.setattr(tuple_image, "WHOLE_BODY_LIMIT", 0)
    assert digest_row(session, T, image_columns(session, T))[1] == digest_of_images(
        _images(session, T)
    )
    assert session.whole_bodies == 0


# A value of each type whose image field has a fixed width (extremes where they differ).
FIXED_WIDTH_VALUES = {
    "boolsend": ["true::boolean"],
    "int2send": ["(-32768)::int2"],
    "int4send": ["2147483647::int4"],
    "oidsend": ["4294967295::oid"],
    "float4send": ["'-Infinity'::float4", "'NaN'::float4"],
    "date_send": ["'infinity'::date", "'4713-01-01 BC'::date"],
    "int8send": ["(-9223372036854775808)::int8"],
    "float8send": ["'1e308'::float8"],
    "cash_send": ["'-92233720368547758.08'::money"],
    "time_send": ["'24:00'::time"],
    "timestamp_send": ["'294276-12-31 23:59:59.999999'::timestamp"],
    "timestamptz_send": ["'-infinity'::timestamptz"],
    "timetz_send": ["'23:59:59.999999-15:59'::timetz"],
    "interval_send": ["'-178000000 years 7 days 1 microsecond'::interval"],
    "uuid_send": ["'ffffffff-ffff-ffff-ffff-ffffffffffff'::uuid"],
}


def test_fixed_widths_are_what_the_send_functions_write(session: BodyTooLarge) -> None:
    widths: dict[str, int] = tuple_image._FIXED_WIDTH
    assert set(FIXED_WIDTH_VALUES) == set(widths)
    for send, values in FIXED_WIDTH_VALUES.items():
        for value in values:
            sent = session.run(
                sql.SQL("SELECT pg_catalog.octet_length({}({}))").format(
                    sql.Identifier("pg_catalog", send), sql.SQL(value)
                ),
                None,
                ResultShape.ONE_ONE,
            )
            assert sent == widths[send], (send, value)


def test_a_partitioned_table_counts_its_partitions_against_the_limit(
    session: BodyTooLarge, monkeypatch: pytest.MonkeyPatch
) -> None:
    session.run(
        "CREATE TABLE public.p (id int PRIMARY KEY, v text) PARTITION BY RANGE (id)",
        None,
        ResultShape.NONE,
    )
    for low in (0, 5000):
        session.run(
            f"CREATE TABLE public.p{low} PARTITION OF public.p"
            f" FOR VALUES FROM ({low}) TO ({low + 5000})",
            None,
            ResultShape.NONE,
        )
    session.run(
        "INSERT INTO public.p SELECT g, repeat('v', 100) FROM generate_series(0, 9999) g",
        None,
        ResultShape.NONE,
    )
    parent = TableRef("public", "p")
    size = inherited_size(session, parent)
    parts = [relation_size(session, TableRef("public", f"p{low}")) for low in (0, 5000)]
    assert size >= sum(parts) > 0 and relation_size(session, parent) == 0
    monkeypatch.setattr(tuple_image, "WHOLE_BODY_LIMIT", size - 1)
    assert digest_row(session, parent, image_columns(session, parent))[1] == digest_of_images(
        _images(session, parent)
    )
    assert session.whole_bodies == 0
