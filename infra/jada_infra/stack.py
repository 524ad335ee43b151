"""JadaStack only composes the constructs; each concern lives in its own module."""

from __future__ import annotations

from typing import Any

from aws_cdk import CfnOutput, Stack
from constructs import Construct

from jada_infra.alerting import Alerting
from jada_infra.config import StackConfig
from jada_infra.dashboard import Dashboard
from jada_infra.layers import SharedLayers
from jada_infra.mcp_servers import McpServerSecrets
from jada_infra.orchestration import Orchestration
from jada_infra.sheet_sync import SheetSync
from jada_infra.sites import Sites
from jada_infra.state import State
from jada_infra.workspace import Workspace


class JadaStack(Stack):
    def __init__(self, scope: Construct, cid: str, *, config: StackConfig, **kwargs: Any) -> None:
        super().__init__(scope, cid, **kwargs)
        self.config = config
        self.state = State(self, "State", retention_days=config.settings.retention_days)
        self.alerting = Alerting(self, "Alerting", alert_email=config.alert_email)
        self.layers = SharedLayers(self, "Layers", powertools_version=config.settings.powertools_version)
        self.orchestration = Orchestration(
            self, "Orchestration", config=config, state=self.state, alerting=self.alerting, layers=self.layers
        )
        self.workspace = Workspace(self, "Workspace")
        self.workspace.grant_agent(self.orchestration.turn_batch)
        self.sites = Sites(self, "Sites", sites=config.settings.sites)
        self.sites.grant_agent(self.orchestration.turn_batch)
        self.sheet_sync = SheetSync(
            self, "SheetSync", config=config, alerting=self.alerting, layers=self.layers
        )
        self.dashboard = Dashboard(
            self,
            "Dashboard",
            settings=config.settings,
            alerting=self.alerting,
            sync_enabled=self.sheet_sync.enabled,
        )
        # work tools of the turn batch: read_port_sheet (when a sheet is configured), MCP tokens
        if config.settings.spreadsheet_id:
            self.sheet_sync.grant_reads(self.orchestration.turn_batch)
        self.mcp_servers = McpServerSecrets(
            self, "McpServers", settings=config.settings, reader=self.orchestration.turn_batch
        )
        outputs: dict[str, str] = {
            "TasksTableName": self.state.tasks.table_name,
            "CountersTableName": self.state.counters.table_name,
            "CheckpointsTableName": self.state.checkpoints.table_name,
            "CheckpointBucketName": self.state.checkpoint_bucket.bucket_name,
            "AlertTopicArn": self.alerting.topic.topic_arn,
            **self.orchestration.outputs(),
            **self.sheet_sync.outputs(),
            **self.dashboard.outputs(),
            **self.workspace.outputs(),
            **self.sites.outputs(),
        }
        for name, value in outputs.items():
            CfnOutput(self, name, value=value, export_name=None)
