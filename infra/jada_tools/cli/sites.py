"""`jada sites ...` and `jada workspace ...`: the operator's side of the sites the agent edits.

    jada sites list                      the configured sites and their last deploy
    jada sites import SITE [--force]     copy the live bucket into the workspace (/sites/SITE/)
    jada sites diff SITE                 what a deploy would change now
    jada sites history SITE              every deploy of the site
    jada sites rollback SITE DEPLOY_ID   publish an earlier deploy's files again (a new deploy)
    jada workspace pull SITE DIR         the site's sources onto this machine
    jada workspace push SITE DIR         back, refusing files changed in the workspace since the pull

Resources come from the stack's outputs (WorkspaceBucketName, DeploysTableName, SitesJson). Bad
input (an unknown site or deploy, a folder that is not a pull of the site, a conflict) prints one
`error:` line, exits 2 and changes nothing.
"""

from __future__ import annotations

import json
import os
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import typer
from jada.clock import iso, utcnow
from jada.errors import UnknownSite, WorkspaceConflict, WorkspacePathRefused
from jada.sites import media
from jada.sites.config import SiteConfig, sites_of, validate_sites
from jada.sites.deployer import SiteDeployer
from jada.sites.plan import SiteDiff
from jada.sites.records import DeployRecord, DeployStore
from jada.workspace import paths
from jada.workspace.store import WorkspaceStore, sha256_hex

from jada_tools.cli.common import AS_JSON, STACK, CliError, echo_json, guard
from jada_tools.cli.stack import outputs

app = typer.Typer(no_args_is_help=True)
workspace_app = typer.Typer(no_args_is_help=True)

#: written by `jada workspace pull` into the folder: what was pulled, for conflict checks on push
MANIFEST = ".jada-workspace.json"
SITE = typer.Argument(..., help="A configured site (jada sites list).")
PULL_INTO = typer.Argument(..., help="Where to put the files (new or empty, or an earlier pull).")
PUSH_FROM = typer.Argument(..., help="A folder made by `jada workspace pull`.")
T = TypeVar("T")


@dataclass
class Sites:
    deployer: SiteDeployer

    @property
    def workspace(self) -> WorkspaceStore:
        return self.deployer.workspace

    def site(self, name: str) -> SiteConfig:
        try:
            return self.deployer.site(name)
        except UnknownSite as exc:
            raise CliError(str(exc)) from None


def _sites(stack: str) -> Sites:
    def build() -> Sites:
        found = outputs(stack)
        try:
            configured = sites_of(validate_sites(json.loads(found["SitesJson"])))
        except ValueError as exc:
            raise CliError(f"stack {stack} output SitesJson is not a valid sites setting: {exc}") from None
        store = WorkspaceStore(found["WorkspaceBucketName"])
        return Sites(SiteDeployer(configured, store, DeployStore(found["DeploysTableName"])))

    return guard(build)


def _run(action: Callable[[], T]) -> T:
    """guard(), with the sites' own bad-input errors as exit 2."""

    def checked() -> T:
        try:
            return action()
        except (UnknownSite, WorkspacePathRefused, WorkspaceConflict) as exc:
            raise CliError(str(exc)) from None

    return guard(checked)


# --- jada sites -----------------------------------------------------------------------------------
@app.command("list")
def list_sites(stack: str = STACK, as_json: bool = AS_JSON) -> None:
    """The configured sites (cdk.json `sites`) and each one's last deploy."""
    rows = _run(lambda: _list(_sites(stack)))
    if as_json:
        echo_json(rows)
        return
    if not rows:
        typer.echo("no sites are configured (cdk.json context `sites`; see docs/work-tools.md)")
    for row in rows:
        last = row["last_deploy"]
        when = (
            f"last deploy {last['deploy_id']} at {last['at']} ({last['status']})"
            if last
            else "never deployed"
        )
        typer.echo(
            f"{row['site']}: bucket {row['bucket']}, distribution {row['distributionId']}, "
            f"approval {row['approval']}; {when}"
        )


