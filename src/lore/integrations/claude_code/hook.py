"""``lore hook claude-code EVENT``: what Claude Code's hooks run. It reads the hook input (JSON on
stdin), prints context for the agent where the event allows it, and always exits 0 at once: a
hook must never break or stall the agent.

- SessionStart: prints the project brief (cached in a file; within the project's
  ``session_start_tokens``, saying what it cost and what it left out), and
  drains the spool in the background, which also refreshes the cached brief.
- UserPromptSubmit: spools the prompt; for prompts of ``MIN_PROMPT_CHARS`` or more, prints the
  most relevant memory items (at most ``ITEMS_CHARS``).
- PostToolUse / PostToolUseFailure: spools a step (tool, input and result summaries, error flag,
  files).
- Stop: drains in the background: the spooled events are stored through capture, in one
  capture session per Claude Code session, which auto-learn enriches as it grows.
- SessionEnd: spools a close marker and drains: the capture session is closed, and what is
  left of it is enriched at once.

The hot path (every tool call) imports only the standard library and appends one line to a file.
Everything that needs the store runs in lore's local service (``lore.service``), asked over a
Unix socket and started by the first hook that finds none; until it answers, a hook that must
print memory opens lore itself. ``LORE_HOOK_SYNC=1`` does everything in the hook process, with
no service (tests, debugging).
"""

from __future__ import annotations

import json
import os
import sys
import time
import tomllib
from pathlib import Path
from typing import IO, Any

from lore.integrations.claude_code import spool, steps
from lore.private import private_dir, private_file
from lore.service import lore_home

ITEMS_CHARS = 1000
MIN_PROMPT_CHARS = 30
EVENTS = (
    "SessionStart",
    "UserPromptSubmit",
    "PostToolUse",
    "PostToolUseFailure",
    "Stop",
    "SessionEnd",
)
PROJECT_FILE = ".lore.toml"


def main(event: str, stdin: IO[str] | None = None, stdout: IO[str] | None = None) -> int:
    """Handle one hook call; returns the exit code, which is always 0."""
    try:
        payload = json.loads((stdin or sys.stdin).read() or "{}")
        output = handle(event, payload if isinstance(payload, dict) else {})
        if output:
            (stdout or sys.stdout).write(output + "\n")
    except BaseException:  # whatever happens, the agent goes on
        _log_failure(event)
    return 0


def handle(event: str, payload: dict[str, Any]) -> str:
    """The text to print for ``event`` (often none)."""
    cwd = str(payload.get("cwd") or os.getcwd())
    project = project_name(Path(cwd))
    session = str(payload.get("session_id") or "unknown")
    if project is None or event not in EVENTS:
        return ""
    home = lore_home()
    record = {"project": project, "session": session, "cwd": cwd, "at": time.time()}
    if event in ("PostToolUse", "PostToolUseFailure"):
        spool.append(spool.spool_file(home, session), record | {"event": _step(event, payload)})
        return ""
    if event == "UserPromptSubmit":
        return _prompt(home, record, str(payload.get("prompt") or ""))
    if event == "SessionStart":
        brief = _brief(home, project, cwd)
        _drain_later(home, cwd)
        return brief
    if event == "SessionEnd":
        spool.append(spool.spool_file(home, session), record | {"close": True})
    _drain_later(home, cwd)
    return ""


def _step(event: str, payload: dict[str, Any]) -> dict[str, Any]:
    failure = event == "PostToolUseFailure"
    response = payload.get("error") if failure else payload.get("tool_response")
    return steps.step_event(
        str(payload.get("tool_name") or "unknown"),
        payload.get("tool_input"),
        response,
        tool_use_id=payload.get("tool_use_id"),
        cwd=payload.get("cwd"),
        error=True if failure else None,
        occurred_at=time.time(),
    )


def _prompt(home: Path, record: dict[str, Any], prompt: str) -> str:
    if not prompt.strip():
        return ""
    event = steps.prompt_event(record["session"], prompt, occurred_at=time.time())
    spool.append(spool.spool_file(home, record["session"]), record | {"event": event})
    if len(prompt.strip()) < MIN_PROMPT_CHARS:
        return ""
    request = record | {"op": "relevant", "prompt": prompt, "limit": ITEMS_CHARS}
    answer = _from_service(home, request)
    if answer is not None:
        return answer
    from lore.integrations.claude_code import context  # the store and recall: not hot-path

    return context.relevant_items(record["project"], prompt, Path(record["cwd"]), ITEMS_CHARS)


def _brief(home: Path, project: str, cwd: str) -> str:
    """The brief the last drain cached; on a first session, one computed now."""
    path = brief_path(home, project)
    if path.is_file():
        return path.read_text(encoding="utf-8")  # written within the project's budget
    answer = _from_service(home, {"op": "brief", "project": project, "cwd": cwd})
    if answer is not None:
        return answer
    from lore.integrations.claude_code import context

    return context.write_brief(project, Path(cwd), home)


def _from_service(home: Path, request: dict[str, Any]) -> str | None:
    """The local service's text; None when none runs (one is started for the next hooks)."""
    if _sync():
        return None
    from lore.service import client  # sockets: not on the tool-call path

    reply = client.ask(home, request)
    if reply is None:
        client.spawn(home, str(request["cwd"]))
        return None
    return str(reply.get("text") or "")


def brief_path(home: Path, project: str) -> Path:
    return home / "cache" / "brief" / f"{spool.UNSAFE.sub('_', project)}.md"


def project_name(cwd: Path) -> str | None:
    """The lore project of a folder: ``LORE_PROJECT``, else ``project`` of the nearest
    ``.lore.toml``. The same lookup as ``lore.config``, kept here because the hook must not
    import pydantic."""
    if os.environ.get("LORE_PROJECT"):
        return os.environ["LORE_PROJECT"]
    for folder in (cwd, *cwd.parents):
        candidate = folder / PROJECT_FILE
        if candidate.is_file():
            with candidate.open("rb") as handle:
                name = tomllib.load(handle).get("project")
            return str(name) if name else None
    return None


def _drain_later(home: Path, cwd: str) -> None:
    """Store the spool through capture: in the local service (started if none runs, draining
    as it starts), or now with LORE_HOOK_SYNC=1."""
    if _sync():
        from lore.integrations.claude_code import drain

        drain.run(home, Path(cwd))
        return
    from lore.service import client

    if client.ask(home, {"op": "drain", "cwd": cwd}) is None:
        client.spawn(home, cwd)


def _sync() -> bool:
    return os.environ.get("LORE_HOOK_SYNC") == "1"


def _log_failure(event: str) -> None:
    import traceback

    try:
        log = private_file(private_dir(lore_home() / "logs") / "hooks.log")
        with log.open("a", encoding="utf-8") as handle:
            handle.write(f"{time.strftime('%Y-%m-%dT%H:%M:%S')} {event}\n")
            handle.write(traceback.format_exc() + "\n")
    except OSError:
        pass
