"""How the dashboard names and groups things: source labels and icons, confidence bands, stage
labels. Pure functions over plain values, shared by every view and by the Jinja filters."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel

ConfidenceBand = Literal["high", "moderate", "lower", "low"]

# Lower bounds of the confidence bands, highest first (the thresholds).
BANDS: tuple[tuple[float, ConfidenceBand], ...] = ((0.9, "high"), (0.7, "moderate"), (0.5, "lower"))

# Capture sources the dashboard knows by name: label and icon (an id in static/icons.svg).
KNOWN_SOURCES: dict[str, tuple[str, str]] = {
    "mcp": ("MCP", "mcp"),
    "cli": ("CLI", "cli"),
    "vscode": ("VS Code", "vscode"),
    "scan": ("Scan", "scan"),
    "git": ("Git", "git"),
    "claude-code": ("Claude Code", "claude-code"),
}
# Spellings clients use for the same sources.
SOURCE_ALIASES = {"claude_code": "claude-code", "claude": "claude-code", "vs-code": "vscode"}

STAGE_LABELS = {
    "enrich": "Enrich",
    "deep_enrich": "Deep Enrich",
    "embed": "Embed",
    "dedup": "Dedup",
    "drift": "Drift Check",
}


class SourceView(BaseModel):
    name: str
    label: str
    icon: str


def source_view(name: str) -> SourceView:
    """The label and icon of a capture source; unknown sources keep their own name."""
    known = KNOWN_SOURCES.get(SOURCE_ALIASES.get(name, name))
    if known is None:
        return SourceView(name=name, label=name, icon="source")
    label, icon = known
    return SourceView(name=name, label=label, icon=icon)


def confidence_band(confidence: float | None) -> ConfidenceBand | None:
    """high ≥ 0.9, moderate ≥ 0.7, lower ≥ 0.5, else low; None when there is no confidence."""
    if confidence is None:
        return None
    return next((band for floor, band in BANDS if confidence >= floor), "low")


def stage_label(name: str) -> str:
    return STAGE_LABELS.get(name, name.replace("_", " ").title())
