"""What the dashboard's browser tests and ``scripts/screenshots.py`` share: a real ``lore serve``
in a subprocess, Debian's Chromium through Playwright, and a project of real data (a small git
repository scanned and digested, saved sessions, agent steps).
"""

from __future__ import annotations

import contextlib
import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from lore import Lore
from lore.bench.serving import lore_serve_process
from lore.config import load_settings
from tests.fake_llm import FakeLLM, Reply, openai_error
from tests.gitrepo import GitRepo

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
PROJECT = "shop-api"


@dataclass
class Server:
    url: str
    token: str
    home: Path


@contextmanager
def lore_serve(home: Path, env: dict[str, str] | None = None) -> Iterator[Server]:
    """``lore serve`` on a free port of 127.0.0.1 with ``home`` as LORE_HOME, until the block
    ends. ``env`` adds settings (``LORE_LLM_BASE_URL``...)."""
    environment = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith("LORE_") or key == "LORE_HOME"
    }
    environment |= {"LORE_HOME": str(home), **(env or {})}
    with contextlib.ExitStack() as stack:
        log = stack.enter_context((home / "serve.log").open("ab")) if home.is_dir() else None
        url = stack.enter_context(lore_serve_process(environment, cwd=home.parent, log=log))
        yield Server(url=url, token=(home / "token").read_text().strip(), home=home)


def open_lore(home: Path) -> Lore:
    """The library on the server's home, as a second process would open it."""
    return Lore.open(settings=load_settings(overrides={"home": str(home)}))


@contextmanager
def chromium() -> Iterator[Any]:
    """Debian's Chromium driven by Playwright (never a downloaded browser)."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


def sign_in(page: Any, server: Server) -> None:
    """Through the login page, as a person would."""
    page.goto(server.url + "/")
    page.get_by_label("Token").fill(server.token)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(lambda url: "/login" not in url)


class FlakyLLM(FakeLLM):
    """A hosted model that refuses every request (HTTP 400) until ``failing`` is turned off;
    then it answers like the fake server does (plain text, so enrichment falls back to the
    rules after its repair attempts, with the calls and tokens accounted)."""

    failing = True

    def refusal(self) -> Reply:
        return openai_error(400, "the model fake-model is not available to this key")

    async def _handle(self, request: Any) -> Any:
        if self.failing:
            self.queue(self.refusal())
        return await super()._handle(request)


def llm_env(fake: FakeLLM) -> dict[str, str]:
    """Settings pointing lore's LLM at a fake server, without retries."""
    return {
        "LORE_LLM_PROVIDER": "openai",
        "LORE_LLM_BASE_URL": fake.openai_url,
        "LORE_LLM_MODEL": "fake-model",
        "LORE_LLM_API_KEY": "test-key",
        "LORE_LLM__MAX_RETRIES": "0",
    }


# Real data


def service_repo(root: Path) -> GitRepo:
    """A small FastAPI service with a history worth remembering."""
    repo = GitRepo(root)
    repo.commit(
        "feat: orders API with FastAPI and SQLite",
        {
            "pyproject.toml": _PYPROJECT,
            "README.md": "# shop-api\n\nThe orders and payments API of the shop.\n",
            "src/shop/api.py": _API,
            "src/shop/models.py": _MODELS,
            "tests/test_api.py": "def test_health():\n    assert True\n",
        },
    )
    repo.commit(
        "Switch auth to RS256 JWTs instead of server sessions\n\n"
        "The mobile client verifies tokens offline, so sessions in Redis had to go.",
        {"src/shop/auth.py": _AUTH},
    )
    repo.commit(
        "fix: token refresh race when two requests renew at once",
        {"src/shop/auth.py": _AUTH + "\n# refresh under a lock\n"},
    )
    return repo


def seed(lore: Lore, repo: GitRepo) -> dict[str, int]:
    """The project's capture from every kind of source; returns session ids by source."""
    created = lore.create_project(PROJECT, repo=str(repo.root))
    project = lore.update_project(created, auto_learn=False)  # memory is made by clicking
    lore.scan(repo.root, project=project)
    lore.digest(repo.root, project=project)
    lore.capture_event("cli", "session_save", _SAVE, project=project)
    lore.capture_event("mcp", "session_save", _AGENT_SAVE, project=project)
    lore.capture_events(_STEPS, project=project)
    lore.capture_event("vscode", "remember", _REMEMBER, project=project)
    return {session.source: session.id for session in lore.sessions(project, limit=50)}


