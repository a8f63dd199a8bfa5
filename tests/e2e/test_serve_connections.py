"""`lore serve` as a process under slow and too many connections, with few file descriptors:
slow request heads are cut off, connections past the cap are refused, running out of file
descriptors pauses accepting, and the server answers again once the pressure is gone."""

from __future__ import annotations

import contextlib
import os
import resource
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager

import httpx
import pytest

from lore.bench.serving import free_port

PARTIAL_HEAD = b"GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: "


@contextmanager
def served(open_files: int, max_connections: int) -> Iterator[str]:
    port = free_port()
    env = os.environ | {
        "LORE_SERVER__HEADER_TIMEOUT_S": "1",
        "LORE_SERVER__MAX_CONNECTIONS": str(max_connections),
        "LORE_SERVER__RUN_WORKER": "0",
    }

    def few_files() -> None:
        resource.setrlimit(resource.RLIMIT_NOFILE, (open_files, open_files))

    process = subprocess.Popen(
        [sys.executable, "-m", "lore", "serve", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        preexec_fn=few_files,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        assert healthy(url, within_s=60), "the server did not start"
        yield url
        assert process.poll() is None, "the server died"
    finally:
        process.terminate()
        process.wait(timeout=30)


def healthy(url: str, within_s: float) -> bool:
    deadline = time.monotonic() + within_s
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{url}/health", timeout=2).status_code == 200:
                return True
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    return False


def slow_clients(url: str, count: int) -> list[socket.socket]:
    port = int(url.rsplit(":", 1)[1])
    opened = []
    for _ in range(count):
        client = socket.create_connection(("127.0.0.1", port), timeout=5)
        client.sendall(PARTIAL_HEAD)
        opened.append(client)
    return opened


def closed_by_server(client: socket.socket, within_s: float) -> bool:
    client.settimeout(within_s)
    try:
        return client.recv(1024) == b""
    except TimeoutError:
        return False
    except ConnectionResetError:
        return True


def test_a_slow_request_head_is_cut_off() -> None:
    with served(open_files=1024, max_connections=512) as url:
        [client] = slow_clients(url, 1)
        assert closed_by_server(client, within_s=5)
        client.close()


def test_connections_past_the_cap_are_refused_and_the_rest_still_served() -> None:
    with served(open_files=1024, max_connections=20) as url:
        clients = slow_clients(url, 60)
        refused = sum(closed_by_server(client, within_s=0.5) for client in clients[20:])
        assert refused >= 30
        for client in clients:
            client.close()
        assert healthy(url, within_s=10)


@pytest.mark.slow
def test_running_out_of_file_descriptors_pauses_accepting_and_never_kills() -> None:
    with served(open_files=160, max_connections=100_000) as url:
        clients: list[socket.socket] = []
        with contextlib.suppress(OSError):  # the backlog is full: connecting waits or fails
            clients = slow_clients(url, 300)  # more than the server can hold open
        time.sleep(2)
        for client in clients:
            client.close()
        assert healthy(url, within_s=20)
