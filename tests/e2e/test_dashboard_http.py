"""The dashboard over HTTP, on a real server: the token guard, the JSON twin of every page,
htmx fragments, error pages, form posts without JavaScript, and no external resources."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

from lore import Lore
from lore.domain import EventIn, Project
from lore.domain.graph import Changeset, NodeDraft
from lore.server import build_app
from lore.server.auth import COOKIE
from lore.server.web import STATIC_DIR
from lore.server.web.render import TEMPLATE_DIR
from tests.e2e.dashboard_support import wait_for_job
from tests.graph_seed import apply_items
from tests.servers import running

TOKEN = "dashboard-test-token"


@pytest.fixture
def enriched(lore: Lore, project: Project) -> int:
    """A closed CLI session with its memory made by the real (offline) pipeline, when asked."""
    lore.update_project(project, auto_learn=False)
    lore.capture_event(
        "cli",
        "session_save",
        {
            "summary": "Order totals are integer cents.",
            "decisions": ["Store money as integer cents, never floats"],
            "files": ["src/shop/models.py"],
        },
        project=project,
    )
    session_id = lore.sessions(project)[0].id
    lore.close(session_id)
    lore.enrich(session_id)
    assert wait_for_job(lore, session_id).status == "completed"  # and its memory committed
    return session_id


@pytest.fixture
def site(lore: Lore) -> Iterator[str]:
    with running(build_app(lore, token=TOKEN)) as url:
        yield url


@contextmanager
def sign_in(site: str) -> Iterator[httpx.Client]:
    """A client signed in through the login page, sending its CSRF token as htmx does."""
    with httpx.Client(base_url=site) as browser:
        assert browser.post("/login", data={"token": TOKEN}).status_code == 303
        browser.headers["x-csrf-token"] = csrf_of(browser)
        yield browser


@pytest.fixture
def client(site: str) -> Iterator[httpx.Client]:
    with sign_in(site) as opened:
        yield opened


def test_pages_need_the_token_and_send_people_to_the_login_page(site: str) -> None:
    with httpx.Client(base_url=site) as anonymous:
        page = anonymous.get("/projects")
        assert (page.status_code, page.headers["location"]) == (303, "/login?next=/projects")
        assert anonymous.get("/api/v1/projects").status_code == 401
        assert anonymous.get("/login").status_code == 200
        assert anonymous.get("/static/lore.css").status_code == 200
        wrong = anonymous.post("/login", data={"token": "nope", "next": "/projects"})
        assert wrong.status_code == 401
        assert "That token is not right" in wrong.text


def test_an_empty_token_file_lets_nobody_in(lore: Lore) -> None:
    """What a full disk once left behind: an empty token file, matched by an empty cookie."""
    lore.settings.token_path.write_text("")
    with running(build_app(lore)) as url, httpx.Client(base_url=url) as anonymous:
        anonymous.cookies.set(COOKIE, "")
        assert anonymous.get("/api/v1/projects").status_code == 401
        assert anonymous.post("/login", data={"token": ""}).status_code == 401
        assert anonymous.post("/login", data={"token": " "}).status_code == 401
    assert lore.settings.token_path.read_text().strip()  # a real token was written in its place


def test_login_sets_a_strict_http_only_cookie_and_ignores_foreign_next(site: str) -> None:
    with httpx.Client(base_url=site) as browser:
        form = browser.get("/login", params={"next": "//evil.example/steal"})
        assert 'name="next" value="/"' in form.text
        signed = browser.post("/login", data={"token": TOKEN, "next": "https://evil.example"})
        assert (signed.status_code, signed.headers["location"]) == (303, "/")
        cookie = signed.headers["set-cookie"].lower()
        assert TOKEN.lower() not in cookie  # the sign-in's id, never the API token
        assert "httponly" in cookie and "samesite=strict" in cookie and "max-age=43200" in cookie
        assert browser.get("/projects").status_code == 200
        assert browser.get("/api/v1/projects").status_code == 401  # the cookie opens pages only
        signed_out = browser.post("/logout", data={"csrf_token": csrf_of(browser)})
        assert signed_out.status_code == 303
        assert browser.get("/projects").status_code == 303  # the sign-in has ended


def csrf_of(browser: httpx.Client) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', browser.get("/projects").text)
    assert found is not None
    return found.group(1)


def test_forms_from_another_site_or_without_the_token_change_nothing(
    site: str, lore: Lore, project: Project
) -> None:
    """A page on another port of 127.0.0.1 makes the browser post with the person's cookie."""
    with sign_in(site) as browser:
        csrf = browser.headers.pop("x-csrf-token")
        settings = f"/projects/{project.name}/settings"
        form = {"model_tier": "medium", "auto_learn": "on"}
        forged = [
            browser.post(settings, data=form),
            browser.post(settings, data=form | {"csrf_token": "guessed"}),
            browser.post(
                settings, data=form | {"csrf_token": csrf}, headers={"origin": "http://127.0.0.1:9"}
            ),
        ]
        assert [answer.status_code for answer in forged] == [403, 403, 403]
        assert lore.project(project.id).settings.model_tier == project.settings.model_tier
        assert browser.post(settings, data=form | {"csrf_token": csrf}).status_code in (200, 303)
        assert lore.project(project.id).settings.model_tier == "medium"


