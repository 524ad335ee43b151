"""A deploy's diff, digest, CloudFront paths and approval text; Content-Type and Cache-Control."""

from __future__ import annotations

import pytest
from jada.sites import media
from jada.sites.plan import (
    MAX_REASON,
    Change,
    FileState,
    SiteDiff,
    approval_reason,
    classify,
    deploy_id_for,
    invalidation_paths,
)


def f(path: str, etag: str, size: int = 10) -> FileState:
    return FileState(path, size, etag)


def test_classify_finds_added_changed_and_removed_files_asking_only_when_it_must() -> None:
    desired = {
        "index.html": f("index.html", "e1"), "new.css": f("new.css", "e2"), "same.js": f("same.js", "e3"),
        "reencrypted.png": f("reencrypted.png", "e4"), "grown.html": f("grown.html", "e6", size=11),
    }  # fmt: skip
    live = {
        "index.html": f("index.html", "old"), "gone.html": f("gone.html", "e5"),
        "same.js": f("same.js", "e3"), "reencrypted.png": f("reencrypted.png", "kms-etag"),
        "grown.html": f("grown.html", "e7"),
    }  # fmt: skip
    asked: list[str] = []

    def same(path: str) -> bool:
        asked.append(path)
        return path == "reencrypted.png"  # equal bytes, different ETag (e.g. another encryption)

    assert classify(desired, live, same) == [
        ("gone.html", "removed"), ("grown.html", "changed"), ("index.html", "changed"), ("new.css", "added"),
    ]  # fmt: skip
    # equal ETags and different sizes need no look at the bytes
    assert sorted(asked) == ["index.html", "reencrypted.png"]


def test_the_digest_binds_content_not_versions() -> None:
    one = SiteDiff("a.com", (Change("index.html", "changed", 5, 4, "sha-1", "v1"),))
    same_bytes_other_version = SiteDiff("a.com", (Change("index.html", "changed", 5, 4, "sha-1", "v2"),))
    other_bytes = SiteDiff("a.com", (Change("index.html", "changed", 5, 4, "sha-2", "v3"),))
    other_site = SiteDiff("b.com", one.changes)
    assert one.digest == same_bytes_other_version.digest
    assert len({one.digest, other_bytes.digest, other_site.digest}) == 3


def test_summary_counts_and_lists_changes_with_byte_counts() -> None:
    diff = SiteDiff(
        "a.com",
        (Change("about.html", "added", 1234), Change("index.html", "changed", 2345, 2000),
         Change("old.html", "removed", 500)),
    )  # fmt: skip
    assert diff.summary() == (
        "a.com: 1 added, 1 changed, 1 removed\n"
        "  + about.html (1,234 bytes)\n  ~ index.html (2,000 -> 2,345 bytes)\n  - old.html (500 bytes)"
    )


def test_the_approval_reason_starts_with_the_site_and_the_approve_command_and_fits() -> None:
    few = SiteDiff("a.com", (Change("index.html", "changed", 20, 10, "s"),))
    reason = approval_reason(few, "1ee331e91503")
    assert reason.startswith(f"deploy_site a.com waits for your approval of diff {few.digest[:12]}")
    assert "jada tasks unblock 1ee331e91503 --answer approve" in reason
    assert reason.endswith("Changes: ~ index.html (10 -> 20 bytes).")
    many = SiteDiff(
        "a.com", tuple(Change(f"page-{i:03}.html", "added", 100 + i, None, "s") for i in range(200))
    )
    long = approval_reason(many, "1ee331e91503")
    assert len(long) <= MAX_REASON
    assert "jada tasks unblock 1ee331e91503 --answer approve" in long
    assert long.endswith("more (jada sites diff a.com)")


@pytest.mark.parametrize(
    ("paths", "expected"),
    [
        (["index.html"], ["/", "/index.html"]),
        (["blog/index.html", "css/site.css"], ["/blog", "/blog/", "/blog/index.html", "/css/site.css"]),
        (["a b/ü.html"], ["/a%20b/%C3%BC.html"]),
        (["x.html", "x.html"], ["/x.html"]),
    ],
)
def test_invalidation_paths_cover_files_and_index_folders(paths: list[str], expected: list[str]) -> None:
    assert invalidation_paths(paths) == expected


def test_very_many_paths_become_one_wildcard() -> None:
    assert invalidation_paths(f"p{i}.html" for i in range(1001)) == ["/*"]


def test_deploy_ids_derive_from_the_origin() -> None:
    assert deploy_id_for("toolu_1") == deploy_id_for("toolu_1") != deploy_id_for("toolu_2")
    assert len(deploy_id_for("toolu_1")) == 16


@pytest.mark.parametrize(
    ("path", "content_type", "cache"),
    [
        ("index.html", "text/html; charset=utf-8", media.HTML_CACHE),
        ("blog/", "application/octet-stream", media.HTML_CACHE),
        ("css/site.css", "text/css; charset=utf-8", media.ASSET_CACHE),
        ("assets/app.3f9a2b7c.js", "text/javascript; charset=utf-8", media.HASHED_CACHE),
        ("img/logo-5d41402abc.PNG", "image/png", media.HASHED_CACHE),
        ("img/photo-20240512.jpg", "image/jpeg", media.ASSET_CACHE),  # a date is not a build hash
        ("fonts/x.woff2", "font/woff2", media.ASSET_CACHE),
        ("CNAME", "application/octet-stream", media.HTML_CACHE),
    ],
)
def test_content_type_and_cache_control_from_the_name(path: str, content_type: str, cache: str) -> None:
    assert (media.content_type(path), media.cache_control(path)) == (content_type, cache)
