"""A real ``lore serve`` in a subprocess on a free port of 127.0.0.1, for the HTTP benchmarks
and the tests and scripts that drive the server as a user would."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import IO

import httpx

START_TIMEOUT_S = 30.0
STOP_TIMEOUT_S = 15.0


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@contextmanager
def lore_serve_process(
    env: Mapping[str, str], *, cwd: Path | None = None, log: IO[bytes] | None = None
) -> Iterator[str]:
    """``lore serve`` with ``env`` until the block ends; yields its base URL once it answers.
    Its output goes to ``log``; without one, an early exit reports what it wrote to stderr."""
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "lore", "serve", "--port", str(port)],
        env=dict(env),
        cwd=cwd,
        stdin=subprocess.DEVNULL,
        stdout=log or subprocess.DEVNULL,
        stderr=subprocess.STDOUT if log else subprocess.PIPE,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_until_up(url, process)
        yield url
    finally:
        process.terminate()
        try:
            process.wait(timeout=STOP_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _wait_until_up(url: str, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        if process.poll() is not None:
            error = process.stderr.read().decode(errors="replace") if process.stderr else ""
            raise RuntimeError(f"lore serve exited with {process.returncode}: {error[-2000:]}")
        try:
            if httpx.get(url + "/health", timeout=1.0).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    raise RuntimeError(f"lore serve did not answer on {url} within {START_TIMEOUT_S} s")
