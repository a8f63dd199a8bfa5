"""``lore status`` and ``lore service start|stop``: the local service and the enrichment queue."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import typer
from rich.table import Table

from lore.cli.app import app, console, handles_errors, open_lore, print_json, settings, when
from lore.core import Lore
from lore.domain.jobs import JobStatus
from lore.service import client

service_app = typer.Typer(help="The local service that runs enrichment.", no_args_is_help=True)
app.add_typer(service_app, name="service")

LAST_JOBS = 5
START_WAIT_S = 30.0


@app.command()
@handles_errors
def status(json_out: bool = typer.Option(False, "--json")) -> None:
    """The local service (pid, uptime), the enrichment queue and the last jobs.

    Example: lore status
    """
    home = settings().settings.home
    with open_lore() as lore:
        lore.jobs.ensure_runner()  # queued work with nobody to run it starts the service
        report = queue_report(lore)
    service = client.ask(home, {"op": "status"})
    report["service"] = service
    if json_out:
        print_json(report)
        return
    if service is None:
        console.print("service: not running (it starts when work is queued)")
    else:
        uptime = time.time() - float(service["started_at"])
        console.print(f"service: running, pid {service['pid']}, up {_duration(uptime)}")
    counts = report["jobs"]
    console.print(
        f"queue: {counts['queued']} queued, {counts['processing']} running,"
        f" {counts['failed']} failed, {counts['completed']} completed"
    )
    table = Table("job", "session", "trigger", "status", "items", "created", "error")
    for job in report["last_jobs"]:
        table.add_row(
            str(job["id"]),
            str(job["session_id"]),
            job["trigger"],
            job["status"],
            str(job["items"]),
            when(job["created_at"]),
            (job["error"] or "")[:40],
        )
    console.print(table)


def queue_report(lore: Lore) -> dict[str, Any]:
    counts = lore.store.overview.job_counts()
    last = lore.job_list(limit=LAST_JOBS)
    return {
        "jobs": {status.value: counts.get(status, 0) for status in JobStatus},
        "last_jobs": [
            {
                "id": job.id,
                "session_id": job.session_id,
                "trigger": job.trigger,
                "status": job.status.value,
                "items": job.items_extracted,
                "created_at": job.created_at,
                "error": job.error,
            }
            for job in last
        ],
    }


@service_app.command("start")
@handles_errors
def start() -> None:
    """Start the local service now (it also starts by itself when work is queued).

    Example: lore service start
    """
    loaded = settings().settings
    home = loaded.home
    if client.ask(home, {"op": "status"}) is None:
        client.spawn(home, str(Path.cwd()), loaded.database)
    deadline = time.monotonic() + START_WAIT_S
    while (answer := client.ask(home, {"op": "status"})) is None:
        if time.monotonic() > deadline:
            raise typer.Exit(_failed(home))
        time.sleep(0.1)
    console.print(f"service running, pid {answer['pid']}")


@service_app.command("stop")
@handles_errors
def stop() -> None:
    """Stop the local service (a job it was running is taken up again by the next one).

    Example: lore service stop
    """
    home = settings().settings.home
    console.print("service stopped" if client.stop(home) else "service: not running")


def _failed(home: Path) -> int:
    console.print(f"the service did not start: see {home / 'logs' / 'service.log'}")
    return 1


def _duration(seconds: float) -> str:
    minutes, secs = divmod(int(seconds), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}h{minutes:02d}m" if hours else f"{minutes}m{secs:02d}s"