def _list(sites: Sites) -> list[dict[str, Any]]:
    rows = []
    for name, config in sites.deployer.sites.items():
        history = sites.deployer.records.history(name)
        last = _brief(history[-1]) if history else None
        rows.append({"site": name, **config.as_setting(), "last_deploy": last})
    return rows


@app.command("import")
def import_site(
    site: str = SITE,
    force: bool = typer.Option(False, "--force", help="Replace the workspace's copy of the site."),
    stack: str = STACK,
    as_json: bool = AS_JSON,
) -> None:
    """Copy the site's live bucket into the workspace under /sites/SITE/ (how a site starts)."""
    result = _run(lambda: _import(_sites(stack), site, force))
    if as_json:
        echo_json(result)
    else:
        typer.echo(f"imported {result['files']} files ({result['bytes']:,} bytes) into /sites/{site}/")


def _import(sites: Sites, site: str, force: bool) -> dict[str, Any]:
    bucket = sites.site(site).bucket
    prefix = paths.site_prefix(site)
    existing = sorted(info.key for info in sites.workspace.listing(prefix))
    if existing and not force:
        raise CliError(
            f"the workspace already holds {len(existing)} files under /{prefix}; nothing was copied. "
            "Use --force to replace them with the live site's files"
        )
    live = sites.deployer.live_files(site)
    for path in live:  # every live key must be a workspace path: checked before anything is copied
        _checked_path(prefix, path)
    copied = 0
    for path in sorted(live):
        body = sites.deployer.s3.get_object(Bucket=bucket, Key=path)["Body"].read()
        sites.workspace.write(prefix + path, body, content_type=media.content_type(path), if_absent=not force)
        copied += len(body)
    removed = [key[len(prefix) :] for key in existing if key[len(prefix) :] not in live]
    for relative in removed:
        sites.workspace.delete(prefix + relative)
    return {"site": site, "files": len(live), "bytes": copied, "removed": removed}


@app.command("diff")
def diff(site: str = SITE, stack: str = STACK, as_json: bool = AS_JSON) -> None:
    """What deploying the workspace's /sites/SITE/ would change on the live site now."""

    def compute() -> SiteDiff:
        sites = _sites(stack)
        sites.site(site)
        return sites.deployer.diff(site)

    found = _run(compute)
    if as_json:
        changes = [
            {"path": c.path, "kind": c.kind, "size": c.size, "old_size": c.old_size} for c in found.changes
        ]
        echo_json({"site": found.site, "digest": found.digest, "changes": changes})
    elif found.empty:
        typer.echo(f"{site}: the live site matches /sites/{site}/")
    else:
        typer.echo(found.summary())


@app.command("history")
def history(site: str = SITE, stack: str = STACK, as_json: bool = AS_JSON) -> None:
    """Every deploy of the site, oldest first (`rollback` takes an id from here)."""

    def load() -> list[DeployRecord]:
        sites = _sites(stack)
        sites.site(site)
        return sites.deployer.records.history(site)

    records = _run(load)
    if as_json:
        echo_json([r.model_dump(mode="json") for r in records])
        return
    if not records:
        typer.echo(f"{site} has no deploys yet")
    for r in records:
        who = f"task {r.task_id} session {r.session}" if r.task_id else "operator"
        back = f" (rollback to {r.rolled_back_to})" if r.rolled_back_to else ""
        typer.echo(
            f"{r.deploy_id}  {r.at}  {r.kind:8}  {r.status:9}  {who}: {len(r.uploads)} uploaded, "
            f"{len(r.deletes)} deleted, invalidation {r.invalidation_id or '-'}{back}"
        )


