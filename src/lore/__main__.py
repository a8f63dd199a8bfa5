"""``python -m lore``: the same as the ``lore`` executable."""

from lore.cli.entry import main

main()
