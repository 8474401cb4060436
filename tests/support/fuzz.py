"""Hypothesis profiles: modest example counts by default, a long run with `SG_FUZZ=1`."""

from __future__ import annotations

import os

from hypothesis import HealthCheck, settings

_COMMON = {
    "deadline": None,  # examples talk to real servers on a shared machine
    "suppress_health_check": [HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
}
settings.register_profile("sg-default", max_examples=10, **_COMMON)  # type: ignore[arg-type]
settings.register_profile("sg-fuzz", max_examples=300, **_COMMON)  # type: ignore[arg-type]
settings.load_profile("sg-fuzz" if os.environ.get("SG_FUZZ") else "sg-default")
