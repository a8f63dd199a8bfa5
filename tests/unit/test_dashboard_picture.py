"""The neighbourhood picture's layout: nodes on an ellipse around the item, labels on the outer
side, links where a node has a page, and a legend in group order."""

from __future__ import annotations

from lore.items import Neighbour
from lore.server.web.picture import MOST_SHOWN, RADIUS_X, neighbourhood


def test_nodes_go_round_the_item_with_their_labels_outside() -> None:
    neighbours = [
        Neighbour(group="tag", title="auth", kind="tag", node_id=1),
        Neighbour(group="related", title="Keys rotate monthly", kind="semantic", node_id=2),
        Neighbour(group="intent", title="log people in", kind="intent", node_id=3),
        Neighbour(group="evidence", title="Session 7", kind="session", session_id=7),
    ]
    picture = neighbourhood("Auth uses JWT", neighbours, "shop api")
    top, right, bottom, left = picture.nodes
    cx, cy = picture.centre_x, picture.centre_y
    assert (top.x, right.y, bottom.x, left.y) == (cx, cy, cx, cy)
    assert top.y < cy < bottom.y and left.x == cx - RADIUS_X and right.x == cx + RADIUS_X
    assert (top.anchor, right.anchor, bottom.anchor, left.anchor) == (
        "middle",
        "start",
        "middle",
        "end",
    )
    assert top.label_y < top.y and bottom.label_y > bottom.y  # above and below
    assert right.label_x > right.x and left.label_x < left.x  # beside, outward
    assert top.label_y >= 0 and bottom.label_y <= picture.height
    assert [n.href for n in picture.nodes] == [
        "/projects/shop%20api/brain?q=auth",
        "/items/2",
        None,  # an intent has no page
        "/sessions/7",
    ]
    assert [(e.group, e.count) for e in picture.legend] == [
        ("tag", 1),
        ("intent", 1),
        ("related", 1),
        ("evidence", 1),
    ]


def test_long_titles_are_cut_and_crowds_are_capped_with_a_count() -> None:
    many = [
        Neighbour(group="related", title=f"A rather long title number {n} about it all",
                  kind="semantic", node_id=n)
        for n in range(MOST_SHOWN + 5)
    ]  # fmt: skip
    picture = neighbourhood("x" * 80, many, "p")
    assert len(picture.nodes) == MOST_SHOWN and picture.left_out == 5
    assert picture.legend[0].count == MOST_SHOWN + 5  # the legend counts every one
    assert picture.centre_label.endswith("…") and len(picture.centre_label) <= 30
    assert picture.nodes[1].label.endswith("…")
    assert picture.nodes[1].title == "related item: A rather long title number 1 about it all"
    assert picture.height > neighbourhood("x", many[:2], "p").height  # a crowd takes more room