def test_every_answer_carries_the_security_headers(client: httpx.Client, site: str) -> None:
    for answer in (client.get("/projects"), httpx.get(f"{site}/login"), client.get("/nowhere")):
        policy = answer.headers["content-security-policy"]
        assert "script-src 'self'" in policy and "frame-ancestors 'none'" in policy
        assert "unsafe-inline" not in policy.split("script-src")[1].split(";")[0]
        assert answer.headers["x-content-type-options"] == "nosniff"
        assert answer.headers["referrer-policy"] == "same-origin"


def test_every_page_renders_and_serves_its_context_as_json(
    client: httpx.Client, lore: Lore, project: Project, enriched: int
) -> None:
    item = lore.store.graph.items(project.id, limit=1)[0]
    expected = {
        "/projects": {"projects", "new_project"},
        f"/projects/{project.name}/settings": {"project", "values", "errors", "model_tiers"},
        f"/projects/{project.name}/sessions": {"sessions", "statuses", "sources", "total"},
        f"/projects/{project.name}/brain": {"items", "tree", "types", "statuses", "total"},
        f"/projects/{project.name}/review": {"items", "below_confidence", "total"},
        f"/projects/{project.name}/activity": {"series", "rows", "latest", "days"},
        f"/sessions/{enriched}": {"session", "timeline", "events", "jobs", "actions"},
        f"/sessions/{enriched}/live": {"session", "timeline", "actions"},
        f"/items/{item.id}": {"item", "evidence", "history", "related", "picture", "code"},
        f"/items/{item.id}/edit": {"item", "values", "errors", "types"},
        "/operations": {"jobs_by_status", "sessions_by_status", "jobs", "errors", "usage"},
    }
    for path, keys in expected.items():
        page = client.get(path)
        whole = not path.endswith("/live")  # the polled part of a session page is a fragment
        assert page.status_code == 200 and ("<main" in page.text) is whole, path
        answer = client.get(path, params={"format": "json"})
        assert answer.status_code == 200, path
        assert answer.headers["content-type"] == "application/json", path
        assert keys <= set(answer.json()), path

    detail = client.get(f"/sessions/{enriched}", params={"format": "json"}).json()
    stages = detail["timeline"]["stages"]
    assert [s["label"] for s in stages] == [
        "Enrich",
        "Deep Enrich",
        "Embed",
        "Dedup",
        "Drift Check",
    ]
    assert [s["status"] for s in stages] == [
        "completed",
        "skipped",
        "completed",
        "completed",
        "completed",
    ]
    assert detail["timeline"]["live"] is False
    assert detail["session"]["items_extracted"] == detail["jobs"][0]["items_extracted"] > 0
    shown = client.get(f"/items/{item.id}", params={"format": "json"}).json()
    evidence = shown["evidence"]
    assert evidence and evidence[0]["session_id"] == enriched and evidence[0]["quote"]
    drawn = {(node["group"], node["href"]) for node in shown["picture"]["nodes"]}
    assert ("evidence", f"/sessions/{enriched}") in drawn  # the session it came from
    page = client.get(f"/items/{item.id}").text
    assert '<svg class="neighbourhood"' in page and f'<a href="/sessions/{enriched}">' in page


