"""`jada sites ...` and `jada workspace ...` against moto, through the real typer app."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import boto3
import pytest
from jada.sites.records import DeployStore
from jada_tools.cli import stack as cli_stack
from jada_tools.cli.main import app
from typer.testing import CliRunner

from tests.functional.sites.conftest import FILES, SITE, Direct, World

INDEX = f"sites/{SITE}/index.html"


@pytest.fixture
def cli(world: World, monkeypatch: pytest.MonkeyPatch) -> Any:
    site = {"bucket": world.bucket, "distributionId": world.distribution, "approval": "auto"}
    found = {
        "TasksTableName": world.cloud.tasks_table, "WorkspaceBucketName": world.workspace_bucket,
        "DeploysTableName": world.deploys_table, "SitesJson": json.dumps({SITE: site}),
    }  # fmt: skip
    monkeypatch.setenv("JADA_OUTPUTS_JSON", json.dumps(found))
    cli_stack.outputs.cache_clear()
    runner = CliRunner()
    yield lambda *args: runner.invoke(app, [str(a) for a in args])
    cli_stack.outputs.cache_clear()


def workspace_keys(world: World) -> dict[str, bytes]:
    s3 = boto3.client("s3")
    found = s3.list_objects_v2(Bucket=world.workspace_bucket).get("Contents", [])
    return {
        o["Key"]: s3.get_object(Bucket=world.workspace_bucket, Key=o["Key"])["Body"].read() for o in found
    }


def test_import_copies_the_live_site_into_the_workspace_once(cli: Any, world: World) -> None:
    done = cli("sites", "import", SITE, "--json")
    assert done.exit_code == 0, done.output
    assert json.loads(done.output)["files"] == len(FILES)
    assert workspace_keys(world) == {f"sites/{SITE}/{k}": v for k, v in FILES.items()}
    head = boto3.client("s3").head_object(Bucket=world.workspace_bucket, Key=INDEX)
    assert len(head["Metadata"]["sha256"]) == 64
    # a second import would overwrite the agent's work: refused, nothing changed
    world.put(INDEX, "<h1>edited</h1>")
    again = cli("sites", "import", SITE)
    assert again.exit_code == 2
    assert again.output.startswith("error: the workspace already holds 4 files under /sites/sailjada.com/")
    assert world.read(INDEX) == "<h1>edited</h1>"
    # --force replaces the workspace copy with the live files
    world.put(f"sites/{SITE}/draft.html", "<p>draft</p>")
    forced = cli("sites", "import", SITE, "--force", "--json")
    assert forced.exit_code == 0, forced.output
    assert json.loads(forced.output)["removed"] == ["draft.html"]
    assert workspace_keys(world) == {f"sites/{SITE}/{k}": v for k, v in FILES.items()}


def test_list_diff_history_and_rollback(cli: Any, world: World, direct: Direct) -> None:
    listed = cli("sites", "list")
    assert listed.exit_code == 0, listed.output
    assert (
        f"{SITE}: bucket {world.bucket}, distribution {world.distribution}, approval auto; never deployed"
        in (listed.output)
    )
    cli("sites", "import", SITE)
    assert cli("sites", "diff", SITE).output.strip() == f"{SITE}: the live site matches /sites/{SITE}/"
    # Given two deploys by the agent
    world.put(INDEX, "<h1>version 2</h1>\n")
    diffed = cli("sites", "diff", SITE)
    assert diffed.output.splitlines() == [
        f"{SITE}: 0 added, 1 changed, 0 removed",
        f"  ~ index.html ({len(FILES['index.html'])} -> 19 bytes)",
    ]
    assert json.loads(cli("sites", "diff", SITE, "--json").output)["changes"][0]["kind"] == "changed"
    assert not direct("deploy_site", {"site": SITE}).is_error
    world.put(INDEX, "<h1>version 3</h1>\n")
    world.put(f"sites/{SITE}/new.html", "<p>new</p>\n")
    assert not direct("deploy_site", {"site": SITE}).is_error
    history = json.loads(cli("sites", "history", SITE, "--json").output)
    assert [(h["kind"], len(h["uploads"])) for h in history] == [("deploy", 1), ("deploy", 2)]
    assert f"{history[0]['deploy_id']}  " in cli("sites", "history", SITE).output
    # When the operator rolls back to the first
    rolled = cli("sites", "rollback", SITE, history[0]["deploy_id"], "--json")
    assert rolled.exit_code == 0, rolled.output
    record = json.loads(rolled.output)
    # Then the live site serves the first deploy's files again, with an invalidation, as a new deploy
    live = world.live()
    assert live["index.html"] == b"<h1>version 2</h1>\n"
    assert "new.html" not in live
    assert (record["kind"], record["rolled_back_to"]) == ("rollback", history[0]["deploy_id"])
    assert record["invalidation_id"] in {i["id"] for i in world.invalidations()}
    assert sorted(record["invalidation_paths"]) == ["/", "/index.html", "/new.html"]
    assert len(DeployStore(world.deploys_table).history(SITE)) == 3
    # and the workspace keeps the newer sources
    assert world.read(INDEX) == "<h1>version 3</h1>\n"
    again = cli("sites", "rollback", SITE, history[0]["deploy_id"])
    assert "nothing to publish" in again.output


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ("sites", "diff", "other.com"),
            "error: unknown site 'other.com'; the configured sites are: sailjada.com",
        ),
        (("sites", "import", "other.com"), "error: unknown site 'other.com'"),
        (("sites", "history", "other.com"), "error: unknown site"),
        (("sites", "rollback", SITE, "d0000000000000000"), "error: sailjada.com has no published deploy"),
    ],
)
def test_bad_input_exits_2_with_one_error_line(
    cli: Any, world: World, args: tuple[str, ...], message: str
) -> None:
    done = cli(*args)
    assert done.exit_code == 2
    assert done.output.startswith(message)
    assert len(done.output.strip().splitlines()) == 1
    assert world.invalidations() == []


def test_pull_edit_push_round_trip(cli: Any, world: World, tmp_path: Path) -> None:
    cli("sites", "import", SITE)
    folder = tmp_path / "site"
    pulled = cli("workspace", "pull", SITE, folder)
    assert pulled.exit_code == 0, pulled.output
    assert (folder / "index.html").read_bytes() == FILES["index.html"]
    assert (folder / "img" / "logo.png").read_bytes() == FILES["img/logo.png"]
    # edit, add and remove files locally
    (folder / "index.html").write_text("<h1>from my laptop</h1>\n")
    (folder / "blog").mkdir()
    (folder / "blog" / "index.html").write_text("<h1>blog</h1>\n")
    (folder / "crew.html").unlink()
    pushed = cli("workspace", "push", SITE, folder, "--json")
    assert pushed.exit_code == 0, pushed.output
    assert json.loads(pushed.output) == {
        "site": SITE, "written": ["blog/index.html", "index.html"], "deleted": ["crew.html"],
    }  # fmt: skip
    keys = workspace_keys(world)
    assert keys[INDEX] == b"<h1>from my laptop</h1>\n"
    assert f"sites/{SITE}/crew.html" not in keys
    # a second push right after has nothing to do (the manifest follows the push)
    assert json.loads(cli("workspace", "push", SITE, folder, "--json").output)["written"] == []


def test_push_refuses_files_changed_in_the_workspace_since_the_pull(
    cli: Any, world: World, tmp_path: Path
) -> None:
    cli("sites", "import", SITE)
    folder = tmp_path / "site"
    cli("workspace", "pull", SITE, folder)
    # Given the agent edited index.html after the pull, and so did the operator locally
    world.put(INDEX, "<h1>the agent's edit</h1>\n")
    (folder / "index.html").write_text("<h1>my edit</h1>\n")
    (folder / "faq.html").write_text("<h1>FAQ</h1>\n")
    # When pushing, Then it is refused and nothing is written
    refused = cli("workspace", "push", SITE, folder)
    assert refused.exit_code == 2
    assert refused.output.startswith(
        "error: changed in the workspace since the pull: index.html; nothing was pushed"
    )
    assert world.read(INDEX) == "<h1>the agent's edit</h1>\n"
    assert f"sites/{SITE}/faq.html" not in workspace_keys(world)
    # unless forced
    forced = cli("workspace", "push", SITE, folder, "--force")
    assert forced.exit_code == 0, forced.output
    assert world.read(INDEX) == "<h1>my edit</h1>\n"


def test_pull_and_push_bad_folders(cli: Any, world: World, tmp_path: Path) -> None:
    cli("sites", "import", SITE)
    busy = tmp_path / "busy"
    busy.mkdir()
    (busy / "notes.txt").write_text("mine")
    refused = cli("workspace", "pull", SITE, busy)
    assert (refused.exit_code, refused.output.split(":")[0]) == (2, "error")
    assert "is not empty and holds no earlier pull" in refused.output
    assert (busy / "notes.txt").read_text() == "mine"
    no_pull = cli("workspace", "push", SITE, busy)
    assert no_pull.exit_code == 2
    assert ".jada-workspace.json is missing" in no_pull.output
    folder = tmp_path / "site"
    cli("workspace", "pull", SITE, folder)
    (folder / "index.html").write_text("local change")
    again = cli("workspace", "pull", SITE, folder)
    assert again.exit_code == 2
    assert "local changes since the last pull would be overwritten: index.html" in again.output
    (folder / "bad\\name.html").write_text("x")
    bad = cli("workspace", "push", SITE, folder)
    assert bad.exit_code == 2
    assert "has no valid workspace path" in bad.output
    assert world.read(INDEX) == FILES["index.html"].decode()
