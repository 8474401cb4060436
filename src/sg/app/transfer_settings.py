"""Which transport moves objects between engines: `SG_TRANSPORT=copy|fdw`."""

from __future__ import annotations

import os

from sg.domain.errors import ConfigurationError

TRANSPORTS = ("copy", "fdw")
# The client COPY pipe: measured faster than postgres_fdw here (see the transfer
# benchmark), and it needs no route from one server to the other.
DEFAULT_TRANSPORT = "copy"


def transport_kind() -> str:
    """The transport named by `SG_TRANSPORT` (default `copy`); `ConfigurationError` if unknown."""
    value = os.environ.get("SG_TRANSPORT", "").strip().lower() or DEFAULT_TRANSPORT
    if value not in TRANSPORTS:
        raise ConfigurationError(
            f"SG_TRANSPORT must be one of {', '.join(TRANSPORTS)}, got {value!r}"
        )
    return value