def test_htmx_gets_fragments_and_history_restores_get_whole_pages(
    client: httpx.Client, project: Project, lore: Lore
) -> None:
    lore.capture_event("mcp", "note", {"text": "hello"}, project=project)
    path = f"/projects/{project.name}/sessions"
    fragment = client.get(path, headers={"hx-request": "true"})
    assert "session-card" in fragment.text and "<html" not in fragment.text
    restored = client.get(
        path, headers={"hx-request": "true", "hx-history-restore-request": "true"}
    )
    assert "<html" in restored.text


def test_sessions_are_paged_newest_first(
    client: httpx.Client, lore: Lore, project: Project
) -> None:
    made = [lore.store.sessions.create(project.id, "mcp").id for _ in range(13)]
    path = f"/projects/{project.name}/sessions"
    first = client.get(path, params={"format": "json"}).json()
    assert (first["total"], first["pages"]) == (13, 2)
    assert [s["id"] for s in first["sessions"]] == made[::-1][:12]
    html = client.get(path, params={"source": "mcp"}).text
    assert 'href="/projects/demo/sessions?source=mcp&amp;page=2"' in html
    second = client.get(path, params={"page": 2, "format": "json"}).json()
    assert [s["id"] for s in second["sessions"]] == [made[0]]


def test_errors_are_pages_for_people_and_json_for_programs(
    client: httpx.Client, project: Project
) -> None:
    missing = client.get("/sessions/999")
    assert missing.status_code == 404
    assert "Not found" in missing.text and "no session with id 999" in missing.text
    as_json = client.get("/sessions/999", params={"format": "json"})
    assert as_json.status_code == 404
    assert as_json.json()["error"]["type"] == "NotFoundError"
    bad_filter = client.get(f"/projects/{project.name}/sessions", params={"status": "sleeping"})
    assert bad_filter.status_code == 422 and "status must be one of" in bad_filter.text


def test_forms_work_without_javascript(
    client: httpx.Client, lore: Lore, project: Project, enriched: int
) -> None:
    item = lore.store.graph.items(project.id, limit=1)[0]
    back_to = f"/projects/{project.name}/brain?type=decision"
    approved = client.post(
        f"/items/{item.id}/status", params={"next": back_to}, data={"action": "approve"}
    )
    assert (approved.status_code, approved.headers["location"]) == (303, back_to)
    assert lore.store.graph.get(item.id).status == "approved"
    elsewhere = client.post(
        f"/items/{item.id}/status",
        params={"next": "https://evil.example"},
        data={"action": "review"},
    )
    assert elsewhere.headers["location"] == f"/items/{item.id}"
    unknown = client.post(f"/items/{item.id}/status", data={"action": "promote"})
    assert unknown.status_code == 422


def test_bulk_actions_touch_only_the_projects_own_items(
    client: httpx.Client, lore: Lore, project: Project
) -> None:
    other = lore.create_project("other")
    mine, theirs = (_item(lore, owner, f"fact of {owner.name}") for owner in (project, other))
    bulk = f"/projects/{project.name}/items/bulk"
    refused = client.post(bulk, data={"action": "deprecate", "ids": [mine, theirs]})
    assert refused.status_code == 404  # an item of another project: nothing changes
    assert [lore.store.graph.get(i).status for i in (mine, theirs)] == ["draft", "draft"]
    answer = client.post(bulk, data={"action": "deprecate", "ids": [mine]})
    assert answer.status_code == 303
    assert lore.store.graph.get(mine).status == "deprecated"
    assert lore.store.graph.get(theirs).status == "draft"


