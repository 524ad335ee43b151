"""MCP servers (`mcpServers` context): the turn batch may read exactly the token secrets the
configured servers name. The stack creates no secret: the operator names an existing one (a secret
costs $0.40 a month) and fills it with the server's bearer token."""

from __future__ import annotations

from aws_cdk import aws_iam as iam
from aws_cdk import aws_secretsmanager as secretsmanager
from constructs import Construct
from jada.settings import Settings
from jada.tool_settings import mcp_servers


class McpServerSecrets(Construct):
    def __init__(self, scope: Construct, cid: str, *, settings: Settings, reader: iam.IGrantable) -> None:
        super().__init__(scope, cid)
        self.secrets: dict[str, secretsmanager.ISecret] = {}
        for server in mcp_servers(settings.mcp_servers):
            if not server.token_secret:
                continue
            secret = secretsmanager.Secret.from_secret_name_v2(
                self, f"Token-{server.name}", server.token_secret
            )
            secret.grant_read(reader)
            self.secrets[server.name] = secret
