"""`deploy_site {site}`: publish `/sites/<site>/` of the workspace to the site's bucket (only what
changed; removed files are removed), then one CloudFront invalidation of the changed paths.

Idempotent under retries: the plan is stored under a deploy id derived from the tool_use id, so a
batch retried after a crash finishes that plan (jada.sites.deployer); a plan an earlier call left
unfinished (an AWS error ended it) is finished by the next deploy_site of the site, first.

A site with `"approval": "operator"` is not published by the agent alone: the call stores an
approval request bound to the diff's digest and ends the session `blocked`, the reason naming the
site, the exact `jada tasks unblock <id> --answer approve` command and the changes. When the task
resumes, deploy_site publishes only if the operator's latest answer since the request starts with
the word `approve` and the diff is still the same; otherwise it asks again.
"""

from __future__ import annotations

from botocore.exceptions import BotoCoreError, ClientError
from pydantic import Field

from jada import aws
from jada.agent.tools.base import Tool, ToolContext, ToolInput, ToolOutcome
from jada.clock import iso
from jada.errors import SiteTooLarge, UnknownSite
from jada.lifecycle import SessionOutcome
from jada.settings import Settings
from jada.sites.config import sites_of
from jada.sites.deployer import SiteDeployer, deployer_from
from jada.sites.plan import SiteDiff, approval_reason, deploy_id_for
from jada.sites.records import ApprovalRequest, DeployRecord

NAME = "deploy_site"
APPROVE = "approve"


class DeploySiteInput(ToolInput):
    site: str = Field(min_length=1, max_length=253, description="The site to publish, e.g. sailjada.com.")


def is_approval(answer: str) -> bool:
    """An operator answer approves when its first word is `approve` (any case, punctuation after)."""
    words = answer.split()
    return bool(words) and words[0].lower().rstrip(".,;:!") == APPROVE


def run(ctx: ToolContext, args: DeploySiteInput) -> ToolOutcome:
    deployer = ctx.services.get(deployer_from)
    site = args.site.lower()
    try:
        config = deployer.site(site)
    except UnknownSite as exc:
        return ToolOutcome(f"{exc}.", is_error=True)
    try:
        retried = deployer.records.get(site, deploy_id_for(ctx.tool_use_id))
        if retried is not None:  # this very call, interrupted after storing its plan
            return ToolOutcome(published(deployer.publish(retried, fresh=False, now=ctx.now)))
        finished = deployer.finish_interrupted(site, ctx.now)
        files = deployer.workspace_files(site)
        if not files:
            return ToolOutcome(
                f"Nothing to deploy: the workspace has no files under /sites/{site}/ (an operator starts a "
                f"site with `jada sites import {site}`). The live site was left as it is.",
                is_error=True,
            )
        diff = deployer.diff(site, files)
        if diff.empty:
            return ToolOutcome(_nothing(site, finished))
        if config.needs_approval and not _approved(ctx, deployer, diff):
            return _ask(ctx, deployer, diff)
        record, fresh = deployer.plan(
            diff, files, origin=ctx.tool_use_id, now=ctx.now, task_id=ctx.task.task_id, session=ctx.session
        )
        done = deployer.publish(record, fresh=fresh, now=ctx.now)
        if config.needs_approval:
            deployer.records.forget_approval(ctx.task.task_id, site)
        return ToolOutcome(published(done, finished))
    except SiteTooLarge as exc:
        return ToolOutcome(f"deploy_site {site} refused: {exc}.", is_error=True)
    except (ClientError, BotoCoreError) as exc:
        if aws.transient_failure(exc) is not None:
            raise  # the batch is retried (AwsUnavailable): the stored plan is resumed, nothing repeats
        return ToolOutcome(
            f"deploy_site {site} stopped: AWS failed ({_problem(exc)}). Nothing is lost: call deploy_site "
            f"{site} again to finish it.",
            is_error=True,
        )


def _approved(ctx: ToolContext, deployer: SiteDeployer, diff: SiteDiff) -> bool:
    request = deployer.records.approval(ctx.task.task_id, diff.site)
    if request is None or request.digest != diff.digest:
        return False
    since = [a for a in ctx.task.answers if a.at >= request.asked_at]
    return bool(since) and is_approval(since[-1].answer)


def _ask(ctx: ToolContext, deployer: SiteDeployer, diff: SiteDiff) -> ToolOutcome:
    request = ApprovalRequest(
        task_id=ctx.task.task_id, site=diff.site, digest=diff.digest, asked_at=iso(ctx.now),
        tool_use_id=ctx.tool_use_id,
    )  # fmt: skip
    deployer.records.ask(request, ctx.now)
    reason = approval_reason(diff, ctx.task.task_id)
    ctx.tasks.update_fields(ctx.task.task_id, now=ctx.now, blocked_reason=reason)
    content = (
        f"Nothing was published: {diff.site} needs the operator's approval. The session ends now and the "
        f"operator is asked. When the task resumes with the approval, call deploy_site {diff.site} again: it "
        "publishes exactly this diff (if the files changed meanwhile, the operator is asked again).\n"
        f"{diff.summary()}"
    )
    return ToolOutcome(content, ends_session=SessionOutcome.BLOCKED, reason=reason)


def published(record: DeployRecord, finished: list[DeployRecord] | None = None) -> str:
    uploaded = ", ".join(u.path for u in record.uploads) or "none"
    deleted = ", ".join(record.deletes) or "none"
    paths = ", ".join(record.invalidation_paths)
    lines = [
        f"Deployed {record.site} (deploy {record.deploy_id}): uploaded {len(record.uploads)} "
        f"file(s) ({record.bytes_uploaded:,} bytes): {uploaded}; deleted {len(record.deletes)}: {deleted}.",
        f"CloudFront invalidation {record.invalidation_id} of {paths}.",
    ]
    lines += [f"(First finished the interrupted deploy {r.deploy_id}.)" for r in finished or []]
    return "\n".join(lines)


def _nothing(site: str, finished: list[DeployRecord]) -> str:
    text = f"Nothing to deploy: the live {site} already matches /sites/{site}/."
    return "\n".join([text, *(published(r) for r in finished)])


def _problem(exc: Exception) -> str:
    if isinstance(exc, ClientError):
        error = exc.response.get("Error", {})
        return f"{error.get('Code', 'error')}: {error.get('Message', '')}".rstrip(": ")
    return type(exc).__name__


def guidance(settings: Settings) -> str:
    sites = sites_of(settings.sites)
    listed = ", ".join(
        f"{name} ({'operator approval' if config.needs_approval else 'auto'})"
        for name, config in sites.items()
    )
    return (
        f"{NAME}: publish /sites/<site>/ to the live site (only changed files, then a CloudFront "
        f"invalidation): {listed}. A site needing approval ends the session until the operator answers."
    )


def tools(settings: Settings) -> tuple[Tool, ...]:
    """deploy_site, when the deployment configures sites."""
    if not settings.sites:
        return ()
    return (
        Tool(
            name=NAME,
            description="Publish a site's workspace folder /sites/<site>/ to its live S3 bucket: uploads "
            "only changed files, deletes files removed from the folder, then invalidates the changed paths "
            "in CloudFront. A site configured for operator approval waits for it (the session ends).",
            input_model=DeploySiteInput,
            run=run,
            guidance=guidance(settings),
        ),
    )
