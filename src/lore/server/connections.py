"""``lore serve`` under many, slow or idle connections: it refuses, it never dies.

uvicorn closes a keep-alive connection that stays idle after a response, but waits for ever
on a client that sends its request headers slowly (or never finishes them), and each such
connection holds a file descriptor: enough of them and accept() fails. The protocol here adds
what is missing, on uvicorn's own HTTP/1.1 protocol:

- a connection that has not sent a whole request head within ``header_timeout_s`` of opening
  (or of its last response) is closed;
- past ``max_connections`` open at once, a new connection is closed at once;
- ``raise_open_files_limit`` lifts the process's soft limit on open files to its hard limit,
  so the cap above is reached long before the system's.
"""

from __future__ import annotations

import asyncio
import resource
from typing import Any

from uvicorn.protocols.http.h11_impl import H11Protocol

# How many open files the server asks for (the soft limit is raised up to the hard one).
OPEN_FILES = 65_536


def guarded_protocol(header_timeout_s: float, max_connections: int) -> type[H11Protocol]:
    """uvicorn's HTTP/1.1 protocol with a deadline for request heads and a connection cap."""

    class GuardedProtocol(H11Protocol):
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            self._head_deadline: asyncio.TimerHandle | None = None

        def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
            super().connection_made(transport)
            if len(self.connections) > max_connections:
                transport.close()  # refused: the server keeps serving the others
                return
            self._await_head()

        def on_response_complete(self) -> None:
            super().on_response_complete()
            self._await_head()

        def connection_lost(self, exc: Exception | None) -> None:
            if self._head_deadline is not None:
                self._head_deadline.cancel()
            super().connection_lost(exc)

        def _await_head(self) -> None:
            if self._head_deadline is not None:
                self._head_deadline.cancel()
            self._head_deadline = self.loop.call_later(header_timeout_s, self._head_late)

        def _head_late(self) -> None:
            """Close the connection unless a request is under way (its head has arrived)."""
            waiting = self.cycle is None or self.cycle.response_complete
            if waiting and not self.transport.is_closing():
                self.transport.close()

    return GuardedProtocol


def raise_open_files_limit() -> int:
    """The soft limit on open files, raised towards ``OPEN_FILES`` within the hard limit."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    wanted = OPEN_FILES if hard == resource.RLIM_INFINITY else min(OPEN_FILES, hard)
    if soft != resource.RLIM_INFINITY and soft < wanted:
        resource.setrlimit(resource.RLIMIT_NOFILE, (wanted, hard))
        soft = wanted
    return soft
