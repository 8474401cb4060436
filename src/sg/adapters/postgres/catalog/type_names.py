"""Check that a type name read from an untrusted dump header is only a type name."""

from __future__ import annotations

import re

from sg.domain.errors import CorruptDumpError

# Tokens a type name is made of: identifiers (plain or quoted), dots, spaces, a numeric
# modifier list and array brackets. Anything else (quotes, semicolons, expressions) is out.
_TOKENS = re.compile(
    r'(?:"(?:[^"\x00]|"")+"|[A-Za-z_][A-Za-z0-9_$]*|\(\s*\d+(?:\s*,\s*\d+)*\s*\)|\[\d*\]|[ .])+'
)
_WORD = re.compile(r'"(?:[^"]|"")*"|[A-Za-z_][A-Za-z0-9_$]*')
# Plain words that would turn a column's type into a column constraint or default.
_CLAUSE_WORDS = frozenset(
    {
        "always", "as", "check", "collate", "compression", "constraint", "default",
        "deferrable", "generated", "identity", "initially", "key", "not", "null",
        "primary", "references", "storage", "stored", "unique", "using",
    }
)  # fmt: skip
MAX_TYPE_NAME = 512


def check_type_name(name: str) -> str:
    """Return `name` if it reads as a plain type name; else raise `CorruptDumpError`."""
    if len(name) > MAX_TYPE_NAME or not _TOKENS.fullmatch(name):
        raise CorruptDumpError(f"dump names an unusable column type: {name!r}")
    for word in _WORD.findall(name):
        if not word.startswith('"') and word.lower() in _CLAUSE_WORDS:
            raise CorruptDumpError(f"dump names an unusable column type: {name!r}")
    return name
