"""Workspace paths (pure): what the agent may name, and where it may write.

Paths are absolute inside the workspace and map one to one to object keys of the workspace bucket:
`/sites/sailjada.com/index.html` is the key `sites/sailjada.com/index.html`. Two top-level folders
exist: `/sites/<site>/` (a configured site's sources) and `/notes/` (the agent's own notes). A path
is refused, never normalized into something else, when it could mean a place outside them:
`.` or `..` segments (also as look-alike Unicode), percent-encoded characters (`%2e%2e`),
backslashes, control characters and NUL, empty segments (`//`), relative paths, and any other
root (`/etc/passwd`). Keys that stand for symbolic links (rclone's `*.rclonelink`) are refused too.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Collection
from dataclasses import dataclass

from jada.errors import WorkspacePathRefused

SITES, NOTES = "sites", "notes"
ROOTS = (SITES, NOTES)
#: S3 keys are at most 1,024 bytes
MAX_KEY_BYTES = 1024
PERCENT_ENCODED = re.compile(r"%[0-9A-Fa-f]{2}")
#: key suffixes tools use to store symbolic links as objects
LINK_SUFFIXES = (".rclonelink",)


@dataclass(frozen=True)
class WorkspacePath:
    """A validated path: its segments below the workspace root (empty: the root itself)."""

    parts: tuple[str, ...]

    @property
    def key(self) -> str:
        """The object key of a file at this path."""
        return "/".join(self.parts)

    @property
    def prefix(self) -> str:
        """The key prefix of everything inside this path as a folder."""
        return self.key + "/" if self.parts else ""

    @property
    def shown(self) -> str:
        return "/" + self.key

    @property
    def site(self) -> str | None:
        """The site whose sources this path is in (`/sites/<site>/...`)."""
        return self.parts[1] if len(self.parts) >= 2 and self.parts[0] == SITES else None


def parse(path: str) -> WorkspacePath:
    """A path the agent gave, validated. Raises WorkspacePathRefused saying why."""
    if not isinstance(path, str) or not path.strip():
        raise WorkspacePathRefused("the path is empty")
    path = path.strip()
    if any(ord(ch) < 32 or ord(ch) == 127 for ch in path):
        raise WorkspacePathRefused(f"{path!r} contains a control character (or NUL)")
    if "\\" in path:
        raise WorkspacePathRefused(f"{path} contains a backslash; separate folders with /")
    if PERCENT_ENCODED.search(path):
        raise WorkspacePathRefused(f"{path} contains percent-encoded characters; write them plainly")
    if not path.startswith("/"):
        raise WorkspacePathRefused(f"{path} is relative; paths are absolute, e.g. {_example()}")
    if len(path.encode()) > MAX_KEY_BYTES:
        raise WorkspacePathRefused(f"the path has {len(path.encode())} bytes; the limit is {MAX_KEY_BYTES}")
    body = path[1:]
    if body.endswith("/"):
        body = body[:-1]
    parts = tuple(body.split("/")) if body else ()
    for part in parts:
        _check_segment(path, part)
    if parts and parts[0] not in ROOTS:
        raise WorkspacePathRefused(
            f"{path} is outside the workspace: paths start with {_example()} or /notes/"
        )
    if parts and parts[-1].endswith(LINK_SUFFIXES):
        raise WorkspacePathRefused(f"{path} stands for a symbolic link; links are not followed")
    return WorkspacePath(parts)


def _check_segment(path: str, part: str) -> None:
    if not part:
        raise WorkspacePathRefused(f"{path} has an empty segment (//)")
    folded = unicodedata.normalize("NFKC", part)
    if folded in {".", ".."} or part in {".", ".."}:
        raise WorkspacePathRefused(f"{path} has a '{part}' segment; '.' and '..' are not allowed")
    if "/" in folded or "\\" in folded:
        raise WorkspacePathRefused(f"{path} has a segment that reads as a separator ({part!r})")


def _example() -> str:
    return "/sites/<site>/index.html"


def write_refusal(path: WorkspacePath, sites: Collection[str]) -> str | None:
    """Why the agent may not write `path` (None when it may): only files inside a configured
    site's folder or inside /notes/ are writable."""
    configured = ", ".join(sorted(sites)) or "none"
    if len(path.parts) >= 2 and path.parts[0] == NOTES:
        return None
    if len(path.parts) >= 3 and path.parts[0] == SITES and path.parts[1] in sites:
        return None
    if path.site is not None and path.site not in sites:
        return f"{path.shown} is in /sites/{path.site}/, not a configured site (configured: {configured})"
    return (
        f"{path.shown} is not a file inside a configured site's folder (/sites/<site>/..., configured: "
        f"{configured}) or inside /notes/"
    )


def relative(key: str, prefix: str) -> str:
    """`sites/a.com/css/x.css` below `sites/a.com/` -> `css/x.css`."""
    return key[len(prefix) :] if key.startswith(prefix) else key


def site_prefix(site: str) -> str:
    return f"{SITES}/{site}/"
