"""``lore serve``: the REST API (and whatever else is mounted) on 127.0.0.1."""

from __future__ import annotations

import ipaddress
import logging
import socket

import typer

from lore.cli.app import app, console, err_console, handles_errors, settings
from lore.core import Lore
from lore.errors import ValidationError


@app.command()
@handles_errors
def serve(
    host: str = typer.Option(None, help="Address to bind (default 127.0.0.1)."),
    port: int = typer.Option(None, min=1, max=65535, help="Port (default 8765)."),
    expose: bool = typer.Option(
        False, "--expose", help="Allow an address other machines can reach (loopback otherwise)."
    ),
) -> None:
    """Serve the REST API, dashboard and MCP endpoint.

    Example: lore serve --port 8765
    """
    import uvicorn

    from lore.server import build_app
    from lore.server.connections import guarded_protocol, raise_open_files_limit

    loaded = settings()
    server = loaded.settings.server
    host, port = host or server.host, port or server.port
    if not is_loopback(host):
        if not expose:
            raise ValidationError(
                f"{host} can be reached from other machines; pass --expose if that is meant",
                "host",
            )
        err_console.print(
            f"[yellow]warning:[/] serving on {host}: anyone who can reach it and has the token"
            " can read and change this memory; traffic is not encrypted"
        )
    raise_open_files_limit()
    # A plain handler before the MCP SDK installs rich's, which imports a module (opens a file)
    # to format an error: out of file descriptors, that fails inside asyncio's accept loop and
    # the server stops accepting for good.
    logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(levelname)s %(message)s")
    listening = listen(host, port)  # a busy port fails here, before anything says "serving"
    config = uvicorn.Config(
        build_app(Lore.open(settings=loaded)),
        log_level="warning",
        http=guarded_protocol(server.header_timeout_s, server.max_connections),
        timeout_keep_alive=server.idle_timeout_s,
    )
    console.print(f"lore serving on http://{host}:{port} (API docs at /docs; token: `lore token`)")
    uvicorn.Server(config).run(sockets=[listening])


def listen(host: str, port: int) -> socket.socket:
    """A socket bound to ``host``:``port`` and listening, or a clear error when it cannot be."""
    try:
        family, kind, proto, _, address = socket.getaddrinfo(
            host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE
        )[0]
        listening = socket.socket(family, kind, proto)
        listening.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listening.bind(address)
        listening.listen(2048)
    except OSError as exc:
        reason = exc.strerror or str(exc)
        raise ValidationError(f"cannot serve on {host}:{port}: {reason}", "port") from None
    listening.set_inheritable(True)
    return listening


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False  # a name other than localhost may resolve anywhere
