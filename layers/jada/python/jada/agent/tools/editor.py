"""`str_replace_based_edit_tool`: Anthropic's text editor tool (type `text_editor_20250728`, schema
Anthropic's own), run against the workspace bucket.

Commands: `view` (a file with line numbers, optionally `view_range`; a folder as a listing two
levels deep), `create` (a new file), `str_replace` (exactly one match), `insert` (after
`insert_line`, 0 = before the first line). Refused with an `is_error` result, never executed:
paths that are not inside the workspace (jada.workspace.paths), binary files, files over
MAX_FILE_BYTES, writes outside a configured site's folder or /notes/, `create` over an existing
file. Writes are conditional on what was read: a `str_replace` that loses a race re-reads and
tries once more; an `insert` that loses one asks the model to view the file again. Every write
carries the tool_use id, so a call retried after a crash recognizes its own write and does not
apply it twice.
"""

from __future__ import annotations

from typing import Literal

from botocore.exceptions import BotoCoreError, ClientError
from pydantic import ConfigDict

from jada import aws
from jada.agent.tools.base import Tool, ToolContext, ToolInput, ToolOutcome
from jada.errors import EditRefused, WorkspaceConflict, WorkspacePathRefused
from jada.settings import Settings
from jada.sites import media
from jada.workspace import paths, text
from jada.workspace.paths import WorkspacePath
from jada.workspace.store import Fetched, WorkspaceStore, workspace_from

NAME = "str_replace_based_edit_tool"
API_TYPE = "text_editor_20250728"
#: entries a folder view lists at most
MAX_LISTING = 400


class EditorInput(ToolInput):
    # text is taken exactly as sent: whitespace matters to str_replace and insert
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=False)

    command: Literal["view", "create", "str_replace", "insert"]
    path: str
    view_range: list[int] | None = None
    file_text: str | None = None
    old_str: str | None = None
    new_str: str | None = None
    insert_line: int | None = None
    insert_text: str | None = None


def error(message: str) -> ToolOutcome:
    return ToolOutcome(message, is_error=True)


def run(ctx: ToolContext, args: EditorInput) -> ToolOutcome:
    try:
        path = paths.parse(args.path)
    except WorkspacePathRefused as exc:
        return error(f"Error: path refused: {exc}. Nothing was read or written.")
    editor = _Editor(ctx, ctx.services.get(workspace_from), path)
    try:
        if args.command == "view":
            return editor.view(args.view_range)
        refusal = paths.write_refusal(path, set(ctx.services.settings.sites))
        if refusal:
            return error(f"Error: Permission denied. Cannot write to file. {refusal}.")
        if args.command == "create":
            return editor.create(args.file_text)
        if args.command == "str_replace":
            return editor.str_replace(args.old_str, args.new_str or "")
        insert_text = args.insert_text if args.insert_text is not None else args.new_str
        return editor.insert(args.insert_line, insert_text)
    except EditRefused as exc:
        return error(exc.message)
    except (ClientError, BotoCoreError) as exc:
        if aws.transient_failure(exc) is not None:
            raise  # the batch is retried (AwsUnavailable) and runs this call again: it is idempotent
        return error(f"Error: the workspace could not be reached ({_aws_problem(exc)}); try again.")


