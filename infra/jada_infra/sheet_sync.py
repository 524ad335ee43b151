"""Sheet sync: the token secret, the sync function and schedule, the sheet table, its alarms.
(Being built: issue 5.)"""

from __future__ import annotations

from constructs import Construct

from jada_infra.alerting import Alerting
from jada_infra.config import StackConfig
from jada_infra.layers import SharedLayers


class SheetSync(Construct):
    def __init__(
        self, scope: Construct, cid: str, *, config: StackConfig, alerting: Alerting, layers: SharedLayers
    ) -> None:
        super().__init__(scope, cid)

    def outputs(self) -> dict[str, str]:
        return {}
