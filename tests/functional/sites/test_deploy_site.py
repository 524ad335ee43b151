"""deploy_site against moto's S3 and CloudFront, in real turns (the anthropic SDK against the loopback
Messages API): only changed files uploaded, removed ones deleted, one invalidation; a crash after
each side effect then the retried batch; operator approval."""

from __future__ import annotations

import itertools
from datetime import timedelta
from typing import Any

import pytest
from botocore.exceptions import ClientError
from jada import aws
from jada.clock import iso
from jada.lifecycle import SessionOutcome, TaskStatus
from jada.models import SessionRecord, Task
from jada.orchestration import operator
from jada.orchestration.session_end import SessionEndEvent, blocked_message, end_session
from jada.sites import media
from jada.sites.records import DeployStore
from jada.stores.counters import CounterStore
from jada_tools.fakes.model_server import reply, scripted, text, tool_use

from tests.conftest import NOW
from tests.functional.agent.conftest import Harness, last_user_text, tool_results
from tests.functional.sites.conftest import FILES, SITE, Crash, Direct, World, agent_for, crash_after

INDEX = f"sites/{SITE}/index.html"


def change_the_site(world: World) -> None:
    """The workspace after an edit: index.html changed, faq.html added, crew.html removed."""
    world.import_site()
    world.put(INDEX, FILES["index.html"].decode().replace("Sail Jada", "Sail with Jada"))
    world.put(f"sites/{SITE}/faq.html", "<h1>FAQ</h1>\n")
    aws.client("s3").delete_object(Bucket=world.workspace_bucket, Key=f"sites/{SITE}/crew.html")


def deploy_then_complete(tool_use_id: str = "toolu_deploy1") -> Any:
    return scripted(
        reply(tool_use("deploy_site", {"site": SITE}, tool_use_id)),
        reply(tool_use("complete_task", {"summary": "deployed"}, f"{tool_use_id}_done")),
    )


def test_a_deploy_uploads_only_changed_files_deletes_removed_ones_and_invalidates_once(
    harness: Harness, world: World
) -> None:
    # Given a site edited in the workspace
    change_the_site(world)
    world.record_calls(aws.client("s3"))
    task = harness.task()
    harness.script(deploy_then_complete())
    # When the agent deploys it in a turn
    result = harness.run(task, agent=agent_for(harness, world))
    # Then the model got the deploy's result
    assert result.status == "completed"
    [deployed] = tool_results(harness.server.requests[1])
    assert not deployed.get("is_error"), deployed
    assert "uploaded 2 file(s)" in deployed["content"]
    assert "deleted 1: crew.html" in deployed["content"]
    # and only the changed and new files were copied to the live bucket; the removed one deleted
    copied = sorted(p["Key"] for p in world.calls_of("CopyObject", world.bucket))
    assert copied == ["faq.html", "index.html"]
    live = world.live()
    assert sorted(live) == ["css/site.css", "faq.html", "img/logo.png", "index.html"]
    assert b"Sail with Jada" in live["index.html"]
    assert live["img/logo.png"] == FILES["img/logo.png"]
    head = world.live_head("index.html")
    assert (head["ContentType"], head["CacheControl"]) == ("text/html; charset=utf-8", media.HTML_CACHE)
    assert len(head["Metadata"]["sha256"]) == 64
    # and one invalidation of the changed paths, referenced by the deploy id
    [invalidation] = world.invalidations()
    assert invalidation["Paths"]["Items"] == sorted(["/", "/index.html", "/faq.html", "/crew.html"])
    [record] = DeployStore(world.deploys_table).history(SITE)
    assert invalidation["CallerReference"] == record.caller_reference
    # and the deploy is recorded with the task, session, files and workspace versions
    assert (record.status, record.task_id, record.session, record.invalidation_id) == (
        "published", task.task_id, 1, invalidation["id"],
    )  # fmt: skip
    assert [u.path for u in record.uploads] == ["faq.html", "index.html"]
    assert record.deletes == {"crew.html": len(FILES["crew.html"])}
    assert sorted(record.files) == ["css/site.css", "faq.html", "img/logo.png", "index.html"]
    assert all(version for version, _ in record.files.values())


def test_a_one_file_change_uploads_that_file_only(direct: Direct, world: World) -> None:
    world.import_site()
    world.put(INDEX, "<h1>new</h1>\n")
    world.record_calls(aws.client("s3"))
    done = direct("deploy_site", {"site": SITE})
    assert not done.is_error, done.content
    copies = world.calls_of("CopyObject", world.bucket)
    assert [c["Key"] for c in copies] == ["index.html"]
    # the unchanged files were compared by ETag: not even read
    assert world.calls_of("GetObject", world.bucket) == []


def test_an_unknown_site_lists_the_configured_ones(direct: Direct, world: World) -> None:
    done = direct("deploy_site", {"site": "other.com"})
    assert done.is_error
    assert done.content == "unknown site 'other.com'; the configured sites are: sailjada.com."