def test_the_dashboard_loads_nothing_from_other_sites() -> None:
    external = re.compile(r"""(src|href)=["'](https?:)?//""")
    for template in TEMPLATE_DIR.glob("*.html"):
        assert not external.search(template.read_text()), template.name
    vendored = STATIC_DIR / "vendor"
    assert (vendored / "htmx.min.js").stat().st_size > 10_000
    assert "Zero-Clause BSD" in (vendored / "LICENSE-htmx.txt").read_text()
    css = Path(STATIC_DIR / "lore.css").read_text()
    assert "@import" not in css and "url(http" not in css


def _item(lore: Lore, project: Project, title: str) -> int:
    session_id = lore.store.sessions.create(project.id, "cli").id
    draft = NodeDraft(ref="a", kind="semantic", type="convention", title=title, status="draft")
    applied = lore.store.graph.apply(project.id, Changeset(session_id=session_id, nodes=[draft]))
    return applied.ids["a"]


def test_a_page_that_names_its_project_hides_another_projects_records(
    client: httpx.Client, lore: Lore, project: Project
) -> None:
    other = lore.create_project("other")
    session = lore.capture_event("cli", "note", {"text": "theirs"}, project=other).session_ids[0]
    [item] = apply_items(lore, other, [NodeDraft(ref="a", kind="semantic", title="Theirs")])
    scoped = {"project": project.name}
    for path in (f"/sessions/{session}", f"/sessions/{session}/live", f"/items/{item}"):
        assert client.get(path, params=scoped).status_code == 404
        assert client.get(path, params={"project": "other"}).status_code == 200
    assert client.post(f"/items/{item}/delete", params=scoped).status_code == 404
    assert lore.item(item).title == "Theirs"
    assert client.get(f"/sessions/{2**70}").status_code == 422  # not a 500


def test_the_memory_at_session_start_is_a_setting_checked_like_the_others(
    client: httpx.Client, lore: Lore, project: Project
) -> None:
    settings = f"/projects/{project.name}/settings"
    refused = client.post(settings, data={"model_tier": "small", "session_start_tokens": "-3"})
    assert refused.status_code == 422 and "whole number of tokens" in refused.text
    saved = client.post(settings, data={"model_tier": "small", "session_start_tokens": "250"})
    assert saved.status_code in (200, 303)
    assert lore.project(project.id).settings.session_start_tokens == 250


def test_brain_search_shows_scores_and_admits_no_good_match(
    client: httpx.Client, lore: Lore, project: Project, enriched: int
) -> None:
    brain = f"/projects/{project.name}/brain"
    found = client.get(brain, params={"q": "integer cents", "format": "json"}).json()
    assert found["good_match"] is True and found["items"]
    first = found["items"][0]
    assert first["score"] > 0 and "words" in first["matched"]
    page = client.get(brain, params={"q": "integer cents"}).text
    assert re.search(r'data-testid="item-score">score [0-9.]+ · by [a-z, ]*words', page)
    made_up = client.get(brain, params={"q": "xyzzy plugh frobnicate"})
    nearest = client.get(brain, params={"q": "xyzzy plugh frobnicate", "format": "json"}).json()
    assert nearest["good_match"] is False and nearest["items"]  # the nearest in meaning
    assert "No good match for “xyzzy plugh frobnicate”" in made_up.text  # under a warning


def test_sessions_are_searched_and_filtered_by_what_the_project_has(
    client: httpx.Client, lore: Lore, project: Project
) -> None:
    lore.capture_event("claude-code", "prompt", {"text": "Why do totals drift?"}, project=project)
    lore.capture_event(
        "vscode", "note", {"text": "The 50% discount_code is ignored"}, project=project
    )
    sessions = f"/projects/{project.name}/sessions"
    page = client.get(sessions, params={"format": "json"}).json()
    assert [source["name"] for source in page["sources"]] == ["claude-code", "vscode"]
    assert page["statuses"] == ["active"]  # none completed, enriching or failed yet
    assert [s["goal"] for s in page["sessions"]] == [
        "The 50% discount_code is ignored",
        "Why do totals drift?",
    ]
    found = client.get(sessions, params={"q": "50% discount_code", "format": "json"}).json()
    assert [s["source"]["name"] for s in found["sessions"]] == ["vscode"]
    assert client.get(sessions, params={"q": "5_% d", "format": "json"}).json()["total"] == 0
    shown = client.get(sessions, params={"q": "drift"})
    assert "holding “drift”" in shown.text and 'name="q" value="drift"' in shown.text


