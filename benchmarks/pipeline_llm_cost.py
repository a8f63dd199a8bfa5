"""LLM calls and tokens per 100 events through the pipeline, measured against a stand-in
OpenAI-compatible server on 127.0.0.1 (no hosted model is needed to count calls).

The stand-in answers each Enrich chunk with one item quoting the chunk's first event (so the
item passes quote verification and names a file of the bench repository, which makes Deep
Enrich call the model too), and each Deep Enrich call with the item's facts. It reports usage
as the characters sent and received divided by 4, the usual rule of thumb for English text with
GPT-style tokenizers: the token figures are estimates; the call counts are exact.

Usage: python benchmarks/pipeline_llm_cost.py [--events 1000] [--json]
"""

from __future__ import annotations

import argparse
import json
import os
import re
import socket
import threading
import time
from typing import Any

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from lore.bench.pipeline import as_dict, report, run

_FIRST_EVENT = re.compile(r'<event id="(\d+)"[^>]*>\n[^:\n]+: ([^\n]{12,80})')


async def chat(request: Request) -> JSONResponse:
    body = await request.json()
    prompt = "".join(message["content"] for message in body["messages"])
    if "Code it refers to" in prompt:
        answer: dict[str, Any] = {"facts": ["The endpoint lists records with cursor pagination."]}
    else:
        answer = {"items": _one_item(prompt)}
    content = json.dumps(answer)
    usage = {"prompt_tokens": len(prompt) // 4, "completion_tokens": len(content) // 4}
    return JSONResponse(
        {
            "id": "stand-in",
            "object": "chat.completion",
            "model": body.get("model", "stand-in"),
            "choices": [
                {
                    "index": 0,
                    "message": {"role": "assistant", "content": content},
                    "finish_reason": "stop",
                }
            ],
            "usage": usage | {"total_tokens": sum(usage.values())},
        }
    )


def _one_item(prompt: str) -> list[dict[str, Any]]:
    match = _FIRST_EVENT.search(prompt)
    if match is None:
        return []
    quote = match[2].strip()
    return [
        {
            "type": "implementation",
            "title": quote[:60],
            "facts": [quote],
            "files": ["app/auth/service.py"],
            "confidence": 0.7,
            "evidence": [{"event_id": int(match[1]), "quote": quote}],
        }
    ]


def serve() -> str:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    app = Starlette(routes=[Route("/v1/chat/completions", chat, methods=["POST"])])
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    threading.Thread(target=server.run, daemon=True).start()
    while not server.started:
        time.sleep(0.01)
    return f"http://127.0.0.1:{port}/v1"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=1000)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    os.environ |= {
        "LORE_LLM_PROVIDER": "openai",
        "LORE_LLM_BASE_URL": serve(),
        "LORE_LLM_MODEL": "stand-in",
        "LORE_LLM_API_KEY": "none",
    }
    figures = run(events=args.events, use_llm=True, windows=False, runs=1)  # counts, not speed
    print(json.dumps(as_dict(figures), indent=2) if args.json else report(figures))


if __name__ == "__main__":
    main()
