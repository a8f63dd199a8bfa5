"""The Deep Enrich call: an item and the code it names in, the item's facts rewritten with the
implementation details (routes, schemas, signatures) out. One call per item that names files
with something to say; the code model (``llm.code_model``) answers when one is configured."""

from __future__ import annotations

import json
from typing import Any

from pydantic import BaseModel, Field

PROMPT_VERSION = "deep_enrich/1"
LLM_STEP = "deep_enrich"


class RewrittenFacts(BaseModel):
    facts: list[str] = Field(
        description="the item's facts, rewritten to name the exact routes, schemas, fields and"
        " functions involved; nothing the item or the code does not say"
    )


SYSTEM = """You improve one memory item about a code base with details from its code. You get
the item (title and facts) and what the files it names contain: HTTP routes, schemas with their
fields, and function signatures. Rewrite the facts so that they name the exact routes, schema
fields, functions and files involved. Keep every fact the item states; add no claim that neither
the item nor the code supports; keep each fact short and self-contained."""


def messages(title: str, facts: list[str], code: list[dict[str, Any]]) -> list[dict[str, str]]:
    item = json.dumps({"title": title, "facts": facts}, ensure_ascii=False)
    details = json.dumps(code, ensure_ascii=False)[:6000]
    return [
        {"role": "system", "content": SYSTEM},
        {"role": "user", "content": f"Item:\n{item}\n\nCode it refers to:\n{details}"},
    ]