def test_a_failed_job_shows_retry_only_while_it_is_the_sessions_latest(
    client: httpx.Client, lore: Lore, project: Project
) -> None:
    lore.update_project(project, auto_learn=False)
    lore.store.projects.set_embedding_model(project.id, "another-model", 768)
    lore.capture_event("cli", "session_save", {"summary": "Prices in cents"}, project=project)
    session_id = lore.sessions(project)[0].id
    lore.close(session_id)
    lore.enrich(session_id)
    failed = wait_for_job(lore, session_id)
    assert failed.status == "failed"

    def retry_shown() -> dict[int, bool]:
        page = client.get(f"/sessions/{session_id}", params={"format": "json", "tab": "jobs"})
        return {job["id"]: job["can_retry"] for job in page.json()["jobs"]}

    assert retry_shown() == {failed.id: True}
    later = lore.jobs.enqueue(session_id, "manual")  # Generate Memory again: a new job
    assert wait_for_job(lore, session_id).id == later.id  # it fails the same way
    assert retry_shown() == {later.id: True, failed.id: False}  # only the latest retries
    operations = client.get("/operations", params={"format": "json"}).json()
    shown = {job["id"]: job["can_retry"] for job in operations["jobs"]}
    assert (shown[later.id], shown[failed.id]) == (True, False)


def test_an_open_session_whose_job_failed_shows_failed_and_the_counts_agree(
    client: httpx.Client, lore: Lore, project: Project
) -> None:
    lore.update_project(project, auto_learn=False)
    lore.capture_event("cli", "note", {"text": "Prices are integer cents"}, project=project)
    lore.capture_event("vscode", "note", {"text": "Tabs, not spaces"}, project=project)
    lore.store.projects.set_embedding_model(project.id, "another-model", 768)
    failing, quiet = (
        s.id for s in lore.sessions(project, source="cli") + lore.sessions(project, source="vscode")
    )
    lore.enrich(failing)  # the session stays open: it goes on collecting
    assert wait_for_job(lore, failing).status == "failed"

    sessions = f"/projects/{project.name}/sessions"
    page = client.get(sessions, params={"format": "json"}).json()
    assert {s["id"]: s["status"] for s in page["sessions"]} == {failing: "failed", quiet: "active"}
    assert page["statuses"] == ["active", "failed"]
    by_status = {
        shown: [
            s["id"]
            for s in client.get(sessions, params={"status": shown, "format": "json"}).json()[
                "sessions"
            ]
        ]
        for shown in ("active", "completed", "enriching", "failed")
    }
    assert by_status == {"active": [quiet], "completed": [], "enriching": [], "failed": [failing]}
    operations = client.get("/operations", params={"format": "json"}).json()
    counts = operations["sessions_by_status"]
    assert {shown: counts[shown] for shown in by_status} == {
        shown: len(found) for shown, found in by_status.items()
    }
    assert any(f"Session {failing}" in row["what"] for row in operations["errors"])
    live = client.get(f"/sessions/{failing}", params={"format": "json"}).json()
    assert live["actions"]["can_close"] and live["actions"]["retry_job"] is not None
    page_html = client.get(f"/sessions/{failing}").text
    assert live["actions"]["primary"] == "retry"  # one primary action: not Generate Memory too
    assert page_html.count('class="button primary"') == 1
    assert re.search(r'class="button primary">\s*<svg[^>]*>.*?</svg> Retry', page_html, re.S)


