"""docs/recall.md keeps up with recall's settings, routes and commands."""

from __future__ import annotations

from pathlib import Path

from lore.config import RecallSettings
from lore.server.api.recall import router

DOC = (Path(__file__).parents[2] / "docs" / "recall.md").read_text()


def test_every_recall_setting_is_in_the_settings_table() -> None:
    assert [name for name in RecallSettings.model_fields if f"| `{name}` |" not in DOC] == []


def test_every_route_and_command_is_documented() -> None:
    routes = {f"/api/v1{route.path}" for route in router.routes}  # type: ignore[attr-defined]
    commands = ["lore search", "lore brain", "lore context", "lore ask"]
    assert [item for item in [*routes, *commands] if item not in DOC] == []
