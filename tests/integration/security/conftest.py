"""Fixtures for the attack tests: a superuser engine and a non-superuser one."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.integration.security.attackers import Setting, attack_setting
from tests.support.servers import TestServer


@pytest.fixture(params=["superuser", "owner"])
def setting(request: pytest.FixtureRequest, server: TestServer) -> Iterator[Setting]:
    """An initialized engine (superuser, or a role owning only its database) under attack."""
    with attack_setting(server, superuser_engine=request.param == "superuser") as s:
        s.engine.initialize()
        s.engine.commit()
        yield s


@pytest.fixture
def superuser_setting(server: TestServer) -> Iterator[Setting]:
    """An initialized superuser engine under attack."""
    with attack_setting(server, superuser_engine=True) as s:
        s.engine.initialize()
        s.engine.commit()
        yield s
