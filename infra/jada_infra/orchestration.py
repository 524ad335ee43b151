"""Orchestration: the poll function and schedule, the session state machine. (Being built: issue 4.)"""

from __future__ import annotations

from constructs import Construct

from jada_infra.alerting import Alerting
from jada_infra.config import StackConfig
from jada_infra.layers import SharedLayers
from jada_infra.state import State


class Orchestration(Construct):
    def __init__(
        self, scope: Construct, cid: str, *, config: StackConfig, state: State, alerting: Alerting,
        layers: SharedLayers,
    ) -> None:  # fmt: skip
        super().__init__(scope, cid)

    def outputs(self) -> dict[str, str]:
        return {}
