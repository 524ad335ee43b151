"""With ANTHROPIC_BASE_URL / GOOGLE_OAUTH_TOKEN_URI / SHEETS_API_ENDPOINT set, the local run talks to
those endpoints instead of its built-in stand-ins."""

from __future__ import annotations

import pytest
from jada_tools.fakes.google_server import HEADER, GoogleFake
from jada_tools.fakes.model_server import ModelServer, reply, scripted, tool_use
from jada_tools.local.cloud import run
from jada_tools.local.scenario import parse_scenario

from .conftest import by_title, sheet, task

pytestmark = pytest.mark.slow


def test_endpoints_from_the_environment_are_used(monkeypatch: pytest.MonkeyPatch) -> None:
    rows = [HEADER, ["Lisbon", "PT", "2026-05-14", "2026-05-15", "A3", "confirmed"]]
    done = reply(tool_use("complete_task", {"summary": "done by the external model"}))
    with ModelServer(scripted(done)) as model, GoogleFake(rows=rows) as google:
        monkeypatch.setenv("ANTHROPIC_BASE_URL", model.base_url)
        monkeypatch.setenv("GOOGLE_OAUTH_TOKEN_URI", google.token_uri)
        monkeypatch.setenv("SHEETS_API_ENDPOINT", google.sheets_endpoint)
        result = run(parse_scenario({
            "start": "2026-05-12T22:00:00Z", "end": "2026-05-12T22:05:00Z", "sheet_sync": sheet(),
            "tasks": [task("2026-05-12T22:00:00Z", "crew page")],
        }))  # fmt: skip
    assert len(model.requests) == 1
    assert by_title(result, "crew page")["summary"] == "done by the external model"
    assert google.calls("token")
    assert result.report["sheet_rows"] == 1  # the external sheet's one row, not the sample's twelve
    assert result.report["model"] == "Anthropic API (from the environment)"
