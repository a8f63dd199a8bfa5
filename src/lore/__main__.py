"""``python -m lore``: the ``lore`` command, for places that cannot rely on PATH (git hooks)."""

from lore.cli.main import app

app(prog_name="lore")
