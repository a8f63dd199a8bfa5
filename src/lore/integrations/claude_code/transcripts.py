"""``lore import claude-code``: Claude Code transcripts (``~/.claude/projects/<dir>/<id>.jsonl``)
as events, one capture session per transcript.

User requests, the agent's messages, tool calls with their results (files edited, commands run)
become events built by ``steps``, with the same idempotency keys as the hooks use, so a session
seen by both is stored once. Each file's read position is kept in the project's state: a later
import reads only what was appended since. A tool call whose result is not written yet holds the
position before it, so the pair is read whole next time.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from lore.core import Lore
from lore.domain import Project, SessionState
from lore.errors import NotFoundError
from lore.integrations.claude_code import steps
from lore.integrations.claude_code.drain import capture_session, store_events


@dataclass
class ImportReport:
    files: int = 0
    records: int = 0
    events: int = 0
    sessions: list[int] = field(default_factory=list)


@dataclass
class _Pending:
    name: str
    input: Any


def claude_projects_dir() -> Path:
    return Path("~/.claude/projects").expanduser()


def transcript_dir(repo: Path) -> Path:
    """Where Claude Code keeps a folder's transcripts: its path with every character other than
    a letter or digit replaced by ``-``."""
    return claude_projects_dir() / re.sub(r"[^A-Za-z0-9]", "-", str(repo))


def transcript_files(path: Path) -> list[Path]:
    if path.is_file():
        return [path]
    if path.is_dir():
        return sorted(path.glob("*.jsonl"))
    raise NotFoundError(
        f"no Claude Code transcripts at {path}: pass the transcript file or its folder"
        f" (under {claude_projects_dir()})"
    )


def import_transcripts(lore: Lore, project: Project, path: Path) -> ImportReport:
    report = ImportReport()
    for file in transcript_files(path):
        _import_file(lore, project, file, report)
    return report


def _import_file(lore: Lore, project: Project, file: Path, report: ImportReport) -> None:
    state_key = f"{steps.SOURCE}:transcript:{file.resolve()}"
    stored = lore.store.projects.get_state(project.id, state_key)
    offset = int(json.loads(stored)["offset"]) if stored else 0
    if file.stat().st_size < offset:  # rewritten, not appended: read it again
        offset = 0
    with file.open("rb") as handle:
        handle.seek(offset)
        data = handle.read()
    mapper = _Mapper(file.stem)
    safe = 0
    for end, record in _lines(data):
        report.records += 1
        mapper.add(record)
        if not mapper.pending:
            safe = end
    report.files += 1
    if mapper.events:
        session = capture_session(lore, project, _session_key(mapper.session), mapper.goal)
        report.events += store_events(lore, project, session.id, mapper.events)
        report.sessions.append(session.id)
        if session.state is SessionState.COLLECTING:
            lore.close(session.id)
    lore.store.projects.set_state(project.id, state_key, json.dumps({"offset": offset + safe}))


def _session_key(claude_session: str) -> str:
    return f"{steps.SOURCE}:transcript-session:{claude_session}"


def _lines(data: bytes) -> Iterator[tuple[int, dict[str, Any]]]:
    """Complete lines (a line still being written has no newline yet) with the offset after
    each; lines that are not JSON objects are passed over."""
    start = 0
    while (newline := data.find(b"\n", start)) != -1:
        line = data[start:newline]
        start = newline + 1
        try:
            record = json.loads(line)
        except (json.JSONDecodeError, UnicodeDecodeError):
            continue
        if isinstance(record, dict):
            yield start, record


class _Mapper:
    """Turns transcript records into events, pairing each tool_use with its tool_result."""

    def __init__(self, fallback_session: str) -> None:
        self.session = fallback_session
        self.events: list[dict[str, Any]] = []
        self.pending: dict[str, _Pending] = {}
        self.goal = ""

    def add(self, record: dict[str, Any]) -> None:
        self.session = str(record.get("sessionId") or self.session)
        message = record.get("message")
        if record.get("isMeta") or record.get("isCompactSummary") or not isinstance(message, dict):
            return
        at = _timestamp(record.get("timestamp"))
        content = message.get("content")
        blocks = [{"type": "text", "text": content}] if isinstance(content, str) else content
        if not isinstance(blocks, list):
            return
        if record.get("type") == "user":
            self._user(record, blocks, at)
        elif record.get("type") == "assistant":
            self._assistant(record, blocks, at)

    def _user(self, record: dict[str, Any], blocks: list[Any], at: float | None) -> None:
        texts = [
            b.get("text", "") for b in blocks if isinstance(b, dict) and b.get("type") == "text"
        ]
        prompt = "\n".join(t for t in texts if t).strip()
        if prompt:
            self.goal = self.goal or prompt
            self.events.append(steps.prompt_event(self.session, prompt, occurred_at=at))
        for block in blocks:
            if isinstance(block, dict) and block.get("type") == "tool_result":
                self._result(record, block, at)

    def _result(self, record: dict[str, Any], block: dict[str, Any], at: float | None) -> None:
        call = self.pending.pop(str(block.get("tool_use_id")), None)
        if call is None:
            return
        response = record.get("toolUseResult") or block.get("content")
        self.events.append(
            steps.step_event(
                call.name,
                call.input,
                response,
                tool_use_id=str(block.get("tool_use_id")),
                cwd=record.get("cwd"),
                error=bool(block.get("is_error")) or steps.failed(response),
                occurred_at=at,
            )
        )

    def _assistant(self, record: dict[str, Any], blocks: list[Any], at: float | None) -> None:
        for index, block in enumerate(blocks):
            if not isinstance(block, dict):
                continue
            if block.get("type") == "tool_use" and block.get("id"):
                self.pending[str(block["id"])] = _Pending(
                    str(block.get("name")), block.get("input")
                )
            elif block.get("type") == "text" and str(block.get("text", "")).strip():
                uuid = f"{record.get('uuid')}:{index}"
                self.events.append(steps.message_event(uuid, str(block["text"]), occurred_at=at))


def _timestamp(value: Any) -> float | None:
    if not isinstance(value, str):
        return None
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp()
    except ValueError:
        return None
