"""Screenshots of every dashboard page, for docs/ and the README.

    .venv/bin/python scripts/screenshots.py [--out docs/screenshots]

It builds a project of real data in a temporary lore home (the small git repository, saved
sessions, agent steps and a note the browser tests use), makes its memory with the offline
pipeline, serves it with ``lore serve`` and drives Debian's Chromium through Playwright. A
second home, with a fake hosted model that refuses and then answers slowly, shows a failed job
and a running one. Nothing is downloaded.
"""

from __future__ import annotations

import argparse
import dataclasses
import sys
import tempfile
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.e2e.dashboard_support import (  # noqa: E402  (the repository root is on the path now)
    PROJECT,
    FlakyLLM,
    Server,
    change_auth_later,
    chromium,
    enrich,
    llm_env,
    lore_serve,
    open_lore,
    seed,
    service_repo,
    sign_in,
    wait_for_job,
)
from tests.fake_llm import openai_chat  # noqa: E402
from tests.servers import running  # noqa: E402

WIDTH, HEIGHT, MAX_HEIGHT = 1280, 860, 1700
LIVE_MS = 60_000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "screenshots")
    out = parser.parse_args().out
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="lore-screenshots-") as tmp, chromium() as browser:
        memory_pages(browser, Path(tmp), out)
        pipeline_pages(browser, Path(tmp), out)
    for path in sorted(out.glob("*.png")):
        print(path.relative_to(ROOT) if path.is_relative_to(ROOT) else path)


def memory_pages(browser: Any, tmp: Path, out: Path) -> None:
    home = tmp / "home"
    home.mkdir()
    repo = service_repo(tmp / "repo")
    with open_lore(home) as lore:
        sessions = seed(lore, repo)
    with lore_serve(home) as server, open_lore(home) as lore:
        for source in ("scan", "git", "mcp", "claude-code", "vscode"):
            enrich(server, sessions[source])
            wait_for_job(lore, sessions[source])
        change_auth_later(lore, repo)
        enrich(server, sessions["git"])
        wait_for_job(lore, sessions["git"])
        page = _page(browser)
        page.goto(server.url + "/")
        shoot(page, out / "login.png")
        sign_in(page, server)
        shoot(page, out / "sessions.png")
        _session(page, server, sessions["cli"], out)
        page.goto(f"{server.url}/projects/{PROJECT}/brain")
        shoot(page, out / "brain.png")
        page.goto(f"{server.url}/projects/{PROJECT}/review")
        shoot(page, out / "review.png")
        page.locator(".item h3 a").first.click()
        shoot(page, out / "item.png")
        page.goto(f"{server.url}/projects/{PROJECT}/activity")
        shoot(page, out / "activity.png")
        page.goto(f"{server.url}/projects")
        shoot(page, out / "projects.png")
        page.goto(f"{server.url}/projects/{PROJECT}/settings")
        page.get_by_label("Auto-approve confidence").fill("1.5")
        page.get_by_role("button", name="Save settings").click()
        shoot(page, out / "settings-validation.png")
        page.goto(f"{server.url}/operations")
        shoot(page, out / "operations.png")
        page.context.close()


def _session(page: Any, server: Server, session_id: int, out: Path) -> None:
    page.goto(f"{server.url}/sessions/{session_id}")
    page.get_by_role("button", name="Close session").click()
    page.get_by_role("button", name="Generate Memory").click()
    page.locator('[data-stage="drift"][data-status="completed"]').wait_for(timeout=LIVE_MS)
    page.locator(".event summary").first.click()
    shoot(page, out / "session.png")
    page.get_by_role("link", name="Jobs").click()
    shoot(page, out / "session-jobs.png")


def pipeline_pages(browser: Any, tmp: Path, out: Path) -> None:
    """A job that fails at Enrich (the model refuses), then its retry while Enrich runs."""
    home = tmp / "flaky-home"
    home.mkdir()
    with open_lore(home) as lore:
        project = lore.create_project("payments")
        lore.update_project(project, auto_learn=False)  # the session waits for Generate Memory
        lore.capture_event(
            "claude-code",
            "session_save",
            {
                "summary": "Webhooks from the payment provider are verified with HMAC-SHA256.",
                "decisions": ["Reject webhooks older than five minutes to stop replays"],
            },
            project=project,
        )
        session_id = lore.sessions(project)[0].id
        lore.close(session_id)
    fake = FlakyLLM()
    with running(fake.app()) as url:
        fake.url = url
        with lore_serve(home, llm_env(fake)) as server:
            page = _page(browser)
            sign_in(page, server)
            page.goto(f"{server.url}/sessions/{session_id}")
            page.get_by_role("button", name="Generate Memory").click()
            page.locator('[data-stage="enrich"][data-status="failed"]').wait_for(timeout=LIVE_MS)
            page.get_by_role("link", name="Jobs").click()
            page.locator(".job details summary").first.click()
            shoot(page, out / "session-failed.png")
            fake.failing = False
            fake.queue(*[dataclasses.replace(openai_chat("{}"), delay_s=4.0)] * 3)
            page.get_by_role("button", name="Retry from the failed stage").click()
            page.locator('[data-stage="enrich"][data-status="active"]').wait_for(timeout=LIVE_MS)
            shoot(page, out / "session-running.png")
            page.locator('[data-stage="drift"][data-status="completed"]').wait_for(timeout=LIVE_MS)
            page.context.close()


def _page(browser: Any) -> Any:
    page = browser.new_context(viewport={"width": WIDTH, "height": HEIGHT}).new_page()
    page.set_default_timeout(20_000)
    return page


def shoot(page: Any, path: Path) -> None:
    """The page from its top, as tall as its content up to MAX_HEIGHT."""
    page.wait_for_load_state("networkidle")
    height = min(int(page.evaluate("document.documentElement.scrollHeight")), MAX_HEIGHT)
    page.screenshot(
        path=str(path), full_page=True, clip={"x": 0, "y": 0, "width": WIDTH, "height": height}
    )


if __name__ == "__main__":
    main()
