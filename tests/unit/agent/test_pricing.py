from __future__ import annotations

import pytest
from jada.agent.pricing import FALLBACK, cost_usd, price_of
from jada.models import Usage


def test_cost_counts_cache_writes_at_1_25x_and_reads_at_0_1x_of_input() -> None:
    usage = Usage(input_tokens=1_000_000, output_tokens=1_000_000, cache_write_tokens=1_000_000,
                  cache_read_tokens=1_000_000)  # fmt: skip
    assert cost_usd("claude-sonnet-5-5", usage) == pytest.approx(3 + 15 + 3.75 + 0.3)


def test_dated_model_ids_use_their_family_price_and_unknown_models_the_highest() -> None:
    assert price_of("claude-haiku-4-5-20251001") == price_of("claude-haiku-4-5")
    assert price_of("some-new-model") == FALLBACK
