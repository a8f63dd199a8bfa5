"""The local service: one process per lore home that keeps lore loaded, runs enrichment jobs and
answers the hooks, the stdio MCP server and the CLI over a Unix socket.

``client`` is what callers use (standard library only: a hook imports it on its hot path);
``daemon`` is the service itself. Nothing is imported here, so importing the client stays cheap.
"""