@app.command("rollback")
def rollback(
    site: str = SITE,
    deploy_id: str = typer.Argument(
        ..., help="The deploy whose files to publish again (jada sites history)."
    ),
    stack: str = STACK,
    as_json: bool = AS_JSON,
) -> None:
    """Publish the workspace versions an earlier deploy published, with an invalidation; recorded as
    a new deploy. The workspace keeps its newer sources: the agent's next deploy publishes them."""
    record = _run(lambda: _rollback(_sites(stack), site, deploy_id))
    if as_json:
        echo_json(record.model_dump(mode="json") if record else {"site": site, "changed": False})
    elif record is None:
        typer.echo(f"{site} already serves the files of deploy {deploy_id}; nothing to publish")
    else:
        typer.echo(
            f"rolled {site} back to deploy {deploy_id} as deploy {record.deploy_id}: "
            f"{len(record.uploads)} uploaded, {len(record.deletes)} deleted, "
            f"invalidation {record.invalidation_id}"
        )


def _rollback(sites: Sites, site: str, deploy_id: str) -> DeployRecord | None:
    sites.site(site)
    earlier = sites.deployer.records.get(site, deploy_id)
    if earlier is None or earlier.status != "published":
        known = [r.deploy_id for r in sites.deployer.records.history(site) if r.status == "published"]
        raise CliError(
            f"{site} has no published deploy {deploy_id!r}; its deploys: {', '.join(known) or 'none'}"
        )
    now = utcnow()
    sites.deployer.finish_interrupted(site, now)  # a stale plan must not land after the rollback
    return sites.deployer.rollback(site, deploy_id, origin=f"cli:{secrets.token_hex(8)}", now=now)


def _brief(record: DeployRecord) -> dict[str, Any]:
    return {"deploy_id": record.deploy_id, "at": record.at, "status": record.status, "kind": record.kind}


# --- jada workspace ---------------------------------------------------------------------------------
@workspace_app.command("pull")
def pull(
    site: str = SITE,
    folder: Path = PULL_INTO,
    force: bool = typer.Option(False, "--force", help="Overwrite local changes made since the last pull."),
    stack: str = STACK,
    as_json: bool = AS_JSON,
) -> None:
    """Copy /sites/SITE/ of the workspace into FOLDER, with a manifest for `push`."""
    result = _run(lambda: _pull(_sites(stack), site, folder, force))
    if as_json:
        echo_json(result)
    else:
        typer.echo(f"pulled {result['files']} files of /sites/{site}/ into {folder}")


def _pull(sites: Sites, site: str, folder: Path, force: bool) -> dict[str, Any]:
    sites.site(site)
    if folder.exists() and not folder.is_dir():
        raise CliError(f"{folder} is not a folder")
    manifest, local = _manifest(folder), _local_files(folder)
    if manifest is None and local and not force:
        raise CliError(f"{folder} is not empty and holds no earlier pull; use a new folder (or --force)")
    if manifest is not None and manifest.get("site") != site:
        raise CliError(f"{folder} holds a pull of {manifest.get('site')}, not {site}")
    if manifest is not None and not force:
        changed = [p for p, sha in local.items() if manifest["files"].get(p, {}).get("sha256") != sha]
        if changed:
            raise CliError(
                f"local changes since the last pull would be overwritten: {', '.join(changed[:10])} "
                "(push them first, or --force)"
            )
    prefix = paths.site_prefix(site)
    keys = [info.key for info in sites.workspace.listing(prefix)]
    targets = {key: _inside(folder, key[len(prefix) :]) for key in keys}  # all checked before writing
    files: dict[str, dict[str, str]] = {}
    for key, target in targets.items():
        fetched = sites.workspace.read(key)
        if fetched is None or fetched.body is None:
            continue
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(fetched.body)
        files[key[len(prefix) :]] = {"etag": fetched.info.etag, "sha256": sha256_hex(fetched.body)}
    for stale in set(local) - set(files):
        (folder / stale).unlink()
    _write_manifest(folder, site, files)
    return {"site": site, "folder": str(folder), "files": len(files)}


