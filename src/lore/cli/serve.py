"""``lore serve``: the REST API (and whatever else is mounted) on 127.0.0.1."""

from __future__ import annotations

import typer

from lore.cli.app import app, console, handles_errors, open_lore


@app.command()
@handles_errors
def serve(
    host: str = typer.Option(None, help="Address to bind (default 127.0.0.1)."),
    port: int = typer.Option(None, help="Port (default 8765)."),
) -> None:
    """Serve the REST API, dashboard and MCP endpoint.

    Example: lore serve --port 8765
    """
    import uvicorn

    from lore.server import build_app

    lore = open_lore()
    server = lore.settings.server
    app_ = build_app(lore)
    host, port = host or server.host, port or server.port
    console.print(f"lore serving on http://{host}:{port} (API docs at /docs; token: `lore token`)")
    uvicorn.run(app_, host=host, port=port, log_level="warning")
