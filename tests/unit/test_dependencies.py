"""Native dependencies that must load together in one process, in any order."""

from __future__ import annotations

import subprocess
import sys

import pytest


@pytest.mark.parametrize(
    "first, second", [("usearch.index", "onnxruntime"), ("onnxruntime", "usearch.index")]
)
def test_the_ann_library_and_the_model_runtime_load_in_either_order(
    first: str, second: str
) -> None:
    # usearch 2.26.2 to 2.26.6 crash the interpreter when onnxruntime loads after them.
    loaded = subprocess.run(
        [sys.executable, "-c", f"import {first}; import {second}"], capture_output=True
    )
    assert loaded.returncode == 0, loaded.stderr.decode()[-2000:]
