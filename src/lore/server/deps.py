"""What route functions receive: the ``Lore`` of the app."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from lore.core import Lore


def get_lore(request: Request) -> Lore:
    lore: Lore = request.app.state.lore
    return lore


LoreDep = Annotated[Lore, Depends(get_lore)]
