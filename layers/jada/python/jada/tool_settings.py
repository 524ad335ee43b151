"""The shapes of the hosted-tool settings `serverTools` and `mcpServers`.

A setting keeps its value as given (plain JSON, so it travels through cdk.json, environment
variables and scenario files unchanged); these models validate it when settings are read and give
the tools a typed view of it (`server_tools(value)`, `mcp_servers(value)`).

    "serverTools": ["web_search", {"name": "web_fetch", "allowedDomains": ["sailjada.com"], "maxUses": 3}]
    "mcpServers": [{"name": "apps-script", "url": "https://mcp.example.com/mcp",
                    "tokenSecret": "jada/mcp/apps-script", "allowedTools": ["update_script"]}]
"""

from __future__ import annotations

import re
from typing import Annotated, Any, Literal
from urllib.parse import urlsplit

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    TypeAdapter,
    ValidationError,
    model_validator,
)
from pydantic.alias_generators import to_camel

WEB_SEARCH, WEB_FETCH = "web_search", "web_fetch"
SERVER_TOOL_NAMES = (WEB_SEARCH, WEB_FETCH)
#: at most this many uses of one server tool per request (the API's `max_uses`)
MAX_USES_LIMIT = 50
_DOMAIN = re.compile(r"^(?!-)[A-Za-z0-9.-]+\.[A-Za-z]{2,}(/[^\s]*)?$")
_SECRET_NAME = re.compile(r"^[A-Za-z0-9/_+=.@-]{1,512}$")


class _Shape(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", alias_generator=to_camel, populate_by_name=False)


def _domains(values: tuple[str, ...]) -> tuple[str, ...]:
    for domain in values:
        if not _DOMAIN.match(domain):
            raise ValueError(f"{domain!r} is not a domain (no scheme: 'example.com' or 'example.com/blog')")
    return values


Domains = Annotated[tuple[str, ...], AfterValidator(_domains)]


class ServerTool(_Shape):
    """One Anthropic server tool: `web_search` or `web_fetch`, with optional limits."""

    name: Literal["web_search", "web_fetch"]
    allowed_domains: Domains = ()
    blocked_domains: Domains = ()
    max_uses: int | None = Field(None, ge=1, le=MAX_USES_LIMIT)

    @model_validator(mode="after")
    def _one_domain_list(self) -> ServerTool:
        if self.allowed_domains and self.blocked_domains:
            raise ValueError(f"{self.name}: give allowedDomains or blockedDomains, not both")
        return self


class McpServer(_Shape):
    """A remote MCP server reached through the Messages API's MCP connector."""

    name: str = Field(pattern=r"^[A-Za-z0-9_-]{1,64}$")
    url: str = Field(max_length=2048)
    #: a Secrets Manager secret (name) holding the server's bearer token; empty: no token is sent
    token_secret: str = ""
    #: the server's tools the agent may call; empty: every tool the server offers
    allowed_tools: tuple[Annotated[str, Field(pattern=r"^[A-Za-z0-9_.-]{1,128}$")], ...] = ()

    @model_validator(mode="after")
    def _https_and_secret(self) -> McpServer:
        parts = urlsplit(self.url)
        if parts.scheme != "https" or not parts.hostname:
            raise ValueError(f"MCP server {self.name}: url must be https://..., got {self.url!r}")
        if parts.username or parts.password:
            raise ValueError(f"MCP server {self.name}: put credentials in tokenSecret, not in the url")
        if self.token_secret and not _SECRET_NAME.match(self.token_secret):
            raise ValueError(f"MCP server {self.name}: tokenSecret must be a Secrets Manager secret name")
        if len(set(self.allowed_tools)) != len(self.allowed_tools):
            raise ValueError(f"MCP server {self.name}: allowedTools repeats a tool")
        return self


_MCP_SERVERS = TypeAdapter(list[McpServer])


def server_tools(value: Any) -> tuple[ServerTool, ...]:
    """The configured server tools, in the order given: each a name or an object. Raises
    ValueError saying what is wrong."""
    if not isinstance(value, list | tuple):
        raise ValueError("must be a list of server tools")
    tools = []
    for i, item in enumerate(value):
        given = {"name": item} if isinstance(item, str) else item
        if not isinstance(given, dict):
            raise ValueError(f"[{i}]: must be a tool name or an object with a name")
        try:
            tools.append(ServerTool.model_validate(given))
        except ValidationError as exc:
            raise ValueError(_problems(exc, prefix=f"[{i}]")) from None
    names = [tool.name for tool in tools]
    if len(set(names)) != len(names):
        raise ValueError("names a server tool twice")
    return tuple(tools)


def mcp_servers(value: Any) -> tuple[McpServer, ...]:
    """The configured MCP servers, in the order given. Raises ValueError saying what is wrong."""
    servers = tuple(_MCP_SERVERS.validate_python(value))
    names = [server.name for server in servers]
    if len(set(names)) != len(names):
        raise ValueError("names an MCP server twice")
    return servers


def _checked(parse: Any) -> Any:
    def check(value: list[Any]) -> list[Any]:
        try:
            parse(value)
        except ValidationError as exc:
            raise ValueError(_problems(exc)) from None
        return value

    return check


def _problems(exc: ValidationError, prefix: str = "") -> str:
    """`[1].maxUses: Input should be less than or equal to 50` (positions and camelCase keys)."""
    problems = []
    for err in exc.errors():
        where = prefix + "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in err["loc"])
        message = str(err["msg"]).removeprefix("Value error, ")
        problems.append(f"{where.lstrip('.') or 'value'}: {message}")
    return "; ".join(dict.fromkeys(problems))


#: the settings' types: plain JSON lists, checked by the models above
ServerTools = Annotated[list[Any], AfterValidator(_checked(server_tools))]
McpServers = Annotated[list[Any], AfterValidator(_checked(mcp_servers))]
