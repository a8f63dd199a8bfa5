"""The hook spool under concurrent writers and claims, and the step summaries."""

from __future__ import annotations

import threading
from pathlib import Path

from lore.integrations.claude_code import spool, steps


def test_no_record_is_lost_while_claims_rename_the_file(tmp_path: Path) -> None:
    path = spool.spool_file(tmp_path, "session-1")
    writers, per_writer = 4, 150
    claimed: list[Path] = []
    done = threading.Event()

    def write(writer: int) -> None:
        for index in range(per_writer):
            spool.append(path, {"writer": writer, "index": index})

    def claim_until_done() -> None:
        while not done.is_set():
            taken = spool.claim(path)
            if taken is not None:
                claimed.append(taken.rename(taken.with_name(f"taken-{len(claimed)}")))

    threads = [threading.Thread(target=write, args=(n,)) for n in range(writers)]
    claimer = threading.Thread(target=claim_until_done)
    claimer.start()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    done.set()
    claimer.join()
    rest = spool.claim(path)
    files = claimed + ([rest] if rest else [])
    seen = [(r["writer"], r["index"]) for f in files for r in spool.records(f)]
    assert sorted(seen) == [(w, i) for w in range(writers) for i in range(per_writer)]


def test_a_torn_last_line_is_skipped(tmp_path: Path) -> None:
    path = tmp_path / "s.jsonl"
    path.write_text('{"a": 1}\n{"b": 2}\n{"c": ')
    assert list(spool.records(path)) == [{"a": 1}, {"b": 2}]


def test_session_ids_become_safe_file_names(tmp_path: Path) -> None:
    assert spool.spool_file(tmp_path, "../../etc/passwd").parent == spool.spool_dir(tmp_path)


def test_results_are_summarised_per_shape() -> None:
    assert (
        steps.summarize_result("Bash", {"stdout": "ok\n", "stderr": "warn"}) == "ok\nstderr: warn"
    )
    assert steps.summarize_result("Write", {"type": "update", "filePath": "a.py"}) == "update a.py"
    assert steps.summarize_result("X", [{"type": "text", "text": "hi"}]) == "hi"
    assert steps.summarize_result("X", "y" * 900).endswith("…")
    assert len(steps.summarize_result("X", "y" * 900)) == steps.RESULT_CHARS
    assert steps.failed({"success": False}) and not steps.failed({"success": True})


def test_inputs_are_summarised_to_what_matters() -> None:
    grep = steps.summarize_input("Grep", {"pattern": "retry", "path": "src"})
    assert grep == "retry in src"
    assert steps.summarize_input("TodoWrite", {"todos": [1, 2]}) == "2 todos"
    assert steps.summarize_input("Read", {"file_path": "/r/a.py"}, "/r") == "a.py"
    assert (
        steps.summarize_input("Read", {"file_path": "/elsewhere/a.py"}, "/r") == "/elsewhere/a.py"
    )
