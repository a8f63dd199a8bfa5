"""Enrichment commands: ``enrich``, ``jobs``, ``jobs show``, ``retry`` and ``worker``.

These commands never leave a worker thread behind: a job runs in the local service (started
when a job is queued), in ``lore serve``, in ``lore worker``, or here in the foreground with
``--wait``.
"""

from __future__ import annotations

import signal
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn
from rich.table import Table

from lore.cli.app import app, console, err_console, handles_errors, open_lore, print_json, when
from lore.config import shown_database
from lore.core import Lore
from lore.domain.jobs import Job, JobStatus, StageRun
from lore.errors import ValidationError

if TYPE_CHECKING:
    from lore.pipeline.worker import Worker

jobs_app = typer.Typer(help="List and show enrichment jobs.", no_args_is_help=False)
app.add_typer(jobs_app, name="jobs")

WAIT_POLL_S = 0.2


@app.command()
@handles_errors
def enrich(
    session_id: int = typer.Argument(None, help="The session to enrich."),
    all_sessions: bool = typer.Option(
        False, "--all", help="Every session of the project with events not yet enriched."
    ),
    project: str = typer.Option(None, help="With --all: the project (default: this repository's)."),
    wait: bool = typer.Option(
        False, "--wait", help="Wait until every event asked about is enriched, showing progress."
    ),
    json_out: bool = typer.Option(False, "--json"),
) -> None:
    """Generate Memory: enrich a session's events not yet enriched.

    Whoever queued the jobs that cover those events (auto-learn, an agent, another command),
    --wait waits for them all, running them here when no one else does.

    Example: lore enrich 12 --wait; lore enrich --all --wait
    """
    if session_id is not None and all_sessions:
        raise ValidationError("give a SESSION or --all, not both", "session_id")
    if session_id is None and not all_sessions:
        raise ValidationError("give a SESSION to enrich, or --all for every session", "session_id")
    with open_lore() as lore:
        ids = [session_id] if session_id is not None else sessions_to_enrich(lore, project)
        if not ids:
            if not json_out:
                console.print("Nothing to enrich: every event is enriched and no job waits.")
            return
        jobs = [lore.enrich(sid) for sid in ids]
        if wait:
            jobs = wait_for_jobs(lore, jobs, quiet=json_out)
        if json_out:  # one job for a session, a list for --all
            print_json(job_json(jobs[0]) if session_id is not None else list(map(job_json, jobs)))
        for job in jobs:
            if not json_out and (wait or job.finished):
                show(job, json_out=False)
            elif not json_out:
                console.print(
                    f"Queued job {job.id} for session {job.session_id}: the local service runs"
                    f" it (`lore status` shows it; `lore enrich {job.session_id} --wait` waits)."
                )
        if any(job.status is JobStatus.FAILED for job in jobs):
            raise typer.Exit(1)


def sessions_to_enrich(lore: Lore, project: str | None) -> list[int]:
    """Sessions of the project holding events not yet enriched, or a job still to end;
    oldest first."""
    sessions = lore.sessions(lore.project(project), limit=10_000)
    return [
        s.id
        for s in reversed(sessions)
        if lore.store.events.unenriched(s.id) or pending(lore, s.id)
    ]


def pending(lore: Lore, session_id: int) -> bool:
    """A job of the session waits or runs (auto-learn may have queued one)."""
    return any(not job.finished for job in lore.job_list(session_id=session_id, limit=5))


def wait_for_jobs(lore: Lore, jobs: list[Job], *, quiet: bool) -> list[Job]:
    """Wait until every job has ended and its session has no event left to enrich (a job that
    ended while events were still arriving is followed by another). A worker runs here
    meanwhile, beside any other (claims are atomic); progress goes to the console."""
    lore.pipeline.start_worker()
    sessions = {job.session_id: job for job in jobs}
    total = sum(len(lore.store.events.unenriched(sid)) for sid in sessions) or len(sessions)
    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("events · {task.fields[rate]}"),
        TimeRemainingColumn(),
        console=console,
        disable=quiet,
        transient=True,
    ) as progress:
        task = progress.add_task("enriching", total=total, rate="")
        started = time.monotonic()
        while True:
            current = {sid: lore.job(job.id) for sid, job in sessions.items()}
            for sid, job in current.items():
                if job.status is JobStatus.COMPLETED and lore.store.events.unenriched(sid):
                    current[sid] = lore.enrich(sid)  # events came while it ran
            sessions = current
            left = sum(len(lore.store.events.unenriched(sid)) for sid in sessions)
            done = max(0, total - left)
            rate = done / max(time.monotonic() - started, 1e-6)
            running = [job for job in sessions.values() if not job.finished]
            description = _activity(running)
            progress.update(task, completed=done, rate=f"{rate:.0f}/s", description=description)
            if not running:
                return list(sessions.values())
            time.sleep(WAIT_POLL_S)


def _activity(running: list[Job]) -> str:
    if not running:
        return "done"
    job = running[0]
    stage = job.next_stage if job.status is JobStatus.PROCESSING else "queued"
    more = f" (+{len(running) - 1} jobs)" if len(running) > 1 else ""
    return f"job {job.id}: {stage}{more}"


