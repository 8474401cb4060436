"""Help texts a person reads: metavars such as `TABLE...` and `N`, never Python types."""

from __future__ import annotations

from typing import Any

from typer.core import TyperArgument, TyperCommand


class _ReadableArgument(TyperArgument):
    def make_metavar(self, ctx: Any, *, usage: bool = False) -> str:
        name = self.metavar or (self.name or "").upper()
        if self.nargs != 1 and "..." not in name and "[" not in name:
            name += "..."
        return f"[{name}]" if usage and not self.required else name


class SgCommand(TyperCommand):
    """A command whose help shows each argument's metavar, without braces or Python types."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for param in self.params:
            if type(param) is TyperArgument:
                param.__class__ = _ReadableArgument
