"""How hard the fuzz tests try: a Hypothesis profile chosen by `HYPOTHESIS_PROFILE`.

- `dev` (default): each property's own example count, random seeds, failures remembered in
  `.hypothesis/` and replayed first next time.
- `ci` (default when `CI` is set): the same counts, derandomized (the same examples every run, so a
  CI failure reproduces locally with `HYPOTHESIS_PROFILE=ci`), no example database.
- `long`: 20 times the examples, for a deeper local run:
  `HYPOTHESIS_PROFILE=long .venv/bin/pytest tests/fuzz -q --hypothesis-show-statistics`.

Every property runs without a deadline: moto and the loopback fakes make timing meaningless here.
Use `@fuzz(examples)` instead of `@settings(...)` on each property.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any

from hypothesis import HealthCheck, settings

FACTORS = {"dev": 1, "ci": 1, "long": 20}
PROFILE = os.environ.get("HYPOTHESIS_PROFILE") or ("ci" if os.environ.get("CI") else "dev")
if PROFILE not in FACTORS:
    raise RuntimeError(f"HYPOTHESIS_PROFILE={PROFILE!r}: use one of {', '.join(FACTORS)}")

settings.register_profile("fuzz-dev", deadline=None, print_blob=True)
settings.register_profile("fuzz-ci", deadline=None, derandomize=True, database=None, print_blob=True)
settings.register_profile("fuzz-long", deadline=None, print_blob=True)
BASE = settings.get_profile(f"fuzz-{PROFILE}")


def fuzz(examples: int, **overrides: Any) -> Callable[[Any], Any]:
    """Settings for one property: `examples` (times the profile's factor), the profile's seeding.
    Fixtures shared between examples are made fresh per test, and each example starts from a state
    it makes itself (a new task, a new tool_use id), so the function-scoped fixture check is off."""
    return settings(
        BASE,
        max_examples=examples * FACTORS[PROFILE],
        suppress_health_check=[
            HealthCheck.function_scoped_fixture,
            HealthCheck.too_slow,
            HealthCheck.data_too_large,
        ],
        **overrides,
    )
