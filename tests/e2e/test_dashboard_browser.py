"""The dashboard in a real browser (Debian's Chromium through Playwright) against a real
``lore serve`` on a project of real data: a git repository scanned and digested, saved sessions
from the CLI and MCP, agent steps, a note from VS Code."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from lore.domain.jobs import JobStatus
from tests.e2e.dashboard_support import (
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
from tests.servers import running

pytestmark = [pytest.mark.browser, pytest.mark.slow]

LIVE_TIMEOUT_MS = 60_000


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Server, dict[str, int]]]:
    """A served project whose agent, git and scan sessions are already enriched (and a later
    commit sent some items to review); the CLI session waits for Generate Memory."""
    base = tmp_path_factory.mktemp("dashboard")
    home = base / "home"
    home.mkdir()
    repo = service_repo(base / "repo")
    with open_lore(home) as lore:
        sessions = seed(lore, repo)
    with lore_serve(home) as server, open_lore(home) as lore:
        for source in ("scan", "git", "mcp", "claude-code", "vscode"):
            enrich(server, sessions[source])
            wait_for_job(lore, sessions[source])
        change_auth_later(lore, repo)
        enrich(server, sessions["git"])
        wait_for_job(lore, sessions["git"])
        yield server, sessions


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with chromium() as opened:
        yield opened


@pytest.fixture
def page(browser: Any, site: tuple[Server, dict[str, int]]) -> Iterator[Any]:
    """A signed-in page (the cookie the login page sets) in a fresh browser context."""
    server, _ = site
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    signed = context.request.post(server.url + "/login", form={"token": server.token})
    assert signed.ok  # the context keeps the sign-in's cookie
    opened = context.new_page()
    opened.set_default_timeout(15_000)
    yield opened
    context.close()


def test_the_login_page_takes_the_token_and_sign_out_drops_it(browser: Any, site: Any) -> None:
    server, _ = site
    page = browser.new_page()
    page.goto(server.url + "/projects")
    expect(page).to_have_url(re.compile(r"/login\?next=/projects$"))
    page.get_by_label("Token").fill("not-the-token")
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("alert")).to_contain_text("That token is not right")
    page.get_by_label("Token").fill(server.token)
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(server.url + "/projects")
    expect(page.get_by_role("heading", name="Projects")).to_be_visible()
    page.get_by_role("button", name="Sign out").click()
    expect(page).to_have_url(server.url + "/login")
    page.goto(server.url + "/operations")
    expect(page).to_have_url(re.compile(r"/login\?next=/operations$"))
    page.close()


def test_sessions_tab_shows_every_source_and_filters_in_place(page: Any, site: Any) -> None:
    server, sessions = site
    page.goto(f"{server.url}/projects/{PROJECT}/sessions")
    cards = page.locator(".session-card")
    expect(cards).to_have_count(len(sessions))
    for label in ("MCP", "CLI", "VS Code", "Scan", "Git", "Claude Code"):
        expect(cards.locator(".source", has_text=label).first).to_be_visible()
    newest_first = [int(t.split()[1].rstrip(":")) for t in cards.locator("h2").all_inner_texts()]
    assert newest_first == sorted(newest_first, reverse=True)
    page.evaluate("window.notReloaded = true")

    page.get_by_label("Source").select_option(label="Git")
    expect(cards).to_have_count(1)
    expect(cards.first).to_contain_text("Git")
    expect(cards.first.locator(".badge")).to_have_text("active")  # still capturing commits
    expect(page).to_have_url(re.compile(r"source=git"))
    statuses = page.get_by_label("Status").locator("option").all_inner_texts()
    assert "active" in statuses and "failed" not in statuses  # what the sessions have only
    page.get_by_label("Status").select_option("active")
    expect(cards).to_have_count(1)
    search = page.get_by_label("Search sessions and their events")
    search.fill("words no event holds")
    search.press("Enter")
    expect(page.locator(".empty")).to_contain_text("No sessions match")
    assert page.evaluate("window.notReloaded") is True


def test_generate_memory_runs_the_pipeline_with_live_progress(page: Any, site: Any) -> None:
    server, sessions = site
    page.goto(f"{server.url}/sessions/{sessions['cli']}")
    event = page.locator(".event").first
    event.locator("summary").click()
    expect(event.locator(".payload")).to_contain_text("Store money as integer cents")
    stages = page.locator(".stage")
    expect(stages).to_have_count(5)
    assert stages.all_inner_texts()[0].startswith("1. Enrich")
    assert "5. Drift Check" in stages.all_inner_texts()[4]
    page.evaluate("window.notReloaded = true")

    page.get_by_role("button", name="Close session").click()
    expect(page.locator("#session-live .badge").first).to_have_text("completed")
    page.get_by_role("button", name="Generate Memory").click()
    for stage in ("enrich", "deep_enrich", "embed", "dedup", "drift"):
        expect(page.locator(f'[data-stage="{stage}"]')).to_have_attribute(
            "data-status", "completed", timeout=LIVE_TIMEOUT_MS
        )
    expect(page.get_by_test_id("items-extracted")).not_to_have_text("0")
    expect(page.locator("#session-live .badge").first).to_have_text("completed · enriched")
    assert page.evaluate("window.notReloaded") is True  # progress came in without a reload

    page.get_by_role("link", name=re.compile("^Jobs")).click()
    job = page.locator(".job").first
    expect(job.locator(".job-head .badge")).to_have_text("completed")
    expect(job.locator("tbody tr")).to_have_count(5)
    expect(job.locator("tbody tr").first).to_contain_text("Enrich")


def test_approve_search_tree_and_bulk_actions_in_the_brain(page: Any, site: Any) -> None:
    server, _ = site
    page.goto(f"{server.url}/projects/{PROJECT}/brain")
    item = page.locator(".item", has_text="Cursor pagination")
    expect(item.get_by_test_id("item-status")).to_have_text("draft")
    expect(item.locator(".badge", has_text="confidence")).to_have_text(
        re.compile(r"^(high|moderate|lower|low) confidence · \d\.\d\d$")
    )
    item.get_by_role("button", name=re.compile("^Approve")).click()
    expect(item.get_by_test_id("item-status")).to_have_text("approved")
    item_id = int(item.get_attribute("id").removeprefix("item-"))
    # The Approve button is gone with the swap; focus stays on the card, not the page's body.
    focused = f"document.activeElement.closest('#item-{item_id}') !== null"
    page.wait_for_function(focused)
    with open_lore(server.home) as lore:
        assert lore.store.graph.get(item_id).status == "approved"

    page.get_by_label("Search memory").fill("cursor pagination offsets")
    page.get_by_label("Search memory").press("Enter")
    expect(page.locator(".count")).to_contain_text("for “cursor pagination offsets”")
    expect(page.locator(".item h3").first).to_contain_text("Cursor pagination")

    page.goto(f"{server.url}/projects/{PROJECT}/brain")
    tree = page.get_by_role("navigation", name="Schema keys")
    tree.get_by_role("link", name=re.compile(r"^auth")).click()
    expect(page).to_have_url(re.compile(r"key=root%2F.*auth"))
    keys = page.locator(".item .schema-key").all_inner_texts()
    assert keys and all(key.endswith("/auth") for key in keys)

    page.get_by_role("link", name="All keys").click()
    page.get_by_label("Type").select_option("implementation")
    expect(page).to_have_url(re.compile(r"type=implementation"))
    boxes = page.locator('.item input[name="ids"]')
    chosen = [int(boxes.nth(i).get_attribute("value")) for i in range(2)]
    for index in range(2):
        boxes.nth(index).check()
    page.get_by_label("Action for the selected items").select_option("archive")
    page.get_by_role("button", name="Apply to selected").click()
    expect(page.locator(f"#item-{chosen[0]}").get_by_test_id("item-status")).to_have_text(
        "archived"
    )
    with open_lore(server.home) as lore:
        assert [lore.store.graph.get(i).status for i in chosen] == ["archived", "archived"]


def test_review_tab_shows_drift_and_supersede_replaces_the_item(page: Any, site: Any) -> None:
    server, _ = site
    page.goto(f"{server.url}/projects/{PROJECT}/review")
    flagged = page.locator(".item", has_text="Switch auth to RS256")
    expect(flagged.locator(".reason")).to_contain_text("changed in")
    expect(flagged.locator(".reason")).to_contain_text("Rotate the JWT signing keys")
    old_id = int(flagged.get_attribute("id").removeprefix("item-"))

    flagged.get_by_role("link", name=re.compile("^Supersede")).click()
    page.get_by_label("Title").fill("Auth uses RS256 JWTs with keys rotated every 30 days")
    page.get_by_role("button", name="Supersede with this").click()
    expect(page.locator(".item h3")).to_contain_text("keys rotated every 30 days")
    expect(page.locator("#evidence-heading ~ .events .event")).not_to_have_count(0)

    page.goto(f"{server.url}/items/{old_id}")
    expect(page.locator(".alert.info")).to_contain_text("superseded by")
    expect(page.locator("#history-heading ~ .events")).to_contain_text("drift check")
    expect(page.locator("#history-heading ~ .events")).to_contain_text("superseded")


def test_item_page_shows_evidence_and_edit_checks_its_fields(page: Any, site: Any) -> None:
    server, sessions = site
    page.goto(f"{server.url}/projects/{PROJECT}/brain?q=run+the+api+locally+uvicorn")
    page.locator(".item h3 a", has_text="uvicorn").first.click()
    evidence = page.locator("#evidence-heading ~ .events .event").first
    expect(evidence).to_contain_text("VS Code")
    expect(evidence.get_by_role("link")).to_have_attribute(
        "href", re.compile(rf"/sessions/{sessions['vscode']}#event-\d+")
    )
    evidence.locator("summary").press("Enter")  # details open from the keyboard
    expect(evidence.locator(".payload")).to_contain_text("uvicorn shop.api:app")

    page.get_by_role("link", name=re.compile("^Edit")).click()
    page.get_by_label("Schema key").fill("Not A Key")
    page.get_by_label("Confidence").fill("2")
    page.get_by_role("button", name="Save item").click()
    summary = page.get_by_role("alert")
    expect(summary).to_contain_text("Confidence must be a number from 0 to 1")
    expect(summary).to_contain_text("Schema key must be a path under root")
    expect(page.get_by_label("Schema key")).to_have_attribute("aria-invalid", "true")
    page.get_by_label("Title").fill("Run the API locally with uvicorn --reload")
    page.get_by_label("Schema key").fill("root/dev")
    page.get_by_label("Confidence").fill("0.95")
    page.get_by_role("button", name="Save item").click()
    expect(page.locator(".item h3")).to_have_text("Run the API locally with uvicorn --reload")
    expect(page.locator(".item .schema-key")).to_have_text("root/dev")


def test_settings_show_validation_errors_then_save(page: Any, site: Any) -> None:
    server, _ = site
    page.goto(f"{server.url}/projects/{PROJECT}/settings")
    confidence = page.get_by_label("Auto-approve confidence")
    confidence.fill("1.5")
    page.get_by_label("Linked repository").fill("/no/such/folder")
    page.get_by_role("button", name="Save settings").click()
    summary = page.get_by_role("alert")
    expect(summary).to_contain_text("Auto-approve confidence must be a number from 0 to 1")
    expect(summary).to_contain_text("Linked repository must be a local directory or a git URL")
    expect(summary).to_be_focused()
    expect(confidence).to_have_attribute("aria-invalid", "true")
    expect(confidence).to_have_value("1.5")  # what was typed stays, for correcting

    with open_lore(server.home) as lore:
        repo = lore.project(PROJECT).repo
    assert repo is not None
    confidence.fill("0.95")
    page.get_by_label("Linked repository").fill(repo)
    page.get_by_label("AI model tier").select_option("medium")
    page.get_by_role("button", name="Save settings").click()
    expect(page.get_by_role("status")).to_contain_text("Settings saved")
    with open_lore(server.home) as lore:
        settings = lore.project(PROJECT).settings
    assert (settings.auto_approve_confidence, settings.model_tier) == (0.95, "medium")


def test_operations_page_counts_jobs_across_projects(page: Any, site: Any) -> None:
    server, _ = site
    page.goto(f"{server.url}/operations")
    expect(page.get_by_role("heading", name="Operations")).to_be_visible()
    with open_lore(server.home) as lore:
        done = len(lore.store.jobs.find(statuses=[JobStatus.COMPLETED], limit=500))
    completed = page.locator(".stat", has_text="completed jobs").locator(".stat-value")
    expect(completed).to_have_text(str(done))
    page.get_by_role("navigation", name="Job status").get_by_role("link", name="Completed").click()
    jobs = page.locator("section[aria-labelledby=jobs-heading] tbody tr")
    expect(jobs).to_have_count(min(done, 20))
    expect(jobs.first).to_contain_text(PROJECT)
    sessions = page.locator("section[aria-labelledby=sessions-heading] tbody tr")
    expect(sessions).to_have_count(6)
    expect(sessions.first).to_contain_text("VS Code")


def test_skip_link_and_keyboard_reach_the_content(page: Any, site: Any) -> None:
    server, _ = site
    page.goto(f"{server.url}/projects")
    page.keyboard.press("Tab")
    expect(page.get_by_role("link", name="Skip to content")).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.locator("main")).to_be_focused()


def test_a_failed_job_is_retried_from_the_failed_stage(browser: Any, tmp_path: Path) -> None:
    """A hosted model that refuses fails Enrich; once it answers, Retry resumes the job."""
    fake = FlakyLLM()
    home = tmp_path / "home"
    home.mkdir()
    with open_lore(home) as lore:
        project = lore.update_project(lore.create_project("flaky"), auto_learn=False)
        lore.capture_event(
            "cli", "session_save", {"summary": "Prices are integer cents."}, project=project
        )
        session_id = lore.sessions(project)[0].id
        lore.close(session_id)
    with running(fake.app()) as fake_url:
        fake.url = fake_url
        with lore_serve(home, llm_env(fake)) as server:
            page = browser.new_page()
            sign_in(page, server)
            page.goto(f"{server.url}/sessions/{session_id}")
            page.get_by_role("button", name="Generate Memory").click()
            enrich_stage = page.locator('[data-stage="enrich"]')
            expect(enrich_stage).to_have_attribute("data-status", "failed", timeout=LIVE_TIMEOUT_MS)
            expect(enrich_stage.locator(".stage-error")).to_contain_text("not available")
            expect(page.locator('[data-stage="embed"]')).to_have_attribute("data-status", "pending")

            fake.failing = False
            page.get_by_role("button", name="Retry from the failed stage").click()
            expect(page.locator('[data-stage="drift"]')).to_have_attribute(
                "data-status", "completed", timeout=LIVE_TIMEOUT_MS
            )
            expect(enrich_stage).to_have_attribute("data-status", "completed")
            tokens = enrich_stage.locator("[title=Tokens]").inner_text()
            assert int(tokens.split()[0].replace(",", "")) > 0  # the model's answers were counted

            page.get_by_role("link", name=re.compile("^Jobs")).click()
            job = page.locator(".job").first
            expect(job.locator(".job-head .badge")).to_have_text("completed")
            expect(job).to_contain_text("2 of")  # a second attempt, of the same job

            page.goto(f"{server.url}/operations")
            usage = page.get_by_role("heading", name="LLM calls and tokens per day")
            expect(usage.locator("xpath=..").locator(".bars li")).to_have_count(1)
            expect(usage.locator("xpath=..")).to_contain_text("err")  # the refusals
            page.close()


def test_long_unbroken_text_wraps_on_a_narrow_screen(browser: Any, site: Any) -> None:
    """A payload of one 20,000-character token once made a page 27,201 px wide."""
    server, _ = site
    with open_lore(server.home) as lore:
        project = lore.create_project("wide-payloads")
        blob = "x" * 20_000
        captured = lore.capture_event("cli", "note", {"text": blob, "path": blob}, project=project)
    session_id = captured.session_ids[0]
    context = browser.new_context(viewport={"width": 390, "height": 800})
    assert context.request.post(server.url + "/login", form={"token": server.token}).ok
    page = context.new_page()
    try:
        page.goto(f"{server.url}/sessions/{session_id}?project=wide-payloads")
        page.locator(".event summary").first.click()  # the whole payload opens in place
        expect(page.locator(".payload").first).to_be_visible()
        for url in (f"/sessions/{session_id}", "/projects/wide-payloads/sessions"):
            page.goto(server.url + url)
            wide = page.evaluate("document.documentElement.scrollWidth")
            culprits = page.evaluate("""() => [...document.querySelectorAll('body *')]
                .filter(e => e.getBoundingClientRect().right > 400)
                .map(e => e.tagName + '.' + e.className).slice(0, 12)""")
            assert wide <= 390 + 1, (url, wide, culprits)
    finally:
        context.close()


def test_wide_tables_scroll_in_their_frame_on_a_narrow_screen(browser: Any, site: Any) -> None:
    """Absolutely positioned captions inside the tables once made Operations 855 px wide."""
    server, sessions = site
    context = browser.new_context(viewport={"width": 390, "height": 800})
    assert context.request.post(server.url + "/login", form={"token": server.token}).ok
    page = context.new_page()
    try:
        for url in ("/operations", "/projects", f"/sessions/{sessions['git']}?tab=jobs"):
            page.goto(server.url + url)
            assert page.evaluate("document.documentElement.scrollWidth") <= 390 + 1, url
            frames = page.locator(".table-wrap")
            assert frames.count() >= 1, url
            for index in range(frames.count()):
                frame = frames.nth(index)
                assert frame.evaluate("e => e.scrollWidth > e.clientWidth"), url  # it scrolls
                assert frame.get_attribute("role") == "region" and frame.get_attribute("aria-label")
                assert "radial-gradient" in frame.evaluate(
                    "e => getComputedStyle(e).backgroundImage"
                )  # the shadow that says there is more
            first = frames.first
            first.focus()  # reachable from the keyboard, which scrolls it
            page.keyboard.press("ArrowRight")
            expect(first).to_be_focused()
            page.wait_for_function(
                "() => document.querySelector('.table-wrap').scrollLeft > 0", timeout=5_000
            )
    finally:
        context.close()


def test_a_new_session_appears_without_a_reload(page: Any, site: Any) -> None:
    server, _ = site
    with open_lore(server.home) as lore:
        project = lore.create_project("live-list")
        lore.capture_event("cli", "note", {"text": "The first session"}, project=project)
    page.goto(f"{server.url}/projects/live-list/sessions")
    cards = page.locator(".session-card")
    expect(cards).to_have_count(1)
    page.evaluate("window.notReloaded = true")
    with open_lore(server.home) as lore:
        lore.capture_event(
            "vscode", "note", {"text": "A session started meanwhile"}, project=project
        )
    expect(cards).to_have_count(2, timeout=15_000)  # the list asks again every 10 s
    expect(cards.first).to_contain_text("A session started meanwhile")
    assert page.evaluate("window.notReloaded") is True