def test_nothing_to_deploy_makes_no_invalidation_and_no_record(direct: Direct, world: World) -> None:
    world.import_site()
    done = direct("deploy_site", {"site": SITE})
    assert (done.is_error, done.content) == (
        False,
        f"Nothing to deploy: the live {SITE} already matches /sites/{SITE}/.",
    )
    assert world.invalidations() == []
    assert DeployStore(world.deploys_table).history(SITE) == []


def test_an_empty_site_folder_is_never_deployed(direct: Direct, world: World) -> None:
    done = direct("deploy_site", {"site": SITE})
    assert done.is_error
    assert f"jada sites import {SITE}" in done.content
    assert sorted(world.live()) == sorted(FILES)


# --- a crash after each side effect, then the retried batch ------------------------------------------
SIDE_EFFECTS = [
    ("dynamodb", "PutItem", 1),  # the plan stored
    ("s3", "CopyObject", 1),  # the first file uploaded
    ("s3", "CopyObject", 2),
    ("s3", "DeleteObject", 1),
    ("cloudfront", "CreateInvalidation", 1),
    ("dynamodb", "PutItem", 2),  # the record marked published
]


@pytest.mark.parametrize(
    ("service", "operation", "nth"), SIDE_EFFECTS, ids=[f"{o}#{n}" for _, o, n in SIDE_EFFECTS]
)
def test_a_crash_after_any_side_effect_then_the_retried_batch_publishes_once(
    harness: Harness, world: World, service: str, operation: str, nth: int
) -> None:
    # Given the Lambda dies right after one side effect of deploy_site
    change_the_site(world)
    task = harness.task()
    harness.script(deploy_then_complete())
    agent = agent_for(harness, world)
    client = aws.table(world.deploys_table).meta.client if service == "dynamodb" else aws.client(service)
    crash_after(client, operation, nth)
    world.record_calls(aws.client("s3"))
    with pytest.raises(Crash):
        harness.run(task, agent=agent)
    # When the state machine retries the batch (the stored reply: the same tool_use id)
    result = harness.run(task, agent=agent)
    # Then the deploy finished exactly once: each file uploaded once, one invalidation, one record
    assert result.status == "completed"
    assert len(harness.server.requests) == 2  # the deploy's reply was reused, not asked again
    copied = sorted(p["Key"] for p in world.calls_of("CopyObject", world.bucket))
    assert copied == ["faq.html", "index.html"]
    assert sorted(world.live()) == ["css/site.css", "faq.html", "img/logo.png", "index.html"]
    assert len(world.invalidations()) == 1
    [record] = DeployStore(world.deploys_table).history(SITE)
    assert (record.status, record.invalidation_id) == ("published", world.invalidations()[0]["id"])
    [deployed] = tool_results(harness.server.requests[1])
    assert "Deployed sailjada.com" in deployed["content"]


def refuse_once(code: str) -> None:
    """CloudFront refuses the next CreateInvalidation once with `code`."""
    failures = [True]

    def refuse(**_: Any) -> None:
        if failures:
            failures.pop()
            raise ClientError({"Error": {"Code": code, "Message": "refused"}}, "CreateInvalidation")

    aws.client("cloudfront").meta.events.register("before-call.cloudfront.CreateInvalidation", refuse)


def test_a_passing_aws_error_fails_the_batch_and_its_retry_finishes_the_same_call(
    harness: Harness, world: World
) -> None:
    # Given CloudFront throttles the invalidation once, after the files were copied
    change_the_site(world)
    refuse_once("Throttling")
    task = harness.task()
    script = (reply(tool_use("deploy_site", {"site": SITE}, "toolu_d1")), reply(text("done")))
    harness.script(scripted(*script))
    # Then the batch fails (the handler makes it AwsUnavailable: the state machine retries it)
    with pytest.raises(ClientError):
        harness.run(task, agent=agent_for(harness, world, turns_per_batch=3))
    # and the retried batch runs the same call, which resumes its plan: one deploy, one invalidation
    harness.script(scripted(*script))
    harness.run(task, agent=agent_for(harness, world, turns_per_batch=3))
    [invalidation] = world.invalidations()
    assert "/index.html" in invalidation["Paths"]["Items"]
    assert [r.status for r in DeployStore(world.deploys_table).history(SITE)] == ["published"]


def test_an_aws_error_ends_the_call_and_the_next_deploy_finishes_its_plan_first(
    harness: Harness, world: World
) -> None:
    # Given CloudFront refuses the invalidation once (access denied), after the files were copied
    change_the_site(world)
    refuse_once("AccessDenied")

    task = harness.task()
    harness.script(
        scripted(
            reply(tool_use("deploy_site", {"site": SITE}, "toolu_d1")),
            reply(tool_use("deploy_site", {"site": SITE}, "toolu_d2")),
            reply(text("done")),
        )
    )
    harness.run(task, agent=agent_for(harness, world, turns_per_batch=3))
    # Then the first call told the model to call again, and the second finished the first plan
    first, second = (tool_results(r)[0] for r in harness.server.requests[1:3])
    assert first["is_error"] is True
    assert "call deploy_site sailjada.com again" in first["content"]
    assert "Nothing to deploy" in second["content"]
    assert "First finished" not in second["content"]
    [invalidation] = world.invalidations()
    assert "/index.html" in invalidation["Paths"]["Items"]
    assert [r.status for r in DeployStore(world.deploys_table).history(SITE)] == ["published"]


