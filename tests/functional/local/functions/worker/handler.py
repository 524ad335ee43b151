"""Test function: report the time it ran at and emit one EMF data point."""

import json
import time
from datetime import UTC, datetime


def handler(event, context):
    now = datetime.now(UTC)
    print(
        json.dumps(
            {
                "_aws": {
                    "Timestamp": int(time.time() * 1000),
                    "CloudWatchMetrics": [
                        {
                            "Namespace": "Test",
                            "Dimensions": [["service"]],
                            "Metrics": [{"Name": "Work", "Unit": "Count"}],
                        }
                    ],
                },
                "service": "test",
                "Work": 1,
            }
        )
    )
    return {"scheduled": event["time"], "ran_at": now.strftime("%Y-%m-%dT%H:%M:%SZ")}
