"""The local service in tests: wait for it, and stop it (and wait for it to go)."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

from lore.service import client


def wait_for(condition: Callable[[], object], seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    return True


def stop_service(home: Path) -> None:
    """Stop the home's service, waiting for one still starting; return once it is gone."""
    if not client.running(home):
        return
    if wait_for(client.socket_path(home).exists, 60):
        client.stop(home)
    assert wait_for(lambda: not client.running(home), 60), "the local service did not stop"
