"""Async session operations: run at once when the session is free, else queued in the store,
validated against the state the queue leads to, and drained in order when the session frees up.

A queued operation that fails fails those after it (``preceding_op_failed``); an extraction
that fails fails them all (``extraction_failed``, from the engine). Outcomes are recorded;
callbacks, which cannot be stored, fire in the process that registered them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from lore.domain.episodes import OP_KINDS, PendingOp
from lore.errors import ConflictError, SessionError
from lore.sessions import states
from lore.sessions.callbacks import Callback, Callbacks, OpResult, Outcome, call
from lore.sessions.states import EXTRACTING, session_error

if TYPE_CHECKING:
    from lore.sessions.engine import SessionEngine


class OperationQueue:
    def __init__(self, engine: SessionEngine) -> None:
        self.engine = engine
        self.callbacks = Callbacks()

    def submit(
        self, session_id: int, op: str, args: dict[str, Any], callback: Callback | None
    ) -> int:
        """Run ``op`` now when the session is free, else queue it (validated against the state
        the queue leads to). Returns the operation's id; raises when it is rejected."""
        engine = self.engine
        if op not in OP_KINDS:
            raise session_error("invalid_operation", f"unknown operation {op!r}", session_id)
        with engine.session_lock(session_id):
            session = engine.store.sessions.get(session_id)
            queued = engine.store.ops.pending(session_id)
            if not queued and engine.busy(session) is None and session.state is not EXTRACTING:
                result = engine.run_operation(session_id, op, args, None)
                record = engine.store.ops.add(session_id, op, args, result=result)
                ran = True
            else:
                config = engine.config_of(session)
                if len(queued) >= config.max_pending_ops:
                    raise session_error(
                        "pending_queue_full",
                        f"{len(queued)} operations are queued (at most {config.max_pending_ops})",
                        session_id,
                    )
                states.check_queued(session.state, config.auto_commit, [q.op for q in queued], op)
                record = engine.store.ops.add(session_id, op, args)
                ran = False
                if callback is not None:
                    self.callbacks.add(record.id, callback)
        if ran:
            call(callback, OpResult(record.result or "", op, record.id))
        else:
            engine.wake()
        return record.id

    def drain(self, session_id: int) -> None:
        """Run the session's queued operations while it is free; stop at the first failure,
        failing the rest with ``preceding_op_failed``."""
        engine = self.engine
        while not engine.stopping:
            with engine.session_lock(session_id):
                session = engine.store.sessions.get(session_id)
                queued = engine.store.ops.pending(session_id)
                if not queued or engine.busy(session) or session.state is EXTRACTING:
                    return
                op = queued[0]
                outcomes, failed = self._run_queued(session_id, op)
            self.callbacks.deliver(outcomes)
            for op_id, outcome in outcomes:
                engine.notify(
                    "operation_finished", session, op_id=op_id, op=op.op, result=str(outcome)
                )
            if failed:
                return

    def _run_queued(self, session_id: int, op: PendingOp) -> tuple[list[tuple[int, Outcome]], bool]:
        engine = self.engine
        try:
            result = engine.run_operation(session_id, op.op, op.args, op.id)
        except ConflictError:
            return [], False  # another process ran it; look again
        except Exception as exc:
            reason = exc.reason if isinstance(exc, SessionError) else type(exc).__name__
            engine.store.ops.fail(op.id, reason, str(exc))
            later = engine.store.ops.fail_pending(
                session_id, "preceding_op_failed", f"operation {op.id} ({op.op}) failed: {exc}"
            )
            failures: list[tuple[int, Outcome]] = [(op.id, exc)]
            failures += [
                (
                    i,
                    session_error(
                        "preceding_op_failed",
                        f"operation {op.id} ({op.op}) failed first",
                        session_id,
                    ),
                )
                for i in later
            ]
            return failures, True
        return [(op.id, OpResult(result, op.op, op.id))], False

    def deliver_finished(self) -> None:
        """Call the callbacks of operations another process finished."""
        engine = self.engine
        waiting = self.callbacks.waiting()
        if not waiting:
            return
        outcomes: list[tuple[int, Outcome]] = []
        for op in engine.store.ops.get_many(waiting):
            if op.status == "done":
                outcomes.append((op.id, OpResult(op.result or "", op.op, op.id)))
            elif op.status == "failed":
                outcomes.append(
                    (op.id, session_error(op.reason or "error", op.error, op.session_id))
                )
        self.callbacks.deliver(outcomes)
