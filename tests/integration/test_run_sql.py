"""PsycopgEngine.run_sql / run_sql_batch / transactions against a real server."""

from __future__ import annotations

import pytest
from psycopg import sql

from sg import (
    DataValueError,
    IntegrityViolationError,
    PsycopgEngine,
    ResultShape,
    SgError,
    SqlSyntaxError,
    TableNotFoundError,
)


@pytest.fixture
def numbers(engine: PsycopgEngine) -> PsycopgEngine:
    engine.run_sql("CREATE TABLE numbers (n int PRIMARY KEY, word text)")
    engine.run_sql("INSERT INTO numbers VALUES (1, 'one'), (2, 'two'), (3, 'three')")
    return engine


@pytest.mark.parametrize(
    ("shape", "expected"),
    [
        (ResultShape.NONE, None),
        (ResultShape.ONE_ONE, 1),
        (ResultShape.ONE_MANY, (1, "one")),
        (ResultShape.MANY_ONE, [1, 2, 3]),
        (ResultShape.MANY_MANY, [(1, "one"), (2, "two"), (3, "three")]),
    ],
)
def test_each_result_shape(numbers: PsycopgEngine, shape: ResultShape, expected: object) -> None:
    result = numbers.run_sql("SELECT n, word FROM numbers ORDER BY n", return_shape=shape)
    assert result == expected


def test_result_shape_values_match_the_reference() -> None:
    assert [s.value for s in ResultShape] == [0, 1, 2, 3, 4]
    assert [s.name for s in ResultShape] == ["NONE", "ONE_ONE", "ONE_MANY", "MANY_ONE", "MANY_MANY"]


@pytest.mark.parametrize(
    ("shape", "expected"),
    [
        (ResultShape.ONE_ONE, None),
        (ResultShape.ONE_MANY, None),
        (ResultShape.MANY_ONE, []),
        (ResultShape.MANY_MANY, []),
    ],
)
def test_query_without_rows(numbers: PsycopgEngine, shape: ResultShape, expected: object) -> None:
    assert numbers.run_sql("SELECT n FROM numbers WHERE n > 99", return_shape=shape) == expected


def test_statements_without_result_set_give_none(numbers: PsycopgEngine) -> None:
    assert numbers.run_sql("UPDATE numbers SET word = upper(word)") is None
    assert numbers.run_sql("CREATE TABLE other (x int)") is None


def test_arguments_and_composable_statements(numbers: PsycopgEngine) -> None:
    by_list = numbers.run_sql(
        "SELECT word FROM numbers WHERE n = %s", [2], return_shape=ResultShape.ONE_ONE
    )
    by_name = numbers.run_sql(
        "SELECT word FROM numbers WHERE n = %(n)s", {"n": 3}, return_shape=ResultShape.ONE_ONE
    )
    composed = sql.SQL("SELECT {} FROM {} WHERE n = %s").format(
        sql.Identifier("word"), sql.Identifier("public", "numbers")
    )
    assert (by_list, by_name) == ("two", "three")
    assert numbers.run_sql(composed, (1,), ResultShape.ONE_ONE) == "one"


def test_batch_of_ten_thousand_rows(numbers: PsycopgEngine) -> None:
    rows = [(n, f"word {n}") for n in range(10, 10_010)]
    numbers.run_sql_batch("INSERT INTO numbers (n, word) VALUES (%s, %s)", rows)
    assert numbers.run_sql("SELECT count(*) FROM numbers", return_shape=ResultShape.ONE_ONE) == (
        10_003
    )
    assert (
        numbers.run_sql(
            "SELECT word FROM numbers WHERE n = 10009", return_shape=ResultShape.ONE_ONE
        )
        == "word 10009"
    )


def _search_path(engine: PsycopgEngine) -> str:
    return str(engine.run_sql("SHOW search_path", return_shape=ResultShape.ONE_ONE))


def test_batch_schema_sets_search_path_only_for_the_batch(engine: PsycopgEngine) -> None:
    engine.run_sql('CREATE SCHEMA "Side ""Schema"""')
    engine.run_sql('CREATE TABLE "Side ""Schema""".items (x int)')
    before = _search_path(engine)
    engine.run_sql_batch("INSERT INTO items VALUES (%s)", [(1,), (2,)], schema='Side "Schema"')
    assert _search_path(engine) == before
    assert (
        engine.run_sql(
            'SELECT count(*) FROM "Side ""Schema""".items', return_shape=ResultShape.ONE_ONE
        )
        == 2
    )


def test_batch_restores_search_path_on_error(engine: PsycopgEngine) -> None:
    engine.run_sql("CREATE SCHEMA side")
    engine.run_sql("CREATE TABLE side.items (x int PRIMARY KEY)")
    engine.commit()
    before = _search_path(engine)
    with pytest.raises(IntegrityViolationError):
        engine.run_sql_batch("INSERT INTO items VALUES (%s)", [(1,), (1,)], schema="side")
    assert _search_path(engine) == before
    assert engine.run_sql("SELECT count(*) FROM side.items", return_shape=ResultShape.ONE_ONE) == 0


