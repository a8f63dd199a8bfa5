"""docs/pipeline.md keeps up with the pipeline's settings, commands, routes and stages."""

from __future__ import annotations

from pathlib import Path

from lore.config import PipelineSettings, ServiceSettings
from lore.domain.jobs import STAGES, TRIGGERS
from lore.server.api.jobs import router

DOC = (Path(__file__).parents[2] / "docs" / "pipeline.md").read_text()


def test_every_pipeline_setting_is_in_the_settings_table() -> None:
    assert [name for name in PipelineSettings.model_fields if f"| `{name}` |" not in DOC] == []


def test_every_service_setting_is_described() -> None:
    assert [name for name in ServiceSettings.model_fields if f"`{name}` (`" not in DOC] == []


def test_every_command_route_stage_and_trigger_is_documented() -> None:
    commands = [
        "lore enrich",
        "lore jobs",
        "lore jobs show",
        "lore retry",
        "lore worker",
        "lore status",
        "lore service start",
        "lore service stop",
        "lore bench pipeline",
    ]
    routes = [f"`{next(iter(r.methods))} /api/v1{r.path}" for r in router.routes]
    headings = {
        "enrich": "Enrich",
        "deep_enrich": "Deep Enrich",
        "embed": "Embed",
        "dedup": "Dedup",
        "drift": "Drift Check",
    }
    missing = [c for c in commands if c not in DOC] + [r for r in routes if r not in DOC]
    missing += [headings[name] for name in STAGES if f"### {headings[name]}\n" not in DOC]
    missing += [f"`{t}`" for t in TRIGGERS if f"`{t}`" not in DOC]
    assert missing == []
