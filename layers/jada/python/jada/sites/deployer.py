"""Deploying a site: diff the workspace (or an earlier deploy's versions) against the live bucket,
store the plan, then publish it so that a retry after a crash at any point finishes the same plan:

1. the plan is stored first, keyed by the deploy id (derived from the tool_use id);
2. each changed file is copied server-side from its workspace version to the site's bucket, with
   Content-Type, Cache-Control and its SHA-256 in metadata; a resumed plan skips files whose live
   copy already carries that hash;
3. removed files are deleted (a resumed plan skips those already gone);
4. one CloudFront invalidation with CallerReference `jada-<deploy id>`; a resumed plan first looks
   for the invalidation an interrupted run created (moto makes a second one for a repeated
   reference, the real service returns the first: either way there is one);
5. the record is marked published, with the invalidation id.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

from botocore.exceptions import ClientError

from jada import aws
from jada.clock import iso, parse_time
from jada.errors import UnknownSite
from jada.settings import Resources, Settings
from jada.sites import media
from jada.sites.config import SiteConfig, sites_of
from jada.sites.plan import Change, FileState, SiteDiff, classify, deploy_id_for, invalidation_paths
from jada.sites.records import DeployRecord, DeployStore, Upload
from jada.workspace.paths import site_prefix
from jada.workspace.store import SHA_KEY, WorkspaceStore, is_missing, sha256_hex

DEPLOY_KEY = "jada-deploy"


class SiteDeployer:
    def __init__(
        self,
        sites: Mapping[str, SiteConfig],
        workspace: WorkspaceStore,
        records: DeployStore,
        *,
        s3: Any = None,
        cloudfront: Any = None,
    ) -> None:
        self.sites = dict(sites)
        self.workspace = workspace
        self.records = records
        self._s3 = s3
        self._cloudfront = cloudfront
        self._source_hashes: dict[tuple[str, str | None], str] = {}

    @property
    def s3(self) -> Any:
        if self._s3 is None:
            self._s3 = aws.client("s3")
        return self._s3

    @property
    def cloudfront(self) -> Any:
        if self._cloudfront is None:
            self._cloudfront = aws.client("cloudfront")
        return self._cloudfront

    def site(self, name: str) -> SiteConfig:
        if name not in self.sites:
            known = ", ".join(sorted(self.sites)) or "none"
            raise UnknownSite(f"unknown site {name!r}; the configured sites are: {known}", site=name)
        return self.sites[name]

    # --- the two sides --------------------------------------------------------------------------
    def workspace_files(self, site: str) -> dict[str, FileState]:
        """The site's sources in the workspace (current versions), by path below the site."""
        prefix = site_prefix(site)
        return {
            info.key[len(prefix) :]: FileState(info.key[len(prefix) :], info.size, info.etag, info.version_id)
            for info in self.workspace.current_versions(prefix).values()
            if not info.key.endswith("/")
        }

    def live_files(self, site: str) -> dict[str, FileState]:
        bucket = self.site(site).bucket
        found: dict[str, FileState] = {}
        for page in self.s3.get_paginator("list_objects_v2").paginate(Bucket=bucket):
            for obj in page.get("Contents", []):
                found[obj["Key"]] = FileState(obj["Key"], int(obj["Size"]), str(obj["ETag"]))
        return found

    def manifest_files(self, record: DeployRecord) -> dict[str, FileState]:
        """The files a site had after an earlier deploy (what a rollback publishes again)."""
        files = record.files.items()
        return {path: FileState(path, None, etag, version or None) for path, (version, etag) in files}

    # --- the diff -------------------------------------------------------------------------------
    def diff(self, site: str, desired: Mapping[str, FileState] | None = None) -> SiteDiff:
        """What publishing `desired` (default: the workspace) would change on the live site."""
        want = dict(desired) if desired is not None else self.workspace_files(site)
        live = self.live_files(site)

        def same(path: str) -> bool:
            return self._source_sha(site, want[path]) == self._live_sha(site, path)

        changes = []
        for path, kind in classify(want, live, same):
            if kind == "removed":
                changes.append(Change(path, "removed", live[path].size or 0))
                continue
            source = self._source(site, want[path])
            changes.append(
                Change(
                    path,
                    kind,
                    source.size or 0,
                    old_size=live[path].size if kind == "changed" else None,  # (live sizes are known)
                    sha256=self._source_sha(site, source),
                    version_id=source.version_id,
                )
            )
        return SiteDiff(site, tuple(changes))

    def _source(self, site: str, file: FileState) -> FileState:
        """The file with its size (a manifest entry knows only version and ETag)."""
        if file.size is not None:
            return file
        info = self.workspace.head(site_prefix(site) + file.path, version_id=file.version_id)
        return FileState(file.path, info.size if info else 0, file.etag, file.version_id)

    def _source_sha(self, site: str, file: FileState) -> str:
        key = (site_prefix(site) + file.path, file.version_id)
        if key not in self._source_hashes:
            info = self.workspace.head(key[0], version_id=file.version_id)
            if info is not None and info.sha256:
                self._source_hashes[key] = info.sha256
            else:
                fetched = self.workspace.read(key[0], version_id=file.version_id)
                self._source_hashes[key] = sha256_hex(fetched.body or b"") if fetched else ""
        return self._source_hashes[key]

    def _live_sha(self, site: str, path: str) -> str | None:
        bucket = self.site(site).bucket
        try:
            head = self.s3.head_object(Bucket=bucket, Key=path)
        except ClientError as exc:
            if is_missing(exc):
                return None
            raise
        if head.get("Metadata", {}).get(SHA_KEY):
            return str(head["Metadata"][SHA_KEY])
        body = self.s3.get_object(Bucket=bucket, Key=path)["Body"].read()
        return sha256_hex(body)

    # --- the plan -------------------------------------------------------------------------------
    def plan(
        self,
        diff: SiteDiff,
        files: Mapping[str, FileState],
        *,
        origin: str,
        now: datetime,
        task_id: str | None = None,
        session: int | None = None,
        rolled_back_to: str | None = None,
    ) -> tuple[DeployRecord, bool]:
        """Store the plan of publishing `diff` (`files`: everything the site has afterwards).
        Returns (plan, fresh); a plan already stored under this origin comes back unchanged."""
        uploads = [
            Upload(
                path=c.path,
                version_id=c.version_id,
                sha256=c.sha256 or "",
                size=c.size,
                content_type=media.content_type(c.path),
                cache_control=media.cache_control(c.path),
            )
            for c in diff.uploads
        ]
        record = DeployRecord(
            site=diff.site,
            deploy_id=deploy_id_for(origin),
            kind="rollback" if rolled_back_to else "deploy",
            origin=origin,
            task_id=task_id,
            session=session,
            at=iso(now),
            uploads=uploads,
            deletes={c.path: c.size for c in diff.of("removed")},
            invalidation_paths=invalidation_paths(c.path for c in diff.changes),
            digest=diff.digest,
            files={path: [f.version_id or "", f.etag] for path, f in sorted(files.items())},
            rolled_back_to=rolled_back_to,
        )
        return self.records.create(record)

    # --- publishing -----------------------------------------------------------------------------
    def publish(self, record: DeployRecord, *, fresh: bool, now: datetime) -> DeployRecord:
        """Carry out a stored plan. `fresh`: planned by this very call (nothing of it can have
        happened yet, so nothing is checked first)."""
        if record.status == "published":
            return record
        config = self.site(record.site)
        for upload in record.uploads:
            if fresh or not self._is_live(config.bucket, upload):
                self._copy(record, config.bucket, upload)
        for path in record.deletes:
            if fresh or self._exists(config.bucket, path):
                self.s3.delete_object(Bucket=config.bucket, Key=path)
        invalidation = record.invalidation_id
        if invalidation is None and record.invalidation_paths:
            earlier = None if fresh else self._earlier_invalidation(config, record)
            invalidation = earlier or self._invalidate(config, record)
        published = record.model_copy(
            update={"status": "published", "invalidation_id": invalidation, "published_at": iso(now)}
        )
        self.records.save(published)
        return published

    def _copy(self, record: DeployRecord, bucket: str, upload: Upload) -> None:
        key = site_prefix(record.site) + upload.path
        source: dict[str, str] = {"Bucket": self.workspace.bucket, "Key": key}
        if upload.version_id:
            source["VersionId"] = upload.version_id
        self.s3.copy_object(
            Bucket=bucket,
            Key=upload.path,
            CopySource=source,
            MetadataDirective="REPLACE",
            ContentType=upload.content_type,
            CacheControl=upload.cache_control,
            Metadata={SHA_KEY: upload.sha256, DEPLOY_KEY: record.deploy_id},
        )

    def _is_live(self, bucket: str, upload: Upload) -> bool:
        try:
            head = self.s3.head_object(Bucket=bucket, Key=upload.path)
        except ClientError as exc:
            if is_missing(exc):
                return False
            raise
        return bool(head.get("Metadata", {}).get(SHA_KEY) == upload.sha256)

    def _exists(self, bucket: str, path: str) -> bool:
        try:
            self.s3.head_object(Bucket=bucket, Key=path)
        except ClientError as exc:
            if is_missing(exc):
                return False
            raise
        return True

    def _invalidate(self, config: SiteConfig, record: DeployRecord) -> str:
        paths = record.invalidation_paths
        response = self.cloudfront.create_invalidation(
            DistributionId=config.distribution_id,
            InvalidationBatch={
                "Paths": {"Quantity": len(paths), "Items": paths},
                "CallerReference": record.caller_reference,
            },
        )
        return str(response["Invalidation"]["Id"])

    def _earlier_invalidation(self, config: SiteConfig, record: DeployRecord) -> str | None:
        """The invalidation an interrupted run of this plan created, if any (found by its
        CallerReference among the invalidations created since the plan)."""
        since = parse_time(record.at) - timedelta(hours=1)
        paginator = self.cloudfront.get_paginator("list_invalidations")
        for page in paginator.paginate(DistributionId=config.distribution_id):
            for item in page.get("InvalidationList", {}).get("Items", []) or []:
                created = item.get("CreateTime")
                if isinstance(created, datetime) and created < since:
                    continue
                found = self.cloudfront.get_invalidation(DistributionId=config.distribution_id, Id=item["Id"])
                batch = found["Invalidation"]["InvalidationBatch"]
                if batch.get("CallerReference") == record.caller_reference:
                    return str(item["Id"])
        return None

    # --- whole deploys --------------------------------------------------------------------------
    def finish_interrupted(self, site: str, now: datetime) -> list[DeployRecord]:
        """Publish plans of this site that an earlier call stored but did not finish."""
        return [self.publish(record, fresh=False, now=now) for record in self.records.unfinished(site)]

    def rollback(self, site: str, deploy_id: str, *, origin: str, now: datetime) -> DeployRecord | None:
        """Publish the files of an earlier deploy again (a new deploy). None: nothing to change."""
        earlier = self.records.get(site, deploy_id)
        if earlier is None or earlier.status != "published":
            known = ", ".join(r.deploy_id for r in self.records.history(site) if r.status == "published")
            raise UnknownSite(
                f"site {site} has no published deploy {deploy_id!r}; its deploys: {known or 'none'}",
                site=site,
            )
        files = self.manifest_files(earlier)
        diff = self.diff(site, files)
        if diff.empty:
            return None
        record, fresh = self.plan(diff, files, origin=origin, now=now, rolled_back_to=deploy_id)
        return self.publish(record, fresh=fresh, now=now)


def deployer_from(settings: Settings, resources: Resources) -> SiteDeployer:
    """The deployer of a deployment (ToolContext.services factory)."""
    resources.require("workspace_bucket", "deploys_table")
    return SiteDeployer(
        sites_of(settings.sites),
        WorkspaceStore(resources.workspace_bucket),
        DeployStore(resources.deploys_table, retention_days=settings.retention_days),
    )
