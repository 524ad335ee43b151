"""A deploy's diff and its CloudFront paths (pure).

The diff compares the files a site should have (the workspace's `/sites/<site>/`, or an earlier
deploy's versions for a rollback) with its live bucket, without downloading: equal ETags mean equal
bytes, different sizes different bytes; otherwise the caller's `same(path)` decides (it compares
the SHA-256 both sides carry in metadata). The diff's digest is a content hash of what changes
(path, kind, new SHA-256): an operator's approval is bound to it.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Literal
from urllib.parse import quote

Kind = Literal["added", "changed", "removed"]
#: more changed paths than this are invalidated as one `/*` (CloudFront bills each path)
MAX_INVALIDATION_PATHS = 1000
#: CloudFront's URL-safe characters besides letters and digits
_SAFE = "/-_.~!$&'()*+,;=:@"
INDEX = "index.html"
#: the blocked reason is cut at 1,000 characters by session end: the summary stays below
MAX_REASON = 950


@dataclass(frozen=True)
class FileState:
    """One file of a site, on one side of the diff (`path` relative to the site's root)."""

    path: str
    #: None when not known (a rollback's manifest keeps versions and ETags only)
    size: int | None
    etag: str
    version_id: str | None = None
    sha256: str | None = None


@dataclass(frozen=True)
class Change:
    path: str
    kind: Kind
    #: the new size (added, changed) or the removed file's size
    size: int
    old_size: int | None = None
    #: the new content's hash (added, changed)
    sha256: str | None = None
    version_id: str | None = None


def classify(
    desired: Mapping[str, FileState], live: Mapping[str, FileState], same: Callable[[str], bool]
) -> list[tuple[str, Kind]]:
    """(path, kind) of every difference, path order. `same` is asked only when the ETags differ
    and the sizes do not (different sizes: different bytes)."""
    found: list[tuple[str, Kind]] = []
    for path in sorted(set(desired) | set(live)):
        want, have = desired.get(path), live.get(path)
        if have is None:
            found.append((path, "added"))
        elif want is None:
            found.append((path, "removed"))
        elif want.etag == have.etag:
            continue
        elif (want.size is not None and want.size != have.size) or not same(path):
            found.append((path, "changed"))
    return found


@dataclass(frozen=True)
class SiteDiff:
    site: str
    changes: tuple[Change, ...]

    def of(self, kind: Kind) -> list[Change]:
        return [c for c in self.changes if c.kind == kind]

    @property
    def empty(self) -> bool:
        return not self.changes

    @property
    def uploads(self) -> list[Change]:
        return [c for c in self.changes if c.kind != "removed"]

    @property
    def digest(self) -> str:
        """A content hash of the diff: the same changes to the same bytes, the same digest."""
        lines = [self.site] + [f"{c.kind} {c.path} {c.sha256 or ''}" for c in self.changes]
        return hashlib.sha256("\n".join(lines).encode()).hexdigest()

    def counts(self) -> str:
        return ", ".join(f"{len(self.of(k))} {k}" for k in ("added", "changed", "removed"))

    def lines(self) -> list[str]:
        return [describe(c) for c in self.changes]

    def summary(self) -> str:
        head = f"{self.site}: {self.counts()}"
        return "\n".join([head, *(f"  {line}" for line in self.lines())])


def describe(change: Change) -> str:
    if change.kind == "added":
        return f"+ {change.path} ({change.size:,} bytes)"
    if change.kind == "removed":
        return f"- {change.path} ({change.size:,} bytes)"
    return f"~ {change.path} ({change.old_size or 0:,} -> {change.size:,} bytes)"


def approval_reason(diff: SiteDiff, task_id: str) -> str:
    """The blocked reason of a deploy waiting for the operator: the site, the exact approve
    command first (so no cut loses it), then as many of the changes as fit."""
    head = (
        f"deploy_site {diff.site} waits for your approval of diff {diff.digest[:12]} ({diff.counts()}). "
        f"Approve: jada tasks unblock {task_id} --answer approve (any other answer goes to the agent). "
        "Changes: "
    )
    shown: list[str] = []
    for index, line in enumerate(diff.lines()):
        rest = len(diff.changes) - index
        tail = f"; and {rest} more (jada sites diff {diff.site})"
        if len(head) + len("; ".join([*shown, line])) + len(tail) > MAX_REASON:
            return head + "; ".join(shown) + tail
        shown.append(line)
    return head + "; ".join(shown) + "."


def invalidation_paths(paths: Iterable[str]) -> list[str]:
    """The CloudFront paths of changed files: each file, and for an index.html also its folder
    (`/`, `/blog/` and `/blog`). Beyond MAX_INVALIDATION_PATHS: `/*`."""
    found: set[str] = set()
    for path in paths:
        found.add("/" + quote(path, safe=_SAFE))
        if path == INDEX or path.endswith("/" + INDEX):
            folder = path[: -len(INDEX)]
            found.add("/" + quote(folder, safe=_SAFE))
            if folder:
                found.add("/" + quote(folder.rstrip("/"), safe=_SAFE))
    if len(found) > MAX_INVALIDATION_PATHS:
        return ["/*"]
    return sorted(found)


def deploy_id_for(origin: str) -> str:
    """A deploy's id, derived from what started it (a tool_use id, or the CLI's own token)."""
    return "d" + hashlib.sha256(origin.encode()).hexdigest()[:15]
