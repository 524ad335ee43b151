"""What AWS does in the background and moto does not: DynamoDB TTL deletions and S3 lifecycle
expirations, run on demand at a (simulated) time. Exact to the second: AWS deletes expired items
within days and rounds lifecycle ages up to the next midnight, always later, never earlier."""

from __future__ import annotations

from datetime import datetime, timedelta
from itertools import pairwise
from typing import Any

import boto3
from jada.clock import epoch


def expire_items(table_name: str, now: datetime, attribute: str = "expires_at") -> int:
    """Delete every item whose TTL `attribute` (epoch seconds) is at or before `now`, as DynamoDB
    TTL would. Returns how many went."""
    table = boto3.resource("dynamodb").Table(table_name)
    keys = [k["AttributeName"] for k in table.key_schema]
    deleted, scan = 0, {"ConsistentRead": True}
    while True:
        page = table.scan(**scan)
        for item in page.get("Items", []):
            if attribute in item and int(item[attribute]) <= epoch(now):
                table.delete_item(Key={k: item[k] for k in keys})
                deleted += 1
        if "LastEvaluatedKey" not in page:
            return deleted
        scan["ExclusiveStartKey"] = page["LastEvaluatedKey"]


def apply_lifecycle(bucket: str, rules: list[dict[str, Any]], now: datetime) -> int:
    """Apply the enabled rules of a CloudFormation `LifecycleConfiguration` (`ExpirationInDays`,
    `NoncurrentVersionExpiration`, `ExpiredObjectDeleteMarker`; no filters) to a bucket at `now`.
    Returns how many versions or markers were removed."""
    s3 = boto3.client("s3")
    enabled = [r for r in rules if r.get("Status") == "Enabled"]
    current_days = min((r["ExpirationInDays"] for r in enabled if "ExpirationInDays" in r), default=None)
    noncurrent = [
        r["NoncurrentVersionExpiration"]["NoncurrentDays"]
        for r in enabled
        if "NoncurrentVersionExpiration" in r
    ]
    noncurrent_days = min(noncurrent, default=None)
    clean_markers = any(r.get("ExpiredObjectDeleteMarker") for r in enabled)
    removed = 0
    for key, found in _versions(s3, bucket).items():  # newest first
        history, newest = found, found[0]
        if (
            current_days is not None
            and not newest["marker"]
            and newest["at"] + timedelta(days=current_days) <= now
        ):
            s3.delete_object(Bucket=bucket, Key=key)  # a marker on a versioned bucket, gone otherwise
            removed += 1
            history = _versions(s3, bucket, key).get(key, [])
        for newer, older in pairwise(history):
            # a version becomes noncurrent when the next one (or a delete marker) is written
            if noncurrent_days is not None and newer["at"] + timedelta(days=noncurrent_days) <= now:
                s3.delete_object(Bucket=bucket, Key=key, VersionId=older["id"])
                removed += 1
        left = _versions(s3, bucket, key).get(key, [])
        if clean_markers and len(left) == 1 and left[0]["marker"]:
            s3.delete_object(Bucket=bucket, Key=key, VersionId=left[0]["id"])
            removed += 1
    return removed


def _versions(s3: Any, bucket: str, prefix: str = "") -> dict[str, list[dict[str, Any]]]:
    found: dict[str, list[dict[str, Any]]] = {}
    for page in s3.get_paginator("list_object_versions").paginate(Bucket=bucket, Prefix=prefix):
        for kind, marker in (("Versions", False), ("DeleteMarkers", True)):
            for v in page.get(kind, []):
                if prefix and v["Key"] != prefix:
                    continue
                found.setdefault(v["Key"], []).append(
                    {"id": v["VersionId"], "at": v["LastModified"], "marker": marker, "latest": v["IsLatest"]}
                )
    for history in found.values():
        history.sort(key=lambda v: (v["latest"], v["at"]), reverse=True)
    return found
