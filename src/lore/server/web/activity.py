"""The Memory page's Activity tab: what happened in the project day by day (events, by when
they happened; sessions started; memory items made) as bar charts drawn on the server, the same figures as a
table, and the newest items."""

from __future__ import annotations

import time
from datetime import UTC, date, datetime, timedelta

from fastapi import Request
from fastapi.responses import Response
from pydantic import BaseModel

from lore.errors import ValidationError
from lore.server.deps import LoreDep
from lore.server.web.items import ItemCard, item_card
from lore.server.web.render import layout, respond
from lore.server.web.routing import page_router
from lore.store.base import ItemFilter

router = page_router()

SPANS = (7, 30, 90)  # days the tab offers
LATEST = 10
SERIES = (
    ("events", "Events"),
    ("sessions", "Sessions started"),
    ("items", "Memory items made"),
)
# The charts' drawing units (the SVG scales to its box): each day's column is a share of the
# width, with a gap between columns.
CHART_WIDTH = 600.0
CHART_HEIGHT = 48.0
GAP = 0.2


class Bar(BaseModel):
    x: float
    y: float
    width: float
    height: float
    day: str
    count: int


class Series(BaseModel):
    what: str
    label: str
    total: int
    busiest: int
    bars: list[Bar]


class DayRow(BaseModel):
    day: str
    events: int
    sessions: int
    items: int


class ActivityPage(BaseModel):
    project: str
    days: int
    spans: list[int]
    first_day: str
    last_day: str
    series: list[Series]
    # Days with anything, newest first.
    rows: list[DayRow]
    latest: list[ItemCard]


@router.get("/projects/{ref}/activity")
def activity_tab(request: Request, ref: str, lore: LoreDep, days: int = 30) -> Response:
    if days not in SPANS:
        allowed = ", ".join(str(span) for span in SPANS)
        raise ValidationError(f"days must be one of {allowed} (got {days})", "days")
    project = lore.project(ref)
    calendar = _calendar(days, time.time())
    since = datetime.combine(calendar[0], datetime.min.time(), UTC).timestamp()
    counts = lore.store.overview.activity(project.id, since)
    keys = [day.isoformat() for day in calendar]
    rows = [
        DayRow(day=key, **{what: counts[what].get(key, 0) for what, _ in SERIES})
        for key in reversed(keys)
    ]
    context = ActivityPage(
        project=project.name,
        days=days,
        spans=list(SPANS),
        first_day=keys[0],
        last_day=keys[-1],
        series=[_series(what, label, keys, counts[what]) for what, label in SERIES],
        rows=[row for row in rows if row.events or row.sessions or row.items],
        latest=[
            item_card(node, project.name)
            for node in lore.store.graph.items(project.id, ItemFilter(), limit=LATEST)
        ],
    )
    frame = layout(lore, f"{project.name} · activity", "memory", project.name)
    return respond(request, "activity.html", context, frame)


def _calendar(days: int, now: float) -> list[date]:
    """The last ``days`` UTC days, oldest first, today last."""
    today = datetime.fromtimestamp(now, UTC).date()
    return [today - timedelta(days=back) for back in range(days - 1, -1, -1)]


def _series(what: str, label: str, keys: list[str], counts: dict[str, int]) -> Series:
    """One chart: a column a day, as tall as the day's count against the busiest day's."""
    busiest = max((counts.get(key, 0) for key in keys), default=0)
    step = CHART_WIDTH / len(keys)
    bars = []
    for index, key in enumerate(keys):
        count = counts.get(key, 0)
        height = CHART_HEIGHT * count / busiest if busiest else 0.0
        if count:  # a day with one event among thousands still shows
            height = max(height, 1.5)
        bars.append(
            Bar(
                x=round(index * step + step * GAP / 2, 2),
                y=round(CHART_HEIGHT - height, 2),
                width=round(step * (1 - GAP), 2),
                height=round(height, 2),
                day=key,
                count=count,
            )
        )
    total = sum(counts.get(key, 0) for key in keys)
    return Series(what=what, label=label, total=total, busiest=busiest, bars=bars)
