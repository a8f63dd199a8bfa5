"""Accounting of LLM calls: the LLM reports each call to a ``CallRecorder``; the store-backed
recorder adds the context (project, job, stage) and writes ``llm_calls``.

    recorder = StoreRecorder(store, project_id=project.id)
    llm = build_llm(settings, recorder=recorder.bind(job_id=job.id, stage="enrich"))
"""

from __future__ import annotations

import dataclasses
from typing import Protocol

from lore.store.base import LLMCall, Store

__all__ = ["CallRecorder", "LLMCall", "StoreRecorder"]


class CallRecorder(Protocol):
    def record(self, call: LLMCall) -> None: ...


class StoreRecorder:
    """Writes each call to ``store.llm_calls``, filling the context the call does not carry."""

    def __init__(
        self,
        store: Store,
        project_id: int | None = None,
        job_id: int | None = None,
        stage: str | None = None,
    ) -> None:
        self.store = store
        self.project_id = project_id
        self.job_id = job_id
        self.stage = stage

    def bind(
        self,
        *,
        project_id: int | None = None,
        job_id: int | None = None,
        stage: str | None = None,
    ) -> StoreRecorder:
        """A recorder with this one's context, where each given value replaces the current."""
        return StoreRecorder(
            self.store,
            project_id=project_id if project_id is not None else self.project_id,
            job_id=job_id if job_id is not None else self.job_id,
            stage=stage if stage is not None else self.stage,
        )

    def record(self, call: LLMCall) -> None:
        self.store.llm_calls.add(
            dataclasses.replace(
                call,
                project_id=call.project_id if call.project_id is not None else self.project_id,
                job_id=call.job_id if call.job_id is not None else self.job_id,
                stage=call.stage if call.stage is not None else self.stage,
            )
        )