def change_auth_later(lore: Lore, repo: GitRepo) -> None:
    """A commit that touches the auth items' file after they were recorded, digested: the next
    enrichment's Drift Check sends those items to review."""
    time.sleep(1.1)  # git times have whole seconds: the commit must be later than the items
    repo.commit("Rotate the JWT signing keys every 30 days", {"src/shop/auth.py": _ROTATED_AUTH})
    lore.digest(repo.root, project=PROJECT)


def enrich(server: Server, session_id: int) -> None:
    """Generate Memory through the REST API (the server's worker runs the job)."""
    headers = {"authorization": f"Bearer {server.token}"}
    response = httpx.post(
        f"{server.url}/api/v1/sessions/{session_id}/enrich",
        headers=headers,
        params={"project": PROJECT},
    )
    response.raise_for_status()


def wait_for_job(lore: Lore, session_id: int, timeout_s: float = 60.0) -> Any:
    """The session's latest job once it has ended."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        jobs = lore.store.jobs.find(session_id=session_id, limit=1)
        if jobs and jobs[0].finished and lore.session(session_id).state.value != "extracting":
            return jobs[0]
        time.sleep(0.2)
    raise TimeoutError(f"no job of session {session_id} ended within {timeout_s} s")


_PYPROJECT = """[project]
name = "shop-api"
version = "0.3.0"
requires-python = ">=3.11"
dependencies = ["fastapi>=0.110", "pydantic>=2", "pyjwt>=2.8", "uvicorn>=0.29"]

[project.optional-dependencies]
dev = ["pytest>=8", "ruff>=0.4"]
"""

_API = """from fastapi import FastAPI

from shop.models import Order

app = FastAPI()


@app.get("/orders/{order_id}")
def get_order(order_id: int) -> Order:
    return Order(id=order_id, total_cents=0)


@app.post("/orders")
def create_order(order: Order) -> Order:
    return order
"""

_MODELS = """from pydantic import BaseModel


class Order(BaseModel):
    id: int
    total_cents: int
    currency: str = "EUR"
"""

_AUTH = """import jwt


def verify(token: str, public_key: str) -> dict:
    return jwt.decode(token, public_key, algorithms=["RS256"])
"""

_ROTATED_AUTH = _AUTH + "\nROTATE_AFTER_DAYS = 30\n"

_SAVE = {
    "summary": (
        "Moved order totals to integer cents so rounding errors stop showing up in invoices. "
        "Added a currency field to orders."
    ),
    "decisions": [
        {
            "title": "Store money as integer cents, never floats",
            "rationale": "floats lost a cent on some invoice totals",
        }
    ],
    "conventions": ["API errors are returned as problem+json with a stable code field"],
    "bugs": ["Invoice totals were off by one cent for orders with three or more items"],
    "todos": ["Backfill total_cents for orders created before the migration"],
    "files": ["src/shop/models.py", "src/shop/api.py"],
}

_AGENT_SAVE = {
    "summary": "Added pagination to GET /orders with a cursor instead of page numbers.",
    "decisions": ["Cursor pagination instead of offsets, because offsets skip rows under writes"],
    "files": ["src/shop/api.py"],
}

_REMEMBER = {
    "text": "Run the API locally with uvicorn shop.api:app --reload",
    "kind": "convention",
}


def _step(payload: dict[str, Any]) -> dict[str, Any]:
    return {"source": "claude-code", "type": "step", "payload": payload}


_STEPS: list[dict[str, Any]] = [
    {
        "source": "claude-code",
        "type": "user_prompt",
        "payload": {"text": "Fix the failing test. We use pytest fixtures, not unittest classes."},
    },
    _step(
        {
            "command": "pytest tests/test_api.py",
            "exit_code": 1,
            "output": "ModuleNotFoundError: No module named 'shop'\n1 failed",
        }
    ),
    _step({"tool": "Edit", "files": ["pyproject.toml"], "summary": "Set pythonpath = src"}),
    _step({"command": "pytest tests/test_api.py", "exit_code": 0, "output": "1 passed in 0.02s"}),
]
