"""How rows are matched by key: primary-key columns with `=`, else the whole row NULL-safe."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from psycopg import sql

from sg.adapters.postgres.catalog.text_form import as_text
from sg.adapters.postgres.objects.tuple_image import ImageColumn


@dataclass(frozen=True)
class KeyShape:
    """The key columns of a table and how two aliases' rows are compared on them."""

    columns: tuple[ImageColumn, ...]
    whole_row: bool

    @classmethod
    def of(cls, columns: Sequence[ImageColumn], key_names: Sequence[str] | None = None) -> KeyShape:
        """The key columns named (default: the columns' key flags); none means the whole row."""
        if key_names is None:
            key_names = [c.spec.name for c in columns if c.spec.is_pk]
        if key_names:
            by_name = {c.spec.name: c for c in columns}
            return cls(tuple(by_name[n] for n in key_names), whole_row=False)
        return cls(tuple(columns), whole_row=True)

    @property
    def names(self) -> list[str]:
        """Key column names in key order."""
        return [c.spec.name for c in self.columns]

    def identifiers(self, alias: str) -> list[sql.Composable]:
        """The key columns of `alias`, qualified."""
        return [sql.Identifier(alias, name) for name in self.names]

    def comparable(self, alias: str) -> list[sql.Composable]:
        """Per key column, what is compared: the value, or its text for types without `=`."""
        return [
            sql.Identifier(alias, c.spec.name)
            if c.has_equality
            else as_text(sql.Identifier(alias, c.spec.name))
            for c in self.columns
        ]

    def matches(self, left: str, right: str) -> sql.Composable:
        """A condition true when the rows of `left` and `right` have the same key.

        Whole rows are compared as records, whose `=` treats two NULLs as equal (the same
        answer as IS NOT DISTINCT FROM per column) yet, unlike it, can drive merge joins.
        The cast keeps the parser from expanding it into a NULL-unsafe row comparison.
        """
        if not self.whole_row:
            return sql.SQL(" AND ").join(
                sql.SQL("{} = {}").format(a, b)
                for a, b in zip(self.identifiers(left), self.identifiers(right), strict=True)
            )
        return sql.SQL("ROW({})::record = ROW({})::record").format(
            sql.SQL(", ").join(self.comparable(left)), sql.SQL(", ").join(self.comparable(right))
        )