class _Editor:
    def __init__(self, ctx: ToolContext, store: WorkspaceStore, path: WorkspacePath) -> None:
        self.ctx = ctx
        self.store = store
        self.path = path

    # --- view -----------------------------------------------------------------------------------
    def view(self, view_range: list[int] | None) -> ToolOutcome:
        fetched = None
        if len(self.path.parts) > 1:
            fetched = self.store.read(self.path.key, max_bytes=text.MAX_FILE_BYTES)
        if fetched is None:
            return self._listing()
        content = self._text(fetched)
        return ToolOutcome(text.view(content, view_range, text.MAX_VIEW_CHARACTERS))

    def _listing(self) -> ToolOutcome:
        prefix, folder = self.path.prefix, "/" + self.path.prefix
        entries: dict[str, int | None] = {}  # name below the folder -> size (None: a folder)
        for info in self.store.listing(prefix):
            rest = [part for part in info.key[len(prefix) :].split("/") if part]
            if len(rest) == 1:
                entries[rest[0]] = info.size
            elif rest:
                entries.setdefault(rest[0] + "/", None)
                deeper = len(rest) > 2
                name = "/".join(rest[:2]) + ("/" if deeper else "")
                entries.setdefault(name, None if deeper else info.size)
        if not self.path.parts:
            entries.update({"notes/": None, "sites/": None})
        if self.path.parts == (paths.SITES,):
            entries.update({f"{site}/": None for site in self.ctx.services.settings.sites})
        if not entries and not self._is_known_folder():
            return error(f"Error: File not found: {self.path.shown}")
        names = sorted(entries)
        lines = [_entry(folder + name, entries[name]) for name in names[:MAX_LISTING]]
        if len(names) > MAX_LISTING:
            lines.append(f"... and {len(names) - MAX_LISTING} more; view a subfolder")
        head = f"Files and folders up to 2 levels deep in {folder}:"
        return ToolOutcome("\n".join([head, *(lines or ["(empty)"])]))

    def _is_known_folder(self) -> bool:
        """The root, /sites/, /notes/ and a configured site's folder exist even when empty."""
        parts, sites = self.path.parts, self.ctx.services.settings.sites
        return len(parts) <= 1 or (len(parts) == 2 and parts[0] == paths.SITES and parts[1] in sites)

    def _text(self, fetched: Fetched) -> str:
        shown = self.path.shown
        if fetched.info.is_link:
            raise EditRefused(f"Error: {shown} is stored as a symbolic link; the editor follows no links.")
        if fetched.body is None:
            text.check_size(shown, fetched.info.size)
        content = text.decode(fetched.body or b"")
        if content is None:
            kind = fetched.info.content_type or media.content_type(shown)
            raise EditRefused(
                f"Error: {shown} is a binary file ({kind}, {fetched.info.size:,} bytes); the editor views "
                "and edits text files only."
            )
        return content

    def _read(self) -> tuple[Fetched, str]:
        fetched = self.store.read(self.path.key, max_bytes=text.MAX_FILE_BYTES)
        if fetched is None:
            raise EditRefused(f"Error: File not found: {self.path.shown}")
        return fetched, self._text(fetched)

    def _encode(self, content: str) -> bytes:
        body = content.encode()
        text.check_size(self.path.shown, len(body))
        if "\x00" in content:
            raise EditRefused("Error: the text contains a NUL character; the editor writes text files only.")
        return body

    def _write(self, body: bytes, *, if_match: str | None = None, if_absent: bool = False) -> None:
        self.store.write(
            self.path.key, body, content_type=media.content_type(self.path.key), if_match=if_match,
            if_absent=if_absent, tool_use_id=self.ctx.tool_use_id,
        )  # fmt: skip

    def _mine(self, fetched: Fetched) -> bool:
        """This version was written by this very call (a retry after a crash)."""
        return fetched.info.written_by == self.ctx.tool_use_id

    # --- create ---------------------------------------------------------------------------------
    def create(self, file_text: str | None) -> ToolOutcome:
        if file_text is None:
            return error("Error: create needs file_text, the content of the new file.")
        body = self._encode(file_text)
        done = ToolOutcome(f"File created successfully at: {self.path.shown}")
        existing = self.store.head(self.path.key)
        if existing is not None:
            return done if existing.written_by == self.ctx.tool_use_id else self._exists_error()
        if any(True for _ in self.store.listing(self.path.prefix)):
            return error(f"Error: {self.path.shown} is a folder; create a file inside it.")
        try:
            self._write(body, if_absent=True)
        except WorkspaceConflict:
            again = self.store.head(self.path.key)
            mine = again is not None and again.written_by == self.ctx.tool_use_id
            return done if mine else self._exists_error()
        return done

    def _exists_error(self) -> ToolOutcome:
        return error(
            f"Error: File already exists at: {self.path.shown}. Cannot overwrite files using command "
            "`create`; change it with str_replace or insert."
        )

    # --- str_replace ----------------------------------------------------------------------------
    def str_replace(self, old: str | None, new: str) -> ToolOutcome:
        if old is None:
            return error("Error: str_replace needs old_str, the exact text to replace.")
        for _ in range(2):
            fetched, content = self._read()
            if self._mine(fetched):
                at = content.find(new) if new else -1
                return self._edited(content, content.count("\n", 0, at) + 1 if at >= 0 else 1, new)
            updated, line = text.replace_once(content, old, new)
            try:
                self._write(self._encode(updated), if_match=fetched.info.etag)
            except WorkspaceConflict:
                continue  # another session wrote the file: apply the edit to its version
            return self._edited(updated, line, new)
        return error(
            f"Error: {self.path.shown} changed while it was being edited (another session writes it). "
            "View it again, then repeat the edit."
        )

    def _edited(self, content: str, first: int, new: str) -> ToolOutcome:
        shown = text.snippet(content, first, first + new.count("\n"))
        return ToolOutcome(f"The file {self.path.shown} has been edited. Lines around the change:\n{shown}")

    # --- insert ---------------------------------------------------------------------------------
    def insert(self, line: int | None, new: str | None) -> ToolOutcome:
        if line is None or new is None:
            return error("Error: insert needs insert_line (0 = before the first line) and insert_text.")
        fetched, content = self._read()
        if not self._mine(fetched):
            updated = text.insert_after(content, line, new)
            try:
                self._write(self._encode(updated), if_match=fetched.info.etag)
            except WorkspaceConflict:
                return error(
                    f"Error: {self.path.shown} changed since it was read (another session edited it). "
                    "View it again, then repeat the insert at the right line."
                )
            content = updated
        added = new[:-1] if new.endswith("\n") else new
        shown = text.snippet(content, line + 1, line + 1 + added.count("\n"))
        return ToolOutcome(f"Text inserted after line {line} of {self.path.shown}. Lines around it:\n{shown}")


def _entry(shown: str, size: int | None) -> str:
    return shown if size is None else f"{shown} ({size:,} bytes)"


def _aws_problem(exc: Exception) -> str:
    if isinstance(exc, ClientError):
        return str(exc.response.get("Error", {}).get("Code", "error"))
    return type(exc).__name__


def guidance(settings: Settings) -> str:
    sites = ", ".join(sorted(settings.sites)) or "none configured"
    return (
        f"{NAME}: files of the workspace: each site's sources under /sites/<site>/ ({sites}), your notes "
        f"under /notes/ (the only writable places). Paths are absolute. Text files up to "
        f"{text.MAX_FILE_BYTES:,} bytes; a view is cut at {text.MAX_VIEW_CHARACTERS:,} characters (use "
        "view_range); create makes new files only."
    )


def tools(settings: Settings) -> tuple[Tool, ...]:
    """The editor: every deployment has a workspace."""
    return (
        Tool(
            name=NAME,
            description="Anthropic's text editor tool, on the workspace bucket.",
            input_model=EditorInput,
            run=run,
            api_type=API_TYPE,
            api_options={"max_characters": text.MAX_VIEW_CHARACTERS},
            guidance=guidance(settings),
        ),
    )
