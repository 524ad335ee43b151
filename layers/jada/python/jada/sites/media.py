"""Content-Type and Cache-Control of a site's files, from their names (pure, deterministic).

Cache-Control defaults: HTML `public, max-age=0, must-revalidate` (always revalidated: a deploy is
visible at once); assets whose name carries a build hash (`app.3f9a2b7c.js`, `logo-5d41402abc.png`: 8 or more
letters and digits, both kinds, before the extension)
`public, max-age=31536000, immutable`; everything else `public, max-age=300`.
"""

from __future__ import annotations

import re

TYPES = {
    "html": "text/html; charset=utf-8", "htm": "text/html; charset=utf-8",
    "css": "text/css; charset=utf-8", "js": "text/javascript; charset=utf-8",
    "mjs": "text/javascript; charset=utf-8", "json": "application/json",
    "map": "application/json", "webmanifest": "application/manifest+json",
    "xml": "application/xml", "txt": "text/plain; charset=utf-8", "md": "text/markdown; charset=utf-8",
    "csv": "text/csv; charset=utf-8", "svg": "image/svg+xml", "png": "image/png", "jpg": "image/jpeg",
    "jpeg": "image/jpeg", "gif": "image/gif", "webp": "image/webp", "avif": "image/avif",
    "ico": "image/x-icon", "woff": "font/woff", "woff2": "font/woff2", "ttf": "font/ttf", "otf": "font/otf",
    "pdf": "application/pdf", "mp4": "video/mp4", "webm": "video/webm", "mp3": "audio/mpeg",
    "wasm": "application/wasm", "gs": "text/plain; charset=utf-8", "py": "text/x-python; charset=utf-8",
}  # fmt: skip
DEFAULT_TYPE = "application/octet-stream"
HTML_CACHE = "public, max-age=0, must-revalidate"
HASHED_CACHE = "public, max-age=31536000, immutable"
ASSET_CACHE = "public, max-age=300"
#: a build hash before the extension: `.` or `-`, then 8+ letters and digits (both kinds)
_HASHED = re.compile(r"[.-]([A-Za-z0-9_]{8,})\.[A-Za-z0-9]+$")


def extension(path: str) -> str:
    name = path.rsplit("/", 1)[-1]
    return name.rsplit(".", 1)[-1].lower() if "." in name else ""


def content_type(path: str) -> str:
    return TYPES.get(extension(path), DEFAULT_TYPE)


def is_hashed(path: str) -> bool:
    name = path.rsplit("/", 1)[-1]
    match = _HASHED.search(name)
    if match is None:
        return False
    token = match.group(1)
    return any(ch.isdigit() for ch in token) and any(ch.isalpha() for ch in token)


def cache_control(path: str) -> str:
    if extension(path) in {"html", "htm"} or not extension(path):
        return HTML_CACHE
    if is_hashed(path):
        return HASHED_CACHE
    return ASSET_CACHE