def test_the_activity_tab_counts_the_projects_days_and_draws_them(
    client: httpx.Client, lore: Lore, project: Project
) -> None:
    lore.update_project(project, auto_learn=False)
    for text in ("Prices are integer cents", "Tabs, not spaces"):
        lore.capture_event("cli", "note", {"text": text}, project=project)
    a_week_ago = time.time() - 7 * 86400  # a commit digested today happened on its own day
    commit = EventIn(
        source="git", type="commit", payload={"subject": "Ship"}, occurred_at=a_week_ago
    )
    lore.capture_events([commit], project=project)
    apply_items(lore, project, [NodeDraft(ref="a", kind="semantic", title="Money is cents")])
    other = lore.create_project("other")
    lore.capture_event("cli", "note", {"text": "Not this project's"}, project=other)

    activity = f"/projects/{project.name}/activity"
    page = client.get(activity, params={"format": "json"}).json()
    series = {s["what"]: s for s in page["series"]}
    assert {what: s["total"] for what, s in series.items()} == {
        "events": 4,  # two notes, a commit, the item's seed note; not the other project's
        "sessions": 3,
        "items": 1,
    }
    today, earlier = page["rows"][0], page["rows"][1]
    assert (today["events"], today["items"]) == (3, 1) and earlier["events"] == 1
    bars = series["events"]["bars"]
    assert len(bars) == 30 and bars[-1]["day"] == today["day"] == page["last_day"]
    assert bars[-1]["height"] == 48.0 and 0 < bars[-8]["height"] < 48.0  # against the busiest
    assert [b["title"] for b in page["latest"]] == ["Money is cents"]
    shown = client.get(activity).text
    assert shown.count('<svg viewBox="0 0 600 48"') == 3 and "Money is cents" in shown
    week = client.get(activity, params={"days": 7, "format": "json"}).json()
    assert len(week["series"][0]["bars"]) == 7
    refused = client.get(activity, params={"days": 5})
    assert refused.status_code == 422 and "days must be one of 7, 30, 90" in refused.text


def test_an_action_on_the_review_tab_brings_its_count_up_to_date(
    site: str, client: httpx.Client, lore: Lore, project: Project
) -> None:
    drafts = [
        NodeDraft(ref=f"d{n}", kind="semantic", type="decision", title=f"Unsure {n}",
                  body="Maybe.", status="draft", confidence=0.2)
        for n in range(3)
    ]  # fmt: skip
    first, second, _ = apply_items(lore, project, drafts)
    review = f"{site}/projects/{project.name}/review"
    assert "3 items to review" in client.get(review).text
    htmx = {"hx-request": "true", "hx-current-url": review}
    approved = client.post(f"/items/{first}/status", data={"action": "approve"}, headers=htmx)
    assert approved.status_code == 200 and f'id="item-{first}"' in approved.text
    count = re.search(
        r'<p class="count" id="review-count"[^>]*hx-swap-oob="true"[^>]*>(.*?)</p>', approved.text
    )
    assert count is not None and count.group(1).startswith("2 items to review")
    deleted = client.post(f"/items/{second}/delete", headers=htmx)
    assert 'hx-swap-oob="true"' in deleted.text and "1 item to review" in deleted.text
    brain = f"{site}/projects/{project.name}/brain"
    elsewhere = client.post(
        f"/items/{first}/status", data={"action": "deprecate"},
        headers={"hx-request": "true", "hx-current-url": brain},
    )  # fmt: skip
    assert "review-count" not in elsewhere.text  # the Brain tab has no such count


def test_the_sessions_list_polls_for_changes_and_hears_nothing_while_none(
    client: httpx.Client, lore: Lore, project: Project
) -> None:
    lore.update_project(project, auto_learn=False)  # no job changes a card between the polls
    lore.capture_event("cli", "note", {"text": "First"}, project=project)
    sessions = f"/projects/{project.name}/sessions"
    shown = client.get(sessions, params={"format": "json"}).json()["shown"]
    page = client.get(sessions).text
    assert f'hx-get="{sessions}?seen={shown}" hx-trigger="every 10s"' in page
    poll = {"hx-request": "true"}
    assert client.get(sessions, params={"seen": shown}, headers=poll).status_code == 204
    lore.capture_event("vscode", "note", {"text": "A new session"}, project=project)
    changed = client.get(sessions, params={"seen": shown}, headers=poll)
    assert changed.status_code == 200 and "A new session" in changed.text
    whole = client.get(sessions, params={"seen": shown})  # a page load is never a 204
    assert whole.status_code == 200 and "<main" in whole.text
