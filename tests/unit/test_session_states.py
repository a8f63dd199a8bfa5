"""The state machine as data: every operation in every state, and queue projection."""

from __future__ import annotations

import pytest

from lore import SessionError
from lore.domain import SessionState
from lore.sessions import states

IDLE, COLLECTING, EXTRACTING, READY, FAILED = (
    SessionState.IDLE,
    SessionState.COLLECTING,
    SessionState.EXTRACTING,
    SessionState.READY,
    SessionState.FAILED,
)

EXPECTED = {
    # operation: (idle, collecting, extracting, ready, failed); None = allowed
    "append": ("not_collecting", None, "extraction_in_progress", "not_idle", "session_failed"),
    "close": ("not_collecting", None, "extraction_in_progress", "not_idle", "session_failed"),
    "commit": ("not_ready", "not_ready", "extraction_in_progress", None, None),
    "discard": ("not_discardable", "not_discardable", "extraction_in_progress", None, None),
    "start_episode": (None, "not_idle", "extraction_in_progress", "not_idle", "session_failed"),
}


@pytest.mark.parametrize("operation", sorted(EXPECTED))
@pytest.mark.parametrize("index", range(5))
def test_every_operation_in_every_state(operation: str, index: int) -> None:
    state = (IDLE, COLLECTING, EXTRACTING, READY, FAILED)[index]
    reason = EXPECTED[operation][index]
    if reason is None:
        states.check(operation, state)
        return
    with pytest.raises(SessionError) as caught:
        states.check(operation, state, session_id=7)
    assert caught.value.reason == reason
    assert "session 7" in str(caught.value) and reason in str(caught.value)


def test_an_unknown_operation_is_invalid() -> None:
    with pytest.raises(SessionError) as caught:
        states.check("explode", IDLE)
    assert caught.value.reason == "invalid_operation"


def test_queued_operations_start_from_where_extraction_will_leave_the_session() -> None:
    assert states.projection_start(EXTRACTING, auto_commit=False) is READY
    assert states.projection_start(EXTRACTING, auto_commit=True) is IDLE
    assert states.projection_start(COLLECTING, auto_commit=True) is COLLECTING


def test_two_commits_in_a_row_are_rejected() -> None:
    states.check_queued(EXTRACTING, False, [], "commit")
    with pytest.raises(SessionError) as caught:
        states.check_queued(EXTRACTING, False, ["commit"], "commit")
    assert caught.value.reason == "invalid_queued_operation"


def test_a_chain_is_validated_step_by_step() -> None:
    chain = ["commit", "start_episode", "close", "commit", "start_episode"]
    for done in range(len(chain)):
        states.check_queued(EXTRACTING, False, chain[:done], chain[done])
    with pytest.raises(SessionError):
        states.check_queued(EXTRACTING, False, chain, "discard")


def test_auto_commit_makes_commit_invalid_but_start_episode_valid() -> None:
    with pytest.raises(SessionError) as caught:
        states.check_queued(EXTRACTING, True, [], "commit")
    assert caught.value.reason == "invalid_queued_operation"
    states.check_queued(EXTRACTING, True, [], "start_episode")
    # close under auto-commit also ends in idle, so a commit after it is invalid too
    with pytest.raises(SessionError):
        states.check_queued(COLLECTING, True, ["close"], "commit")
    states.check_queued(COLLECTING, False, ["close"], "commit")


def test_discard_cannot_follow_a_collecting_session() -> None:
    with pytest.raises(SessionError) as caught:
        states.check_queued(COLLECTING, False, [], "discard")
    assert caught.value.reason == "invalid_queued_operation"