# --- operator approval -------------------------------------------------------------------------------
def end_and_answer(world: World, harness: Harness, task: Task, answer: str, session: int) -> Task:
    """Session end, the operator's answer (an hour later), and the poll's claim of the next session."""
    tasks = world.cloud.tasks()
    result = end_session(
        SessionEndEvent.model_validate(
            {"task_id": task.task_id, "session": session, "execution": task.execution_name(session),
             "turns": 1, "status": "blocked", "reason": tasks.get(task.task_id).blocked_reason}
        ),
        NOW, tasks=tasks, counters=CounterStore(world.cloud.counters_table), sns=None, topic_arn="",
        settings=world.settings(), checkpoints=world.cloud.checkpoints(),
    )  # fmt: skip
    assert result.status is TaskStatus.BLOCKED
    later = NOW + timedelta(hours=session)
    operator.unblock(tasks, task.task_id, answer, later)
    record = SessionRecord(
        number=session + 1, execution=task.execution_name(session + 1), started_at=iso(later)
    )
    return tasks.claim(tasks.get(task.task_id), session=record, now=later)


_calls = itertools.count(1)


def deploy_on_opening(request: dict[str, Any]) -> Any:
    """A model that calls deploy_site first in every session, then completes."""
    n = next(_calls)
    if len(request["messages"]) == 1:
        return reply(tool_use("deploy_site", {"site": SITE}, f"toolu_dep{n:04d}"))
    return reply(tool_use("complete_task", {"summary": "done"}, f"toolu_done{n:04d}"))


def test_approval_blocks_without_publishing_then_publishes_once_after_approve(
    harness: Harness, world: World
) -> None:
    # Given a site that needs the operator's approval, and an edit
    world.approval = "operator"
    change_the_site(world)
    task = harness.task()
    harness.script(deploy_on_opening)
    # When the agent deploys
    first = harness.run(task, agent=agent_for(harness, world))
    # Then nothing is published and the session is blocked with the diff and the approve command
    assert first.status == SessionOutcome.BLOCKED.value
    assert world.live() == FILES
    assert world.invalidations() == []
    assert first.reason is not None
    assert first.reason.startswith(f"deploy_site {SITE} waits for your approval of diff")
    assert f"jada tasks unblock {task.task_id} --answer approve" in first.reason
    assert "~ index.html" in first.reason
    assert "- crew.html" in first.reason
    # and the blocked email names the site and the exact command
    _, body = blocked_message(world.cloud.tasks().get(task.task_id), first.reason)
    assert SITE in body
    assert f"jada tasks unblock {task.task_id} --answer approve" in body
    # When the operator approves and the task resumes
    task = end_and_answer(world, harness, task, "Approve, thanks", session=1)
    second = harness.run(task, session=2, agent=agent_for(harness, world))
    # Then the resumed session's deploy_site publishes that diff, once
    assert second.status == "completed"
    assert b"Sail with Jada" in world.live()["index.html"]
    assert len(world.invalidations()) == 1
    [record] = DeployStore(world.deploys_table).history(SITE)
    assert (record.session, record.status) == (2, "published")
    assert DeployStore(world.deploys_table).approval(task.task_id, SITE) is None  # used up


def test_approval_is_asked_again_when_the_workspace_changed_since(harness: Harness, world: World) -> None:
    world.approval = "operator"
    change_the_site(world)
    task = harness.task()
    harness.script(deploy_on_opening)
    first = harness.run(task, agent=agent_for(harness, world))
    # Given the operator approved, but another edit landed in the meantime
    task = end_and_answer(world, harness, task, "approve", session=1)
    world.put(INDEX, "<h1>changed again</h1>\n")
    # When the task resumes
    second = harness.run(task, session=2, agent=agent_for(harness, world))
    # Then nothing is published and the operator is asked about the new diff
    assert second.status == SessionOutcome.BLOCKED.value
    assert second.reason is not None
    assert second.reason != first.reason
    assert world.live() == FILES
    assert world.invalidations() == []


def test_a_non_approving_answer_reaches_the_model_and_publishes_nothing(
    harness: Harness, world: World
) -> None:
    world.approval = "operator"
    change_the_site(world)
    task = harness.task()
    harness.script(deploy_on_opening)
    harness.run(task, agent=agent_for(harness, world))
    # Given the operator answers something else than approve
    task = end_and_answer(world, harness, task, "Not yet: keep the old title.", session=1)
    # When the task resumes and the agent deploys again
    second = harness.run(task, session=2, agent=agent_for(harness, world))
    # Then the answer reached the model, nothing was published, and the operator is asked again
    opening = last_user_text(harness.server.requests[1])
    assert "The operator answered:\nNot yet: keep the old title." in opening
    assert second.status == SessionOutcome.BLOCKED.value
    assert world.live() == FILES
    assert world.invalidations() == []
