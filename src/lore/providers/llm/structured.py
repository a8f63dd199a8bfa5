"""Reading a model's JSON reply into a pydantic value, and the one repair turn when it fails.

Local models often wrap JSON in a code fence or a sentence; that is tolerated. Anything that is
still not valid against the schema is an ``InvalidOutput`` naming what was wrong.
"""

from __future__ import annotations

import json
import re
from typing import Any, TypeVar

from pydantic import BaseModel
from pydantic import ValidationError as PydanticValidationError

T = TypeVar("T", bound=BaseModel)

_FENCE = re.compile(r"```(?:json)?\s*(.*?)```", re.DOTALL)


class InvalidOutput(Exception):
    """The reply did not parse or did not validate; the message says why, for the repair turn."""


def parse_reply(content: str, schema: type[T]) -> T:
    """The reply as a ``schema`` value, or ``InvalidOutput``."""
    text = _json_part(content)
    if not text:
        raise InvalidOutput("the reply was empty")
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InvalidOutput(f"the reply is not valid JSON ({exc.msg} at char {exc.pos})") from None
    try:
        return schema.model_validate(data)
    except PydanticValidationError as exc:
        raise InvalidOutput(_summary(exc)) from None


def repair_messages(
    messages: list[dict[str, Any]], bad_reply: str, problem: InvalidOutput, schema_name: str
) -> list[dict[str, Any]]:
    """The conversation plus the bad reply and a request to correct it."""
    return [
        *messages,
        {"role": "assistant", "content": bad_reply or "(empty reply)"},
        {
            "role": "user",
            "content": (
                f"That reply does not match the {schema_name} schema: {problem}. "
                "Reply again with only the corrected JSON object, no other text."
            ),
        },
    ]


def schema_instruction(name: str, json_schema: dict[str, Any]) -> str:
    """A system message asking for JSON, for servers that cannot enforce a schema themselves."""
    return (
        f"Reply with one JSON object ({name}) that matches this JSON schema, and nothing else:\n"
        + json.dumps(json_schema, separators=(",", ":"))
    )


def _json_part(content: str) -> str:
    text = content.strip()
    fenced = _FENCE.search(text)
    if fenced:
        return fenced.group(1).strip()
    start, end = text.find("{"), text.rfind("}")
    if start > 0 and end > start:
        return text[start : end + 1]
    return text


def _summary(exc: PydanticValidationError, limit: int = 5) -> str:
    problems = [
        f"{'.'.join(str(part) for part in error['loc']) or '(root)'}: {error['msg']}"
        for error in exc.errors()[:limit]
    ]
    more = exc.error_count() - limit
    return "; ".join(problems) + (f"; and {more} more" if more > 0 else "")
