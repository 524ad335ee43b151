"""Reading the synthesized template in infra tests (`app_template` is in tests/conftest.py)."""

from __future__ import annotations

from typing import Any

from jada_tools.local.provision import resources_of_type


def only(tpl: dict[str, Any], rtype: str, prefix: str = "") -> tuple[str, dict[str, Any]]:
    """(logical id, resource) of the one resource of `rtype` whose logical id starts with `prefix`."""
    found = [(lid, r) for lid, r in resources_of_type(tpl, rtype).items() if lid.startswith(prefix)]
    assert len(found) == 1, f"expected one {rtype} {prefix}*, found {[lid for lid, _ in found]}"
    return found[0]
