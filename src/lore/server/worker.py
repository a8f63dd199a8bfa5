"""The in-process worker of ``lore serve``: enrichment jobs run in a thread of the server,
started with the app and stopped with it (``server.run_worker``; a job it was running when
stopped is taken up again once its lease runs out)."""

from __future__ import annotations

from fastapi import FastAPI

from lore.core import Lore


def extend(app: FastAPI, lore: Lore) -> None:
    if not lore.settings.server.run_worker:
        return

    def start() -> None:
        lore.pipeline.start_worker()

    def stop() -> None:
        lore.pipeline.close()

    app.state.on_startup.append(start)
    app.state.on_shutdown.append(stop)
