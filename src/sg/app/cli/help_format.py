"""Help texts a person reads: metavars such as `TABLE...` and `N`, never Python types."""

from __future__ import annotations

from typing import Any

from typer.core import TyperArgument, TyperCommand, TyperGroup, TyperOption


class _ReadableArgument(TyperArgument):
    def display_type_rich(self, ctx: Any) -> str | None:
        return None

    def _usage_display_name(self) -> str:
        name = self._rich_display_name()
        name = name if self.required else f"[{name}]"
        return name if self.nargs == 1 or name.endswith("...") else name + "..."

    def _rich_display_name(self) -> str:
        return self.metavar or (self.name or "").upper()


class _ReadableOption(TyperOption):
    def display_type_rich(self, ctx: Any) -> str | None:
        return self.metavar


class SgCommand(TyperCommand):
    """A command whose help shows each argument's metavar and no Python type names."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for param in self.params:
            if type(param) is TyperArgument:
                param.__class__ = _ReadableArgument
            elif type(param) is TyperOption:
                param.__class__ = _ReadableOption


class SgGroup(TyperGroup):
    """A command group whose own options show readable metavars."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for param in self.params:
            if type(param) is TyperOption:
                param.__class__ = _ReadableOption
