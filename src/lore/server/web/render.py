"""Rendering: one Jinja2 environment, its filters, and ``respond`` which serves a view's typed
context as a full page, as an htmx fragment, or as JSON (``?format=json``)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlencode

import jinja2
from fastapi import Request
from fastapi.responses import JSONResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates
from markupsafe import Markup, escape
from pydantic import BaseModel

from lore.core import Lore
from lore.server.web import present
from lore.server.web.guard import csrf_input, csrf_token

TEMPLATE_DIR = Path(__file__).parent / "templates"
SUMMARY_CHARS = 140
# Payload fields that say best what an event was about, in order of preference.
SUMMARY_FIELDS = ("summary", "title", "message", "text", "observation", "command", "root")

Section = Literal["memory", "operations", "projects"]


class Layout(BaseModel):
    """What the frame around every page needs: title, active section, project switcher."""

    title: str
    section: Section
    project: str | None = None
    projects: list[str] = []


def layout(lore: Lore, title: str, section: Section, project: str | None = None) -> Layout:
    names = [known.name for known in lore.projects()]
    return Layout(title=title, section=section, project=project, projects=names)


def wants_json(request: Request) -> bool:
    return request.query_params.get("format") == "json"


def is_fragment_request(request: Request) -> bool:
    """An htmx request that swaps part of a page (not a boosted navigation, nor the reload of a
    page from history, which both want the whole page)."""
    headers = request.headers
    whole_page = "hx-boosted" in headers or "hx-history-restore-request" in headers
    return "hx-request" in headers and not whole_page


def respond(
    request: Request,
    template: str,
    context: BaseModel,
    frame: Layout,
    *,
    fragment: str | None = None,
    status_code: int = 200,
    **extra: Any,
) -> Response:
    """The view's context as JSON, as ``fragment`` for htmx, or as the full ``template``."""
    if wants_json(request):
        return JSONResponse(context.model_dump(mode="json"), status_code=status_code)
    name = fragment if fragment and is_fragment_request(request) else template
    values = {"ctx": context, "layout": frame, **extra}
    return templates.TemplateResponse(request, name, values, status_code=status_code)


def fragment(request: Request, template: str, status_code: int = 200, **values: Any) -> Response:
    """A template rendered on its own: the reply to an htmx action."""
    return templates.TemplateResponse(request, template, values, status_code=status_code)


def back(request: Request, fallback: str) -> RedirectResponse:
    """After a form post without JavaScript: return to the page it came from (same site only)."""
    target = str(request.query_params.get("next") or fallback)
    return RedirectResponse(safe_next(target, fallback), status_code=303)


def safe_next(target: str, fallback: str = "/") -> str:
    """A local path to return to; anything else (other hosts, ``//evil``) becomes ``fallback``."""
    if target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return fallback


def page_window(page: int, total: int, size: int) -> tuple[int, int]:
    """(the page to show, clamped to what exists; how many pages there are)."""
    pages = max(1, -(-total // size))
    return min(max(page, 1), pages), pages


# Filters


def when(timestamp: float | None) -> Markup:
    """A UTC time in a ``<time>`` element; static/lore.js shows it in the reader's time zone."""
    if timestamp is None:
        return Markup('<span class="muted">—</span>')
    try:
        moment = datetime.fromtimestamp(timestamp, UTC)
    except (OverflowError, OSError, ValueError):  # a record stored before times were checked
        return Markup('<span class="muted">?</span>')
    iso = moment.isoformat(timespec="seconds").replace("+00:00", "Z")
    shown = moment.strftime("%Y-%m-%d %H:%M UTC")
    return Markup(f'<time datetime="{iso}">{shown}</time>')


def duration(milliseconds: float | None) -> str:
    if milliseconds is None:
        return "—"
    if milliseconds < 1000:
        return f"{milliseconds:.0f} ms"
    seconds = milliseconds / 1000
    if seconds < 60:
        return f"{seconds:.1f} s"
    minutes, rest = divmod(int(seconds), 60)
    return f"{minutes} min {rest} s"


def number(value: int | float | None) -> str:
    return "—" if value is None else f"{value:,}"


def payload_summary(payload: dict[str, Any]) -> str:
    """One line about a payload: its most telling field, the subjects of its commits, else its
    compact JSON."""
    commits = payload.get("commits")
    if isinstance(commits, list) and commits and isinstance(commits[0], dict):
        subjects = "; ".join(str(commit.get("subject", "")) for commit in commits[:3])
        return _shorten(f"{len(commits)} commit{'s' if len(commits) > 1 else ''}: {subjects}")
    for field in SUMMARY_FIELDS:
        value = payload.get(field)
        if isinstance(value, str) and value.strip():
            return _shorten(value)
    return _shorten(json.dumps(payload, ensure_ascii=False, sort_keys=True))


def pretty_json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, indent=2, sort_keys=True, default=str)


def icon(name: str, label: str = "") -> Markup:
    """An icon from the sprite; decorative unless given a label."""
    aria = f'role="img" aria-label="{escape(label)}"' if label else 'aria-hidden="true"'
    return Markup(
        f'<svg class="icon" {aria} focusable="false">'
        f'<use href="/static/icons.svg#{escape(name)}"></use></svg>'
    )


def url_with(request: Request, **changes: Any) -> str:
    """The current URL with some query parameters changed (None or "" removes one)."""
    # ``format`` and ``seen`` (a live list's token of what it shows) belong to one request only.
    query = {k: v for k, v in request.query_params.items() if k not in ("format", "seen")}
    for key, value in changes.items():
        if value is None or value == "":
            query.pop(key, None)
        else:
            query[key] = str(value)
    encoded = urlencode(query)
    return request.url.path + (f"?{encoded}" if encoded else "")


def _shorten(text: str) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= SUMMARY_CHARS else flat[: SUMMARY_CHARS - 1] + "…"


def _environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATE_DIR),
        autoescape=True,
        trim_blocks=True,
        lstrip_blocks=True,
        undefined=jinja2.StrictUndefined,
    )
    env.filters.update(
        when=when,
        duration=duration,
        number=number,
        summary=payload_summary,
        pretty_json=pretty_json,
        band=present.confidence_band,
        stage_label=present.stage_label,
    )
    env.globals.update(
        icon=icon,
        source_view=present.source_view,
        url_with=url_with,
        csrf_input=csrf_input,
        csrf_token=csrf_token,
    )
    return env


templates = Jinja2Templates(env=_environment())
