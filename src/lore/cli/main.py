"""Entry point of the ``lore`` command: imports every command module, then exposes ``app``."""

import lore.cli.capture
import lore.cli.projects
import lore.cli.serve  # noqa: F401
from lore.cli.app import app

__all__ = ["app"]