@workspace_app.command("push")
def push(
    site: str = SITE,
    folder: Path = PUSH_FROM,
    force: bool = typer.Option(
        False, "--force", help="Overwrite files changed in the workspace since the pull."
    ),
    stack: str = STACK,
    as_json: bool = AS_JSON,
) -> None:
    """Write FOLDER's changes back to /sites/SITE/ (new, changed and removed files). A file changed
    in the workspace since the pull is a conflict: nothing is written unless --force."""
    result = _run(lambda: _push(_sites(stack), site, folder, force))
    if as_json:
        echo_json(result)
    else:
        typer.echo(
            f"pushed to /sites/{site}/: {len(result['written'])} written, {len(result['deleted'])} deleted"
        )


def _push(sites: Sites, site: str, folder: Path, force: bool) -> dict[str, Any]:
    sites.site(site)
    manifest = _manifest(folder)
    if manifest is None:
        raise CliError(
            f"{folder} holds no pull ({MANIFEST} is missing): run jada workspace pull {site} {folder}"
        )
    if manifest.get("site") != site:
        raise CliError(f"{folder} holds a pull of {manifest.get('site')}, not {site}")
    prefix = paths.site_prefix(site)
    pulled: dict[str, dict[str, str]] = manifest["files"]
    local = _local_files(folder)
    for relative in local:
        _checked_path(prefix, relative)
    changed = sorted(p for p, sha in local.items() if pulled.get(p, {}).get("sha256") != sha)
    removed = sorted(set(pulled) - set(local))
    clashing = []
    for relative in changed + removed:
        head = sites.workspace.head(prefix + relative)
        if (head.etag if head else None) != pulled.get(relative, {}).get("etag"):
            clashing.append(relative)
    if clashing and not force:
        raise CliError(
            f"changed in the workspace since the pull: {', '.join(clashing[:10])}; nothing was pushed. "
            "Pull again and redo your changes, or push with --force to overwrite them"
        )
    files = dict(pulled)
    for relative in changed:
        body = (folder / relative).read_bytes()
        previous = None if force else pulled.get(relative, {}).get("etag")
        info = sites.workspace.write(
            prefix + relative, body, content_type=media.content_type(relative), if_match=previous,
            if_absent=not force and previous is None,
        )  # fmt: skip
        files[relative] = {"etag": info.etag, "sha256": sha256_hex(body)}
    for relative in removed:
        sites.workspace.delete(prefix + relative)
        files.pop(relative, None)
    _write_manifest(folder, site, files)
    return {"site": site, "written": changed, "deleted": removed}


def _checked_path(prefix: str, relative: str) -> None:
    try:
        paths.parse(f"/{prefix}{relative}")
    except WorkspacePathRefused as exc:
        raise CliError(f"{relative} has no valid workspace path: {exc}") from None


def _inside(folder: Path, relative: str) -> Path:
    target = (folder / relative).resolve()
    if not target.is_relative_to(folder.resolve()):
        raise CliError(f"the workspace key {relative} would land outside {folder}")
    return target


def _manifest(folder: Path) -> dict[str, Any] | None:
    path = folder / MANIFEST
    if not path.is_file():
        return None
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except ValueError:
        raise CliError(f"{path} is not valid JSON; pull into a new folder") from None
    if not isinstance(data, dict) or not isinstance(data.get("files"), dict):
        raise CliError(f"{path} is not a pull manifest; pull into a new folder")
    return data


def _write_manifest(folder: Path, site: str, files: dict[str, dict[str, str]]) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    body = {"site": site, "pulled_at": iso(utcnow()), "files": dict(sorted(files.items()))}
    (folder / MANIFEST).write_text(json.dumps(body, indent=2) + "\n", encoding="utf-8")


def _local_files(folder: Path) -> dict[str, str]:
    """relative path -> SHA-256 of every regular file under `folder` but the manifest; a symbolic
    link is refused (it could point anywhere)."""
    found: dict[str, str] = {}
    if not folder.is_dir():
        return found
    for root, _dirs, names in os.walk(folder):
        for name in names:
            path = Path(root) / name
            relative = path.relative_to(folder).as_posix()
            if relative == MANIFEST:
                continue
            if path.is_symlink():
                raise CliError(f"{path} is a symbolic link; push copies regular files only")
            found[relative] = sha256_hex(path.read_bytes())
    return dict(sorted(found.items()))
