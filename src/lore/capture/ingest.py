"""Capture: validate, redact, hash and store events, never waiting for an LLM.

A batch is all or nothing: one bad event rejects the whole batch before anything is stored.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from pydantic import ValidationError as PydanticValidationError

from lore.capture.redact import drop_excluded_diffs, redact, redact_text
from lore.config import CaptureSettings
from lore.domain import EventIn, IngestResult, Project
from lore.errors import ValidationError
from lore.store.base import AppendOutcome, PreparedEvent, Store

NAME = re.compile(r"^[a-z][a-z0-9_.\-]{0,39}$")
MAX_KEY_CHARS = 200

# Payload fields without which an event of a known type means nothing.
REQUIRED_FIELDS: dict[str, tuple[str, ...]] = {
    "session_save": ("summary",),
    "git_digest": ("commits",),
    "scan_result": ("root",),
    "step": (),
    "transcript": (),
}

# Where an event says what its session is about, in this order; events that only report
# (a repository's scan, its module map and documents) say nothing of it.
ABOUT_FIELDS = ("summary", "goal", "prompt", "text", "content", "message", "title")
REPORTS = frozenset({"scan_result", "code_map", "doc_sections"})
ABOUT_CHARS = 160

Listener = Callable[[Project, AppendOutcome, Sequence[PreparedEvent]], None]


class Capture:
    def __init__(self, store: Store, settings: CaptureSettings) -> None:
        self.store = store
        self.settings = settings
        self.listeners: list[Listener] = []

    def ingest(
        self, project: Project, events: Sequence[EventIn | Mapping[str, Any]]
    ) -> IngestResult:
        """Store a batch of events; raises ValidationError naming the first bad field."""
        if not events:
            raise ValidationError("no events given", "events")
        if len(events) > self.settings.max_batch:
            raise ValidationError(
                f"a batch holds at most {self.settings.max_batch} events, got {len(events)}",
                "events",
            )
        prepared = [self.prepare(event, index) for index, event in enumerate(events)]
        outcome = self.store.events.append(
            project.id, prepared, self.settings.session_window_hours * 3600
        )
        if outcome.new_event_ids:
            for listener in self.listeners:
                listener(project, outcome, prepared)
        return IngestResult(
            event_ids=outcome.event_ids,
            session_ids=outcome.session_ids,
            duplicates=outcome.duplicates,
        )

    def prepare(self, raw: EventIn | Mapping[str, Any], index: int = 0) -> PreparedEvent:
        event = _parse(raw, index)
        where = f"events[{index}]"
        for field, value in (("source", event.source), ("type", event.type)):
            if not NAME.match(value):
                raise ValidationError(
                    f"{field} must be lowercase letters, digits, '_', '-' or '.' (got {value!r})",
                    f"{where}.{field}",
                )
        if not event.payload:
            raise ValidationError("payload must not be empty", f"{where}.payload")
        for field in REQUIRED_FIELDS.get(event.type, ()):
            if not event.payload.get(field):
                raise ValidationError(
                    f"a {event.type} event needs payload.{field}", f"{where}.payload.{field}"
                )
        if (
            event.idempotency_key is not None
            and not 0 < len(event.idempotency_key) <= MAX_KEY_CHARS
        ):
            raise ValidationError(
                f"idempotency_key must be 1 to {MAX_KEY_CHARS} characters",
                f"{where}.idempotency_key",
            )
        payload = self._clean(event.payload)
        payload_json = json.dumps(
            payload, ensure_ascii=False, sort_keys=True, separators=(",", ":")
        )
        if len(payload_json.encode()) > self.settings.max_payload_bytes:
            raise ValidationError(
                f"payload is larger than {self.settings.max_payload_bytes} bytes",
                f"{where}.payload",
            )
        return PreparedEvent(
            source=event.source,
            type=event.type,
            payload_json=payload_json,
            content_hash=_content_hash(event, payload_json),
            idempotency_key=redact_text(event.idempotency_key) if event.idempotency_key else None,
            occurred_at=event.occurred_at,
            session_id=event.session_id,
            about=about(event.type, payload),
        )

    def _clean(self, payload: dict[str, Any]) -> Any:
        """Drop diffs of excluded paths, then redact secrets everywhere."""
        return redact(_strip_excluded(payload, self.settings.exclude_paths))


def about(type: str, payload: Mapping[str, Any]) -> str | None:
    """What an event says its session is about, in one line: a save's summary, a request or
    note, the subject of its first commit; None for events that only report (tool calls, scans)."""
    if type in REPORTS or isinstance(payload.get("tool"), str):
        return None
    commits = payload.get("commits")
    if isinstance(commits, list) and commits and isinstance(commits[0], dict):
        subject = _first_line(commits[0].get("subject"))
        more = f" (and {len(commits) - 1} more commits)" if len(commits) > 1 else ""
        return f"{subject}{more}" if subject else None
    for field in ABOUT_FIELDS:
        line = _first_line(payload.get(field))
        if line:
            return line
    return None


def _first_line(value: Any) -> str | None:
    if not isinstance(value, str) or not value.strip():
        return None
    line = value.strip().splitlines()[0].strip()
    return line if len(line) <= ABOUT_CHARS else line[: ABOUT_CHARS - 1] + "…"


def _parse(raw: EventIn | Mapping[str, Any], index: int) -> EventIn:
    if isinstance(raw, EventIn):
        return raw
    try:
        return EventIn.model_validate(raw)
    except PydanticValidationError as exc:
        first = exc.errors()[0]
        field = ".".join(str(part) for part in first["loc"])
        raise ValidationError(
            f"{first['msg']}", f"events[{index}].{field}" if field else f"events[{index}]"
        ) from None


def _strip_excluded(value: Any, patterns: Sequence[str]) -> Any:
    if isinstance(value, dict):
        return {
            key: drop_excluded_diffs(item, patterns)
            if key in ("diff", "patch") and isinstance(item, str)
            else _strip_excluded(item, patterns)
            for key, item in value.items()
        }
    if isinstance(value, list):
        return [_strip_excluded(item, patterns) for item in value]
    return value


def _content_hash(event: EventIn, payload_json: str) -> str:
    digest = hashlib.sha256()
    for part in (
        event.source,
        event.type,
        str(event.session_id),
        str(event.occurred_at),
        payload_json,
    ):
        digest.update(part.encode())
        digest.update(b"\x00")
    return digest.hexdigest()
