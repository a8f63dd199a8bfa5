"""Enrichment commands: ``enrich``, ``jobs``, ``jobs show``, ``retry`` and ``worker``.

These commands never leave a worker thread behind: a job runs in the local service (started
when a job is queued), in ``lore serve``, in ``lore worker``, or here in the foreground with
``--wait``.
"""

from __future__ import annotations

import time

import typer
from rich.table import Table

from lore.cli.app import app, console, handles_errors, open_lore, print_json, when
from lore.core import Lore
from lore.domain.jobs import Job, StageRun
from lore.errors import ValidationError
from lore.pipeline.service import Pipeline

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
    wait: bool = typer.Option(False, "--wait", help="Run the job here and wait for its end."),
    json_out: bool = typer.Option(False, "--json"),
) -> None:
    """Generate Memory: enrich a session's events not yet enriched.

    Example: lore enrich 12 --wait; lore enrich --all --wait
    """
    if (session_id is None) == (not all_sessions):
        raise ValidationError("give a SESSION or --all, not both", "session_id")
    with open_lore() as lore:
        ids = [session_id] if session_id is not None else sessions_to_enrich(lore, project)
        if not ids and not json_out:
            console.print("Nothing to enrich: every event is enriched already.")
        for sid in ids:
            job = finish_here(lore, lore.enrich(sid), wait, json_out)
            if not (wait or json_out or job.finished):
                console.print(
                    f"Queued job {job.id}: the local service runs it"
                    f" (`lore status` shows it; `lore enrich {sid} --wait` waits for it)."
                )


def sessions_to_enrich(lore: Lore, project: str | None) -> list[int]:
    """Sessions of the project holding events no job has enriched or will, oldest first."""
    sessions = lore.sessions(lore.project(project), limit=10_000)
    return [
        s.id
        for s in reversed(sessions)
        if lore.store.events.unenriched(s.id) and not pending(lore, s.id)
    ]


def pending(lore: Lore, session_id: int) -> bool:
    """A job of the session waits or runs (auto-learn may have queued one)."""
    return any(not job.finished for job in lore.job_list(session_id=session_id, limit=5))


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
    """Run enrichment jobs until stopped (Ctrl-C). Several workers may share one database.

    Example: lore worker --until-idle
    """
    with open_lore() as lore:
        runner = lore.pipeline.worker(name)
        console.print(f"worker {runner.name} on {lore.settings.db_path}")
        try:
            ran = runner.run(until_idle=until_idle)
        except KeyboardInterrupt:
            ran = None
    if ran is not None:
        console.print(f"ran {ran} jobs")


@jobs_app.callback(invoke_without_command=True)
@handles_errors
def list_jobs(
    ctx: typer.Context,
    project: str = typer.Option(None, help="Project name (default: all projects)."),
    session: int = typer.Option(None, help="Jobs of one session."),
    status: str = typer.Option(None, help="queued, processing, completed or failed."),
    limit: int = typer.Option(30),
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
    """With ``wait``, run the job in the foreground to its end; show it; exit 1 if it failed."""
    if wait:
        job = run_until_finished(lore.pipeline, job.id)
    show(job, json_out)
    if job.status.value == "failed":
        raise typer.Exit(1)
    return job


def run_until_finished(pipeline: Pipeline, job_id: int) -> Job:
    """Work in the foreground until the job ends (another worker may be running it)."""
    runner = pipeline.worker()
    while True:
        job = pipeline.jobs.get(job_id)
        if job.finished:
            return job
        if runner.run_once() is None:
            time.sleep(WAIT_POLL_S)


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
