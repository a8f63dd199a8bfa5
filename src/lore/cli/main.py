"""Entry point of the ``lore`` command: imports every command module, then exposes ``app``."""

import lore.cli.agents
import lore.cli.bench
import lore.cli.capture
import lore.cli.hooks
import lore.cli.items
import lore.cli.pipeline
import lore.cli.projects
import lore.cli.providers
import lore.cli.recall
import lore.cli.serve
import lore.cli.service
import lore.cli.sources  # noqa: F401
from lore.cli.app import app

__all__ = ["app"]
