"""Secrets planted on every path that stores text are found nowhere in the lore home afterwards:
not in the database (and its WAL), not in the hook spool, not in a job's record."""

from __future__ import annotations

import stat
from pathlib import Path

import httpx
import pytest

from lore import Lore
from lore.domain import Project
from lore.domain.graph import NodeDraft
from lore.errors import ValidationError
from lore.integrations.claude_code import spool
from lore.server import build_app
from tests.graph_seed import apply_items
from tests.servers import running

TOKEN = "sk-proj-PLANTEDsecret0123456789abcdefghij"
AWS = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYPLANTED01"
KEY_LINE = "b3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAABAAAAMwPLANTED"
PRIVATE_KEY = (
    "-----BEGIN OPENSSH PRIVATE KEY-----\n"
    + "\n".join([KEY_LINE] * 12)
    + "\n-----END OPENSSH PRIVATE KEY-----\n"
)


def home_holds(home: Path, needle: str) -> list[str]:
    """Files under the lore home whose bytes hold ``needle`` (the database and its WAL too)."""
    found = []
    for path in home.rglob("*"):
        if path.is_file() and needle.encode() in path.read_bytes():
            found.append(str(path.relative_to(home)))
    return found


def test_every_capture_path_stores_no_secret(lore: Lore, project: Project, lore_home: Path) -> None:
    # Session goals: the library, an episode, REST.
    sid = lore.start_session(f"deploy with {TOKEN}", project=project)
    lore.append(sid, f"export OPENAI_API_KEY={TOKEN}", f"curl -H 'Authorization: Bearer {TOKEN}'")
    with running(build_app(lore, token="t")) as url:
        started = httpx.post(
            f"{url}/api/v1/sessions",
            json={"goal": f"rotate {TOKEN}", "project": project.name},
            headers={"Authorization": "Bearer t"},
        )
        assert started.status_code == 201, started.text
    # Events: idempotency keys and payload keys, a command's secret option.
    lore.capture_event(
        "cli",
        "note",
        {"text": f"aws configure set aws_secret_access_key {AWS}", TOKEN: "as a key"},
        project=project,
        idempotency_key=f"note:{TOKEN}",
    )
    # The tail of `cat ~/.ssh/id_ed25519` as a hook sees it (the output's last 500 characters).
    tail = {"stdout": PRIVATE_KEY, "stderr": ""}
    from lore.integrations.claude_code.steps import step_event

    event = step_event(
        "Bash", {"command": "cat ~/.ssh/id_ed25519"}, tail, tool_use_id="t1", cwd="/"
    )
    assert "BEGIN" not in event["payload"]["result"]  # the summary starts inside the key
    lore.capture_events([event], project=project)
    # A person's edit of an item.
    [item] = apply_items(lore, project, [NodeDraft(ref="a", kind="semantic", title="x", body="y")])
    lore.edit_item(item, project=project, title=f"key {TOKEN}", body=f"password={TOKEN}")
    # The hook spool, before any drain.
    spool.append(spool.spool_file(lore_home, "s1"), {"event": {"payload": {"text": TOKEN}}})

    for needle in (TOKEN, AWS, KEY_LINE[-20:]):
        assert home_holds(lore_home, needle) == [], needle


def test_a_goal_of_a_document_is_refused(lore: Lore, project: Project) -> None:
    with pytest.raises(ValidationError, match="goal"):
        lore.start_session("x" * 20_001, project=project)


def test_the_home_and_the_files_lore_writes_are_its_owners_alone(tmp_path: Path) -> None:
    home = tmp_path / "old-home"
    home.mkdir(mode=0o755)  # as an older lore left it
    home.chmod(0o755)
    (home / "lore.db").touch(mode=0o644)
    (home / "lore.db").chmod(0o644)
    with Lore.open(home=home) as opened:
        project = opened.create_project("demo")
        opened.capture_event("cli", "note", {"text": "x"}, project=project)
        spool.append(spool.spool_file(home, "s1"), {"a": 1})
        modes = {
            path.relative_to(home).as_posix(): stat.S_IMODE(path.stat().st_mode)
            for path in [home, *home.rglob("*")]
        }
    assert modes["."] == 0o700
    for name in ("lore.db", "lore.db-wal", "lore.db-shm", "spool/claude-code/s1.jsonl"):
        assert modes[name] == 0o600, name
    assert modes["spool"] == modes["spool/claude-code"] == 0o700
