"""Claude Code tool calls and prompts as lore events, built the same way from hook input and from
transcript records, so an event captured by a hook and later imported from the transcript has the
same idempotency key and is stored once.

Standard library only: the hook imports this on its hot path.
"""

from __future__ import annotations

import hashlib
import json
import os
from typing import Any

SOURCE = "claude-code"
STEP = "step"
PROMPT = "user_request"
MESSAGE = "agent_message"
INPUT_CHARS = 300
RESULT_CHARS = 500
TEXT_CHARS = 2000

# Tools whose input names a file they change, and the input key that holds it.
EDITING_TOOLS = {
    "Edit": "file_path",
    "MultiEdit": "file_path",
    "Write": "file_path",
    "NotebookEdit": "notebook_path",
}
READING_TOOLS = {"Read": "file_path", "NotebookRead": "notebook_path"}


def step_event(
    tool: str,
    tool_input: Any,
    tool_response: Any,
    *,
    tool_use_id: str | None,
    cwd: str | None,
    error: bool | None = None,
    occurred_at: float | None = None,
) -> dict[str, Any]:
    """One tool call as an event (``EventIn`` fields): tool, input and result summaries, error
    flag, files edited or read, and the command run."""
    given = tool_input if isinstance(tool_input, dict) else {}
    payload: dict[str, Any] = {
        "tool": tool,
        "input": summarize_input(tool, given, cwd),
        "result": summarize_result(tool, tool_response),
        "error": failed(tool_response) if error is None else error,
    }
    edited = _path_of(given, EDITING_TOOLS.get(tool), cwd)
    read = _path_of(given, READING_TOOLS.get(tool), cwd)
    if edited:
        payload["files"] = [edited]
    if read:
        payload["files_read"] = [read]
    if tool == "Bash" and given.get("command"):
        payload["command"] = _clip(str(given["command"]), INPUT_CHARS)
    key = f"{SOURCE}:tool:{tool_use_id}" if tool_use_id else None
    return _event(STEP, payload, key, occurred_at)


def prompt_event(
    session_id: str, prompt: str, *, occurred_at: float | None = None
) -> dict[str, Any]:
    """A user's request. The key hashes the text, since hook input carries no message id."""
    digest = hashlib.sha256(prompt.strip().encode()).hexdigest()[:20]
    payload = {"text": _clip(prompt.strip(), TEXT_CHARS), "claude_session": session_id}
    return _event(PROMPT, payload, f"{SOURCE}:prompt:{session_id}:{digest}", occurred_at)


def message_event(uuid: str, text: str, *, occurred_at: float | None = None) -> dict[str, Any]:
    """What the agent said between tool calls (its plan, explanations, conclusions)."""
    payload = {"text": _clip(text.strip(), TEXT_CHARS)}
    return _event(MESSAGE, payload, f"{SOURCE}:msg:{uuid}", occurred_at)


def summarize_input(tool: str, given: dict[str, Any], cwd: str | None = None) -> str:
    """The part of a tool's input a reader needs: the command, path, pattern or query."""
    for key in ("command", "file_path", "notebook_path", "pattern", "url", "query", "description"):
        if given.get(key):
            text = str(given[key])
            if key.endswith("_path"):
                text = _relative(text, cwd)
            if key == "pattern" and given.get("path"):
                text += f" in {given['path']}"
            return _clip(text, INPUT_CHARS)
    if tool == "TodoWrite" and isinstance(given.get("todos"), list):
        return f"{len(given['todos'])} todos"
    return _clip(json.dumps(given, ensure_ascii=False, sort_keys=True), INPUT_CHARS)


def summarize_result(tool: str, response: Any) -> str:
    """A short account of what the tool returned (output tails, the file written, an error)."""
    if isinstance(response, str):
        return _clip(response, RESULT_CHARS)
    if isinstance(response, list):
        return _clip(_text_of_blocks(response), RESULT_CHARS)
    if not isinstance(response, dict):
        return "" if response is None else _clip(str(response), RESULT_CHARS)
    if "stdout" in response or "stderr" in response:
        out = str(response.get("stdout") or "").rstrip()
        err = str(response.get("stderr") or "").strip()
        text = out[-RESULT_CHARS:] + (f"\nstderr: {err[-RESULT_CHARS // 2 :]}" if err else "")
        return _clip(text.strip(), RESULT_CHARS)
    if response.get("filePath"):
        kind = response.get("type") or ("edit" if "oldString" in response else "write")
        return f"{kind} {response['filePath']}"
    if isinstance(response.get("file"), dict):
        file = response["file"]
        return f"read {file.get('filePath', '')} ({file.get('numLines', '?')} lines)"
    for key in ("error", "message", "content", "result"):
        if response.get(key):
            value = response[key]
            text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
            return _clip(text, RESULT_CHARS)
    return _clip(json.dumps(response, ensure_ascii=False, sort_keys=True), RESULT_CHARS)


def failed(response: Any) -> bool:
    """Whether a tool's response reports a failure."""
    if not isinstance(response, dict):
        return False
    return bool(
        response.get("is_error")
        or response.get("error")
        or response.get("interrupted")
        or response.get("success") is False
    )


def _event(
    type_: str, payload: dict[str, Any], key: str | None, occurred_at: float | None
) -> dict[str, Any]:
    event: dict[str, Any] = {"source": SOURCE, "type": type_, "payload": payload}
    if key:
        event["idempotency_key"] = key[:200]
    if occurred_at is not None:
        event["occurred_at"] = occurred_at
    return event


def _path_of(given: dict[str, Any], key: str | None, cwd: str | None) -> str | None:
    """The file a tool touched."""
    if key is None or not given.get(key):
        return None
    return _relative(str(given[key]), cwd)


def _relative(path: str, cwd: str | None) -> str:
    """``path`` relative to the session's folder when inside it."""
    if cwd and os.path.isabs(path):
        relative = os.path.relpath(path, cwd)
        if not relative.startswith(".."):
            return relative
    return path


def _text_of_blocks(blocks: list[Any]) -> str:
    parts = [str(block.get("text", "")) for block in blocks if isinstance(block, dict)]
    return "\n".join(part for part in parts if part)


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"
