"""An item's neighbourhood as a picture: the item in the middle and the nodes linked to it on
an ellipse around it, grouped by how they stand to it, laid out on the server as SVG
coordinates (no script, and the same picture without JavaScript)."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Literal
from urllib.parse import quote

from pydantic import BaseModel

from lore.domain.graph import ITEM_KINDS
from lore.items import NEIGHBOUR_GROUPS, Neighbour, NeighbourGroup

# Drawing units of the SVG's view box; the picture scales to its frame (which scrolls on a
# narrow screen rather than shrinking the labels away). The ellipse is as tall as the number of
# nodes needs (from RADIUS_Y_FEW up to RADIUS_Y_MANY at CROWDED nodes), with MARGIN above and
# below it for the labels.
WIDTH = 900.0
CENTRE_X = WIDTH / 2
RADIUS_X = 250.0
RADIUS_Y_FEW, RADIUS_Y_MANY, CROWDED = 80.0, 160.0, 12
MARGIN = 50.0
# A label starts this far from its node, is cut to this many characters (the whole title is
# its tooltip), and at most this many neighbours are drawn (the lists below hold every one).
LABEL_GAP = 12.0
LABEL_CHARS = 30
MOST_SHOWN = 24
GROUP_LABELS: dict[NeighbourGroup, str] = {
    "tag": "tag",
    "intent": "intent",
    "subgoal": "subgoal",
    "related": "related item",
    "sibling": "sibling item",
    "supersedes": "what it supersedes",
    "superseded_by": "what supersedes it",
    "evidence": "evidence (sessions, steps)",
}


class PictureNode(BaseModel):
    x: float
    y: float
    label: str
    title: str
    group: NeighbourGroup
    href: str | None
    anchor: Literal["start", "middle", "end"]
    label_x: float
    label_y: float


class LegendEntry(BaseModel):
    group: NeighbourGroup
    label: str
    count: int


class Picture(BaseModel):
    width: float
    height: float
    centre_x: float
    centre_y: float
    centre_label: str
    nodes: list[PictureNode]
    legend: list[LegendEntry]
    left_out: int


def neighbourhood(title: str, neighbours: Sequence[Neighbour], project: str) -> Picture:
    shown = list(neighbours)[:MOST_SHOWN]
    radius_y = RADIUS_Y_FEW + (RADIUS_Y_MANY - RADIUS_Y_FEW) * min(1.0, len(shown) / CROWDED)
    centre_y = radius_y + MARGIN
    nodes = [
        _placed(neighbour, index, len(shown), (centre_y, radius_y), project)
        for index, neighbour in enumerate(shown)
    ]
    legend = [
        LegendEntry(group=group, label=GROUP_LABELS[group], count=count)
        for group in NEIGHBOUR_GROUPS
        if (count := sum(1 for n in neighbours if n.group == group))
    ]
    return Picture(
        width=WIDTH,
        height=round(2 * centre_y, 1),
        centre_x=CENTRE_X,
        centre_y=round(centre_y, 1),
        centre_label=_cut(title),
        nodes=nodes,
        legend=legend,
        left_out=len(neighbours) - len(shown),
    )


def _placed(
    neighbour: Neighbour, index: int, count: int, ellipse: tuple[float, float], project: str
) -> PictureNode:
    """The ``index``-th of ``count`` nodes around the ellipse (its centre's height and its
    vertical radius), clockwise from the top, its label on the outer side (beside it left and
    right, above or below it at the poles)."""
    centre_y, radius_y = ellipse
    angle = -math.pi / 2 + 2 * math.pi * index / count
    cos, sin = math.cos(angle), math.sin(angle)
    x, y = CENTRE_X + RADIUS_X * cos, centre_y + radius_y * sin
    anchor: Literal["start", "middle", "end"] = "middle"
    label_x, label_y = x, y + (LABEL_GAP + 6 if sin > 0 else -LABEL_GAP)
    if abs(cos) > 0.25:
        anchor = "start" if cos > 0 else "end"
        label_x, label_y = x + math.copysign(LABEL_GAP, cos), y + 4
    return PictureNode(
        x=round(x, 1),
        y=round(y, 1),
        label=_cut(neighbour.title),
        title=f"{GROUP_LABELS[neighbour.group]}: {neighbour.title}",
        group=neighbour.group,
        href=_href(neighbour, project),
        anchor=anchor,
        label_x=round(label_x, 1),
        label_y=round(label_y, 1),
    )


def _href(neighbour: Neighbour, project: str) -> str | None:
    """Items open their page, tags search the brain, sessions open theirs; intents, subgoals
    and steps have no page of their own."""
    if neighbour.session_id is not None:
        return f"/sessions/{neighbour.session_id}"
    if neighbour.kind in ITEM_KINDS:
        return f"/items/{neighbour.node_id}"
    if neighbour.kind == "tag":
        return f"/projects/{quote(project)}/brain?q={quote(neighbour.title)}"
    return None


def _cut(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= LABEL_CHARS else text[: LABEL_CHARS - 1].rstrip() + "…"