def test_errors_are_typed_keep_the_server_message_and_roll_back(numbers: PsycopgEngine) -> None:
    numbers.commit()
    numbers.run_sql("INSERT INTO numbers VALUES (4, 'four')")
    with pytest.raises(TableNotFoundError, match="nope"):
        numbers.run_sql("SELECT * FROM nope")
    # the failed transaction was rolled back: the engine is usable and the insert is gone
    assert numbers.run_sql("SELECT max(n) FROM numbers", return_shape=ResultShape.ONE_ONE) == 3
    with pytest.raises(SqlSyntaxError, match="syntax error"):
        numbers.run_sql("SELEC 1")
    with pytest.raises(DataValueError, match="division by zero") as caught:
        numbers.run_sql("SELECT 1/0")
    assert caught.value.sqlstate == "22012"
    with pytest.raises(IntegrityViolationError, match="duplicate key"):
        numbers.run_sql("INSERT INTO numbers VALUES (1, 'again')")
    assert isinstance(caught.value, SgError)


def _keys(engine: PsycopgEngine) -> list[int]:
    return list(
        engine.run_sql("SELECT n FROM numbers ORDER BY n", return_shape=ResultShape.MANY_ONE)
    )


def test_error_inside_savepoint_rolls_back_only_the_savepoint(numbers: PsycopgEngine) -> None:
    numbers.run_sql("INSERT INTO numbers VALUES (4, 'four')")
    with pytest.raises(IntegrityViolationError), numbers.savepoint():
        numbers.run_sql("INSERT INTO numbers VALUES (5, 'five')")
        numbers.run_sql("INSERT INTO numbers VALUES (1, 'dup')")
    assert _keys(numbers) == [1, 2, 3, 4]


def test_caught_error_rolls_back_to_the_savepoint_and_work_goes_on(
    numbers: PsycopgEngine,
) -> None:
    numbers.run_sql("INSERT INTO numbers VALUES (0, 'zero')")
    with numbers.savepoint():
        numbers.run_sql("INSERT INTO numbers VALUES (4, 'four')")
        with pytest.raises(SqlSyntaxError):
            numbers.run_sql("SELEC 1")
        numbers.run_sql("INSERT INTO numbers VALUES (5, 'five')")
    # the error undid the savepoint's work so far (4), not the transaction's (0)
    assert _keys(numbers) == [0, 1, 2, 3, 5]


def test_rollback_commit_and_close(numbers: PsycopgEngine, db_params: dict[str, str]) -> None:
    numbers.commit()
    numbers.run_sql("INSERT INTO numbers VALUES (4, 'four')")
    numbers.rollback()
    assert numbers.run_sql("SELECT count(*) FROM numbers", return_shape=ResultShape.ONE_ONE) == 3
    numbers.run_sql("INSERT INTO numbers VALUES (5, 'five')")
    numbers.close()  # commits
    other = PsycopgEngine(db_params, "other")
    try:
        assert other.run_sql("SELECT max(n) FROM numbers", return_shape=ResultShape.ONE_ONE) == 5
    finally:
        other.close()
    # a closed engine reconnects on its next use
    assert numbers.run_sql("SELECT 1", return_shape=ResultShape.ONE_ONE) == 1


def test_connection_is_opened_lazily_and_once(db_params: dict[str, str]) -> None:
    watcher = PsycopgEngine(db_params, "watcher")
    lazy = PsycopgEngine(db_params, "lazy-one")
    count = "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'sg:lazy-one'"
    try:
        assert watcher.run_sql(count, return_shape=ResultShape.ONE_ONE) == 0
        first = lazy.connection
        lazy.run_sql("SELECT 1")
        assert lazy.connection is first
        watcher.rollback()  # a new snapshot of pg_stat_activity
        assert watcher.run_sql(count, return_shape=ResultShape.ONE_ONE) == 1
    finally:
        lazy.close()
        watcher.close()


def test_percent_signs_in_identifiers_and_literals_with_arguments(engine: PsycopgEngine) -> None:
    table = sql.Identifier("public", "50% off")
    engine.run_sql(
        sql.SQL("CREATE TABLE {} ({} int, label text)").format(table, sql.Identifier("a%s"))
    )
    statement = sql.SQL("INSERT INTO {} VALUES (%s, {})").format(table, sql.Literal("100%"))
    engine.run_sql(statement, [7])
    engine.run_sql_batch(statement, [(8,), (9,)])
    query = sql.SQL("SELECT {}, label FROM {} WHERE {} >= %s ORDER BY 1").format(
        sql.Identifier("a%s"), table, sql.Identifier("a%s")
    )
    assert engine.run_sql(query, [8]) == [(8, "100%"), (9, "100%")]
    assert list(engine.iter_rows(query, [9])) == [(9, "100%")]
