"""The timeline, the middle step of reading memory a little at a time: the events around an
item's evidence, the last of a session, or those nearest a time; over Python, REST and MCP's
shape, each line with its tokens."""

from __future__ import annotations

import httpx
import pytest

from lore import Lore
from lore.domain import EventIn, Project
from lore.domain.graph import Evidence, NodeDraft
from lore.errors import NotFoundError, ValidationError
from lore.server import build_app
from tests.graph_seed import apply_items
from tests.servers import running

START = 1_780_000_000.0  # one event a minute from here
TURNS = [f"turn {index}: we discussed topic {index}" for index in range(12)]


@pytest.fixture
def turns(lore: Lore, project: Project) -> list[int]:
    events = [
        EventIn(
            source="chat",
            type="message",
            payload={"speaker": "dev", "text": text},
            occurred_at=START + 60 * index,
        )
        for index, text in enumerate(TURNS)
    ]
    return lore.capture_events(events, project=project).event_ids


def test_the_events_around_an_items_evidence(
    lore: Lore, project: Project, turns: list[int]
) -> None:
    draft = NodeDraft(
        ref="a", kind="semantic", title="Topic 6", evidence=[Evidence(event_id=turns[6])]
    )
    [item] = apply_items(lore, project, [draft])
    entries = lore.timeline(project, item=item, size=5)
    assert [entry.event_id for entry in entries] == turns[4:9]
    assert [entry.anchor for entry in entries] == [False, False, True, False, False]
    assert entries[2].line == "dev: turn 6: we discussed topic 6" and entries[2].tokens > 0


def test_the_last_events_of_a_session_and_those_nearest_a_time(
    lore: Lore, project: Project, turns: list[int]
) -> None:
    session = lore.store.events.get(turns[0]).session_id
    assert [entry.event_id for entry in lore.timeline(project, session=session, size=3)] == turns[
        -3:
    ]
    near = lore.timeline(project, around=START + 60 * 3 + 10, size=4)
    assert [entry.event_id for entry in near] == turns[2:6]
    assert [entry.event_id for entry in near if entry.anchor] == [turns[3]]


def test_bad_requests_name_what_is_wrong(lore: Lore, project: Project, turns: list[int]) -> None:
    with pytest.raises(ValidationError, match="one of item, session or around"):
        lore.timeline(project)
    with pytest.raises(ValidationError, match="size"):
        lore.timeline(project, around=START, size=0)
    other = lore.create_project("other")
    session = lore.capture_event("cli", "note", {"text": "x"}, project=other).session_ids[0]
    with pytest.raises(NotFoundError):
        lore.timeline(project, session=session)


def test_the_timeline_over_rest(lore: Lore, project: Project, turns: list[int]) -> None:
    headers = {"Authorization": "Bearer t"}
    with (
        running(build_app(lore, token="t")) as url,
        httpx.Client(base_url=url, headers=headers) as client,
    ):
        params = {"project": "demo", "around": str(START + 60 * 5), "size": 2}
        got = client.get("/api/v1/timeline", params=params)
        assert got.status_code == 200, got.text
        assert [entry["event_id"] for entry in got.json()] == turns[5:7]
        assert client.get("/api/v1/timeline", params={"project": "demo"}).status_code == 422