@app.command()
@handles_errors
def retry(
    job_id: int = typer.Argument(..., help="A failed job."),
    wait: bool = typer.Option(False, "--wait", help="Run the job here and wait for its end."),
    json_out: bool = typer.Option(False, "--json"),
) -> None:
    """Run a failed job again from the stage that failed.

    Example: lore retry 7 --wait
    """
    with open_lore() as lore:
        finish_here(lore, lore.retry_job(job_id), wait, json_out)


@app.command()
@handles_errors
def worker(
    name: str = typer.Option(None, help="Worker name in job leases (default host:pid:random)."),
    until_idle: bool = typer.Option(False, "--until-idle", help="Stop when no job is due."),
) -> None:
    """Run enrichment jobs until stopped. Several workers may share one database.

    Ctrl-C or SIGTERM hands the running job back after its current stage (it resumes there);
    a second one stops at once (the job's lease then frees it).

    Example: lore worker --until-idle
    """
    with open_lore() as lore:
        runner = lore.pipeline.worker(name)
        console.print(f"worker {runner.name} on {shown_database(lore.settings.database)}")
        try:
            with _stop_on_signals(runner):
                ran = runner.run(until_idle=until_idle)
        except KeyboardInterrupt:
            ran = None
    if ran is not None:
        console.print(f"ran {ran} jobs")


@contextmanager
def _stop_on_signals(runner: Worker) -> Iterator[None]:
    """The first SIGINT or SIGTERM asks the worker to stop between stages; the second is an
    interrupt."""
    asked = False

    def stop(signum: int, frame: object) -> None:
        nonlocal asked
        if asked:
            raise KeyboardInterrupt
        asked = True
        err_console.print(
            f"{signal.Signals(signum).name}: handing the job back after its current stage"
            " (again to stop now)"
        )
        runner.stop(timeout=0)

    previous = {sig: signal.signal(sig, stop) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


@jobs_app.callback(invoke_without_command=True)
@handles_errors
def list_jobs(
    ctx: typer.Context,
    project: str = typer.Option(None, help="Project name (default: all projects)."),
    session: int = typer.Option(None, help="Jobs of one session."),
    status: str = typer.Option(None, help="queued, processing, completed or failed."),
    limit: int = typer.Option(30, min=1),
    json_out: bool = typer.Option(False, "--json"),
) -> None:
    """List enrichment jobs, newest first. Example: lore jobs --status failed"""
    if ctx.invoked_subcommand is not None:
        return
    with open_lore() as lore:
        found = lore.job_list(project, session_id=session, status=status, limit=limit)
    if json_out:
        print_json([job_json(job) for job in found])
        return
    table = Table("id", "session", "trigger", "status", "next stage", "tries", "items", "error")
    for job in found:
        table.add_row(
            str(job.id),
            str(job.session_id),
            job.trigger,
            job.status.value,
            job.next_stage or "",
            f"{job.attempts}/{job.max_attempts}",
            str(job.items_extracted),
            (job.error or "")[:40],
        )
    console.print(table)


@jobs_app.command("show")
@handles_errors
def show_job(
    job_id: int = typer.Argument(...),
    json_out: bool = typer.Option(False, "--json"),
) -> None:
    """Show a job: each stage's status, time, tokens, items and errors (with tracebacks).

    Example: lore jobs show 7
    """
    with open_lore() as lore:
        job = lore.job(job_id)
    show(job, json_out, details=True)


def finish_here(lore: Lore, job: Job, wait: bool, json_out: bool) -> Job:
    """With ``wait``, wait for the job's end (running it here if no one else does); show it;
    exit 1 if it failed."""
    if wait:
        [job] = wait_for_jobs(lore, [job], quiet=json_out)
    show(job, json_out)
    if job.status is JobStatus.FAILED:
        raise typer.Exit(1)
    return job


def job_json(job: Job) -> dict[str, object]:
    return job.model_dump(mode="json") | {"tokens": job.tokens, "llm_calls": job.llm_calls}


def show(job: Job, json_out: bool, *, details: bool = False) -> None:
    if json_out:
        print_json(job_json(job))
        return
    console.print(
        f"[bold]Job {job.id}[/] · session {job.session_id} · {job.trigger} · {job.status.value}"
        f" · attempt {job.attempts}/{job.max_attempts} · {job.items_extracted} items"
        f" · {job.llm_calls} LLM calls · {job.tokens} tokens · created {when(job.created_at)}"
    )
    table = Table("stage", "status", "ms", "calls", "tokens", "items", "note")
    for stage in job.stages:
        table.add_row(
            stage.name,
            stage.status.value,
            f"{stage.duration_ms:.0f}" if stage.duration_ms is not None else "",
            str(stage.llm_calls),
            str(stage.tokens),
            str(stage.items),
            stage.note or "",
        )
    console.print(table)
    for stage in job.stages:
        _print_error(stage, details)
    if job.error and not any(stage.error for stage in job.stages):
        console.print(f"[red]error:[/] {job.error}")


def _print_error(stage: StageRun, details: bool) -> None:
    if not stage.error:
        return
    console.print(f"[red]{stage.name} failed:[/] {stage.error}")
    if details and stage.error_detail:
        console.print(stage.error_detail, markup=False)
