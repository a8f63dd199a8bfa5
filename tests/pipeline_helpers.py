"""What the pipeline's tests share: a small real web-shop repository with a history worth
remembering, events built the way capture builds them, and item lookups."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from lore import Lore
from lore.domain import Event
from lore.domain.graph import Node
from lore.domain.jobs import Job
from lore.store.base import ItemFilter
from tests.gitrepo import GitRepo

PYPROJECT = """[project]
name = "shop"
version = "0.1.0"
requires-python = ">=3.11"
dependencies = ["fastapi>=0.110", "sqlalchemy>=2.0", "httpx>=0.27"]

[project.optional-dependencies]
dev = ["pytest>=8", "ruff>=0.4"]
"""
MAKEFILE = "test:\n\tpytest -q\nlint:\n\truff check .\nrun:\n\tuvicorn app.main:app --reload\n"
README = "# shop\n\nA small web shop API: users and orders, served by FastAPI over SQLite.\n\n## Running\n"
USERS = '''from fastapi import APIRouter
from pydantic import BaseModel

router = APIRouter()


class UserIn(BaseModel):
    email: str
    name: str | None = None


@router.get("/users/{user_id}")
def get_user(user_id: int) -> dict:
    """Fetch one user."""
    return {"id": user_id}


@router.post("/users")
def create_user(body: UserIn) -> dict:
    return {"email": body.email}
'''
MODELS = """from sqlalchemy import Column, Integer, String
from sqlalchemy.orm import DeclarativeBase


class Base(DeclarativeBase):
    pass


class User(Base):
    __tablename__ = "users"
    id = Column(Integer, primary_key=True)
    email = Column(String(200), unique=True)
"""
FIX_BODY = (
    "Emails up to 320 characters were cut at 200, so sign-up failed for long\n"
    "addresses. Widen the column and index it because lookups by email are hot."
)
SWITCH_BODY = (
    "Blocking requests calls stalled the event loop under load, so the payment\n"
    "client now uses httpx.AsyncClient with a 10 s timeout."
)


def shop_repo(root: Path) -> GitRepo:
    """A FastAPI shop with four commits: the start, a feature, a fix and a decision."""
    repo = GitRepo(root)
    repo.commit(
        "Initial shop API: users endpoints and SQLAlchemy models",
        {
            "pyproject.toml": PYPROJECT,
            "Makefile": MAKEFILE,
            "README.md": README,
            "app/__init__.py": "",
            "app/api/__init__.py": "",
            "app/api/users.py": USERS,
            "app/models.py": MODELS,
            "tests/test_users.py": "def test_users():\n    assert True\n",
        },
    )
    repo.commit(
        "feat(users): delete endpoint for users",
        {
            "app/api/users.py": USERS
            + '\n\n@router.delete("/users/{user_id}")\ndef delete_user(user_id: int) -> dict:\n    return {}\n'
        },
    )
    repo.commit(
        f"fix(models): email column too short for RFC 5321 addresses\n\n{FIX_BODY}",
        {"app/models.py": MODELS.replace("String(200)", "String(320)")},
    )
    repo.commit(
        f"Switch payments from requests to httpx async client\n\n{SWITCH_BODY}",
        {
            "app/payments.py": "import httpx\n\n\nasync def charge(amount_cents: int) -> bool:\n    return True\n"
        },
    )
    return repo


def event(event_id: int, type_: str, payload: dict[str, Any], source: str = "cli") -> Event:
    """An event as the store returns it (for rules that read events without a store)."""
    return Event(
        id=event_id,
        project_id=1,
        session_id=1,
        episode_id=None,
        source=source,
        type=type_,
        payload=payload,
        content_hash=f"hash-{event_id}",
        idempotency_key=None,
        created_at=0.0,
        occurred_at=None,
        enriched_job_id=None,
    )


def items(lore: Lore, project: str = "demo", **where: Any) -> list[Node]:
    return lore.store.graph.items(lore.project(project).id, ItemFilter(**where), limit=500)


def item_titled(lore: Lore, title: str, project: str = "demo") -> Node:
    found = [node for node in items(lore, project) if node.title == title]
    assert found, f"no item titled {title!r}: {[n.title for n in items(lore, project)]}"
    return found[0]


def enrich_now(lore: Lore, session_id: int) -> Job:
    """Queue the session's job and run it in this thread, to its end."""
    job = lore.enrich(session_id)
    worker = lore.pipeline.worker("test")
    while not lore.job(job.id).finished:
        assert worker.run_once() is not None, f"job {job.id} is not due: {lore.job(job.id)}"
    return lore.job(job.id)
