"""Test function: report the time it ran at and emit one EMF data point.

With `"flaky": true` in the event, the first call of a cold start raises `Flaky`."""

import json
import time
from datetime import UTC, datetime

CALLS = []


class Flaky(Exception):
    pass


def handler(event, context):
    CALLS.append(1)
    if event.get("flaky") and len(CALLS) == 1:
        raise Flaky("first call fails")
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
