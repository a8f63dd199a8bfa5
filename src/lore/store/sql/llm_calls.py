"""Accounting of LLM calls: one row per call, totals grouped for jobs and the dashboard."""

from __future__ import annotations

import dataclasses
import time
from typing import Any

from lore.store.base import LLMCall, LLMUsage, UsageGroup
from lore.store.sql import Database

# The column each usage group is keyed by; days (UTC dates) are the dialect's.
_GROUP_KEYS: dict[str, str] = {
    "job": "job_id",
    "stage": "stage",
    "step": "step",
    "model": "model",
    "provider": "provider",
}


class SQLLLMCalls:
    def __init__(self, db: Database) -> None:
        self.db = db

    def add(self, call: LLMCall) -> LLMCall:
        created_at = call.created_at if call.created_at is not None else time.time()
        with self.db.write() as conn:
            row = conn.execute(
                "INSERT INTO llm_calls (project_id, job_id, stage, step, provider, model,"
                " prompt_tokens, completion_tokens, duration_ms, outcome, error, fallback_from,"
                " created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
                (
                    call.project_id,
                    call.job_id,
                    call.stage,
                    call.step,
                    call.provider,
                    call.model,
                    call.prompt_tokens,
                    call.completion_tokens,
                    call.duration_ms,
                    call.outcome,
                    call.error,
                    call.fallback_from,
                    created_at,
                ),
            ).fetchone()
        return dataclasses.replace(call, id=row[0], created_at=created_at)

    def recent(
        self,
        *,
        project_id: int | None = None,
        job_id: int | None = None,
        stage: str | None = None,
        limit: int = 100,
    ) -> list[LLMCall]:
        where, params = _filters(project_id=project_id, job_id=job_id, stage=stage)
        rows = self.db.conn.execute(
            f"SELECT * FROM llm_calls {where} ORDER BY id DESC LIMIT ?", (*params, limit)
        ).fetchall()
        return [_call_from_row(row) for row in rows]

    def usage(
        self,
        group_by: UsageGroup,
        *,
        project_id: int | None = None,
        job_id: int | None = None,
        since: float | None = None,
    ) -> list[LLMUsage]:
        key = self.db.dialect.utc_day("created_at") if group_by == "day" else _GROUP_KEYS[group_by]
        where, params = _filters(project_id=project_id, job_id=job_id, since=since)
        # Sums cast to integers: PostgreSQL sums integers as numeric.
        rows = self.db.conn.execute(
            f"SELECT {key} AS key, count(*) AS calls,"
            " CAST(sum(CASE WHEN outcome = 'error' THEN 1 ELSE 0 END) AS BIGINT) AS errors,"
            " CAST(sum(CASE WHEN outcome = 'fallback' THEN 1 ELSE 0 END) AS BIGINT) AS fallbacks,"
            " CAST(sum(prompt_tokens) AS BIGINT) AS prompt_tokens,"
            " CAST(sum(completion_tokens) AS BIGINT) AS completion_tokens,"
            " sum(duration_ms) AS duration_ms"
            f" FROM llm_calls {where} GROUP BY {key} ORDER BY {key}",
            params,
        ).fetchall()
        return [LLMUsage(**dict(row)) for row in rows]


def _filters(
    *,
    project_id: int | None = None,
    job_id: int | None = None,
    stage: str | None = None,
    since: float | None = None,
) -> tuple[str, tuple[Any, ...]]:
    """A WHERE clause (or nothing) for the filters that are set."""
    conditions = {
        "project_id = ?": project_id,
        "job_id = ?": job_id,
        "stage = ?": stage,
        "created_at >= ?": since,
    }
    used = {sql: value for sql, value in conditions.items() if value is not None}
    if not used:
        return "", ()
    return "WHERE " + " AND ".join(used), tuple(used.values())


def _call_from_row(row: Any) -> LLMCall:
    fields = {field.name for field in dataclasses.fields(LLMCall)}
    return LLMCall(**{name: value for name, value in dict(row).items() if name in fields})
