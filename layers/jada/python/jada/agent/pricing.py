"""Token prices per model (USD per million tokens) and a turn's cost.

Cache writes are billed at 1.25x the input price (5-minute TTL), cache reads at 0.1x. Server tools:
web search $10 per 1,000 searches; web fetch has no charge beyond the tokens of the fetched content
(source: Anthropic's pricing page, https://platform.claude.com/docs/en/about-claude/pricing, "Tool
use pricing"; the tools' own pages say the same)."""

from __future__ import annotations

from typing import Any, NamedTuple

from jada.models import Usage


class Price(NamedTuple):
    input: float
    output: float


PRICES: dict[str, Price] = {
    "claude-opus-5-5": Price(5.0, 25.0),
    "claude-sonnet-5-5": Price(3.0, 15.0),
    "claude-haiku-5-5": Price(1.0, 5.0),
    "claude-opus-4-5": Price(5.0, 25.0),
    "claude-sonnet-4-5": Price(3.0, 15.0),
    "claude-haiku-4-5": Price(1.0, 5.0),
}
#: an unknown model is priced like the most expensive family, so a budget errs on the safe side
FALLBACK = Price(5.0, 25.0)
CACHE_WRITE_FACTOR = 1.25
CACHE_READ_FACTOR = 0.1
#: USD per 1,000 server-tool requests
WEB_SEARCH_PER_1000 = 10.0
WEB_FETCH_PER_1000 = 0.0


def price_of(model: str) -> Price:
    if model in PRICES:
        return PRICES[model]
    # dated ids such as claude-sonnet-4-5-20250929
    return next((p for name, p in PRICES.items() if model.startswith(name)), FALLBACK)


def usage_of(model: str, api_usage: Any) -> Usage:
    """Our Usage (with cost) from the SDK's `response.usage`."""
    usage = Usage(
        input_tokens=api_usage.input_tokens or 0,
        output_tokens=api_usage.output_tokens or 0,
        cache_write_tokens=getattr(api_usage, "cache_creation_input_tokens", None) or 0,
        cache_read_tokens=getattr(api_usage, "cache_read_input_tokens", None) or 0,
        **_server_tool_requests(api_usage),
    )
    return usage.model_copy(update={"cost_usd": cost_usd(model, usage)})


def _server_tool_requests(api_usage: Any) -> dict[str, int]:
    server = getattr(api_usage, "server_tool_use", None)
    return {
        "web_search_requests": getattr(server, "web_search_requests", None) or 0,
        "web_fetch_requests": getattr(server, "web_fetch_requests", None) or 0,
    }


def cost_usd(model: str, usage: Usage) -> float:
    price = price_of(model)
    millionths = (
        usage.input_tokens * price.input
        + usage.cache_write_tokens * price.input * CACHE_WRITE_FACTOR
        + usage.cache_read_tokens * price.input * CACHE_READ_FACTOR
        + usage.output_tokens * price.output
    )
    tools = usage.web_search_requests * WEB_SEARCH_PER_1000 + usage.web_fetch_requests * WEB_FETCH_PER_1000
    return round(millionths / 1_000_000 + tools / 1_000, 6)
