"""The workspace bucket: listing, reads, and conditional writes that carry a content hash.

Every object jada writes carries its SHA-256 in metadata (`x-amz-meta-sha256`), so a deploy can
compare a site's live files with the workspace without downloading them, and the id of the tool
call that wrote it (`x-amz-meta-tool-use-id`), so a retried call recognizes its own earlier write.
Writes are conditional: `if_match` (the ETag read) or `if_absent` (a new file); losing the race
raises WorkspaceConflict and writes nothing.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from botocore.exceptions import ClientError

from jada import aws
from jada.errors import WorkspaceConflict
from jada.settings import Resources, Settings

SHA_KEY = "sha256"
TOOL_USE_KEY = "tool-use-id"
#: S_IFLNK in a POSIX mode, as s3fs stores it in `x-amz-meta-mode`
_LINK_MODE, _TYPE_MASK = 0o120000, 0o170000
_MISSING = {"404", "NoSuchKey", "NotFound", "NoSuchVersion"}
_CONFLICT = {"PreconditionFailed", "ConditionalRequestConflict"}


def sha256_hex(body: bytes) -> str:
    return hashlib.sha256(body).hexdigest()


def is_missing(exc: ClientError) -> bool:
    return str(exc.response.get("Error", {}).get("Code", "")) in _MISSING


@dataclass(frozen=True)
class ObjectInfo:
    key: str
    size: int
    etag: str
    version_id: str | None = None
    metadata: Mapping[str, str] = field(default_factory=dict)
    content_type: str = ""

    @property
    def sha256(self) -> str | None:
        return self.metadata.get(SHA_KEY)

    @property
    def written_by(self) -> str | None:
        """The tool_use id of the editor call that wrote this version."""
        return self.metadata.get(TOOL_USE_KEY)

    @property
    def is_link(self) -> bool:
        """Stored as a symbolic link by a file-system bridge (s3fs, goofys: the mode says so)."""
        mode = self.metadata.get("mode", "")
        return mode.isdigit() and int(mode) & _TYPE_MASK == _LINK_MODE


@dataclass(frozen=True)
class Fetched:
    info: ObjectInfo
    #: None when the object is larger than the read's limit (not downloaded)
    body: bytes | None


def _info(key: str, response: Mapping[str, Any]) -> ObjectInfo:
    version = response.get("VersionId")
    return ObjectInfo(
        key=key,
        size=int(response.get("ContentLength", 0)),
        etag=str(response.get("ETag", "")),
        version_id=None if version in (None, "null") else str(version),
        metadata=dict(response.get("Metadata") or {}),
        content_type=str(response.get("ContentType", "")),
    )


class WorkspaceStore:
    def __init__(self, bucket: str, *, s3: Any = None) -> None:
        self.bucket = bucket
        self._s3 = s3

    @property
    def s3(self) -> Any:
        if self._s3 is None:
            self._s3 = aws.client("s3")
        return self._s3

    # --- reads --------------------------------------------------------------------------------
    def read(
        self, key: str, *, max_bytes: int | None = None, version_id: str | None = None
    ) -> Fetched | None:
        """The object (None when there is none); its body is left unread above `max_bytes`."""
        kwargs: dict[str, Any] = {"Bucket": self.bucket, "Key": key}
        if version_id:
            kwargs["VersionId"] = version_id
        try:
            response = self.s3.get_object(**kwargs)
        except ClientError as exc:
            if is_missing(exc):
                return None
            raise
        info = _info(key, response)
        stream = response["Body"]
        if max_bytes is not None and info.size > max_bytes:
            stream.close()
            return Fetched(info, None)
        return Fetched(info, stream.read())

    def head(self, key: str, *, version_id: str | None = None) -> ObjectInfo | None:
        kwargs: dict[str, Any] = {"Bucket": self.bucket, "Key": key}
        if version_id:
            kwargs["VersionId"] = version_id
        try:
            return _info(key, self.s3.head_object(**kwargs))
        except ClientError as exc:
            if is_missing(exc):
                return None
            raise

    def listing(self, prefix: str) -> Iterator[ObjectInfo]:
        """Every object under `prefix` (current versions), key order."""
        paginator = self.s3.get_paginator("list_objects_v2")
        for page in paginator.paginate(Bucket=self.bucket, Prefix=prefix):
            for obj in page.get("Contents", []):
                yield ObjectInfo(key=obj["Key"], size=int(obj["Size"]), etag=str(obj["ETag"]))

    def current_versions(self, prefix: str) -> dict[str, ObjectInfo]:
        """key -> the current version of every object under `prefix` (with its version id)."""
        found: dict[str, ObjectInfo] = {}
        paginator = self.s3.get_paginator("list_object_versions")
        for page in paginator.paginate(Bucket=self.bucket, Prefix=prefix):
            for version in page.get("Versions", []):
                if version.get("IsLatest"):
                    vid = version.get("VersionId")
                    found[version["Key"]] = ObjectInfo(
                        key=version["Key"],
                        size=int(version["Size"]),
                        etag=str(version["ETag"]),
                        version_id=None if vid in (None, "null") else str(vid),
                    )
        return dict(sorted(found.items()))

    # --- writes -------------------------------------------------------------------------------
    def write(
        self,
        key: str,
        body: bytes,
        *,
        content_type: str,
        if_match: str | None = None,
        if_absent: bool = False,
        tool_use_id: str | None = None,
    ) -> ObjectInfo:
        """Store `body` at `key` if it is still as read (`if_match` its ETag, `if_absent` none)."""
        metadata = {SHA_KEY: sha256_hex(body)}
        if tool_use_id:
            metadata[TOOL_USE_KEY] = tool_use_id
        kwargs: dict[str, Any] = {"Bucket": self.bucket, "Key": key, "Body": body}
        kwargs.update(ContentType=content_type, Metadata=metadata)
        if if_match:
            kwargs["IfMatch"] = if_match
        elif if_absent:
            kwargs["IfNoneMatch"] = "*"
        try:
            response = self.s3.put_object(**kwargs)
        except ClientError as exc:
            if str(exc.response.get("Error", {}).get("Code", "")) in _CONFLICT:
                raise WorkspaceConflict(f"{key} changed since it was read", key=key) from exc
            raise
        version = response.get("VersionId")
        return ObjectInfo(
            key=key,
            size=len(body),
            etag=str(response.get("ETag", "")),
            version_id=None if version in (None, "null") else str(version),
            metadata=metadata,
            content_type=content_type,
        )

    def delete(self, key: str) -> None:
        self.s3.delete_object(Bucket=self.bucket, Key=key)


def workspace_from(settings: Settings, resources: Resources) -> WorkspaceStore:
    """The deployment's workspace (ToolContext.services factory)."""
    resources.require("workspace_bucket")
    return WorkspaceStore(resources.workspace_bucket)
