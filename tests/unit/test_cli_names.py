"""Command-line names: SQL's folding and quoting rules, and printing that parses back."""

from __future__ import annotations

import pytest

from sg.app.cli.names import (
    is_object_id,
    parse_schema,
    parse_schema_or_table,
    parse_table,
    parse_version_target,
    show_table,
)
from sg.domain.errors import InvalidIdentifierError
from sg.domain.model import TableRef


@pytest.mark.parametrize(
    ("text", "table"),
    [
        ("notes", TableRef("public", "notes")),
        ("Sales.Orders", TableRef("sales", "orders")),
        ('"My Schema"."Order.Lines"', TableRef("My Schema", "Order.Lines")),
        ('public."quo""te"', TableRef("public", 'quo"te')),
        ('"ÄÖ".straße', TableRef("ÄÖ", "straße")),
    ],
)
def test_parse_table(text: str, table: TableRef) -> None:
    assert parse_table(text) == table


@pytest.mark.parametrize(
    "name",
    ["notes", "Notes", "dot.ted", 'quo"te', "with space", "straße", "x$1", "1abc", "_ok"],
)
def test_printed_names_parse_back(name: str) -> None:
    for ref in (TableRef("public", name), TableRef(name, name)):
        assert parse_table(show_table(ref)) == ref


def test_plain_names_print_unquoted() -> None:
    assert show_table(("public", "notes")) == "public.notes"
    assert show_table(("public", "Notes")) == 'public."Notes"'


@pytest.mark.parametrize("text", ["", "a..b", 'a."b', "a.b.c", " a", "a" * 64])
def test_bad_names_are_refused(text: str) -> None:
    with pytest.raises(InvalidIdentifierError):
        parse_table(text)


def test_schema_forms() -> None:
    assert parse_schema('"My Schema"') == "My Schema"
    assert parse_schema_or_table("Shop") == ("shop", None)
    assert parse_schema_or_table('shop."T"') == ("shop", "T")
    with pytest.raises(InvalidIdentifierError):
        parse_schema("a.b")


@pytest.mark.parametrize(
    ("text", "target"),
    [
        ("shop", ("shop", "latest")),
        ("Shop@v1", ("shop", "v1")),
        ("shop@1a2b3c4d", ("shop", "1a2b3c4d")),
        ('"At@Home"@release', ("At@Home", "release")),
        ('"At@Home"', ("At@Home", "latest")),
        ("shop@tag@odd", ("shop", "tag@odd")),
    ],
)
def test_parse_version_target(text: str, target: tuple[str, str]) -> None:
    assert parse_version_target(text) == target


@pytest.mark.parametrize("text", ["shop@", "@v1", "shop.items@v1", '"open@v1'])
def test_bad_version_targets(text: str) -> None:
    with pytest.raises(InvalidIdentifierError):
        parse_version_target(text)


def test_object_ids_are_told_from_names() -> None:
    assert is_object_id("o" + "ab" * 31)
    assert not is_object_id("shop") and not is_object_id("o" + "AB" * 31)
