"""docs/walkthrough.md runs as written: every shell block, in order, in one shell, against a live sandbox.

The test does what a reader does: ``make run`` (here: migrate, seed_demo, uvicorn and a
Celery worker in subprocesses, on SQLite and the filesystem broker), then pastes each
``sh`` block into the same bash session started in a directory laid out like the project
(``docs/``, ``.venv/``, ``var/``). After each block the output must contain the lines of
the block's *Expected* section in order (``...`` matches anything).
"""

from __future__ import annotations

import queue
import re
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from tests.live_server_support import (
    ROOT,
    free_port,
    processes_start,
    processes_stop,
    sandbox_env,
    sandbox_prepare,
)

pytestmark = pytest.mark.slow

WALKTHROUGH = ROOT / "docs" / "walkthrough.md"
BLOCK = re.compile(r"```sh\n(?P<script>.*?)```(?:\s*\nExpected:\s*\n+```text\n(?P<expected>.*?)```)?", re.S)


def walkthrough_blocks() -> list[tuple[str, list[str]]]:
    blocks = [(m["script"], [line for line in (m["expected"] or "").splitlines() if line.strip()])
              for m in BLOCK.finditer(WALKTHROUGH.read_text())]
    assert len(blocks) >= 10
    return blocks


def expected_pattern(line: str) -> re.Pattern:
    return re.compile(".*".join(re.escape(part) for part in line.strip().split("...")))


def missing_lines(expected: list[str], output: str) -> list[str]:
    """Expected lines not found in order among the output's lines (each a full-line match)."""
    lines, position, missing = output.splitlines(), 0, []
    for want in expected:
        pattern = expected_pattern(want)
        for index in range(position, len(lines)):
            if pattern.fullmatch(lines[index].strip()):
                position = index + 1
                break
        else:
            missing.append(want)
    return missing


class Shell:
    """One bash session; ``run`` sends a block and returns what it printed."""

    def __init__(self, cwd: Path, env: dict):
        self.proc = subprocess.Popen(["bash", "--noprofile", "--norc"], cwd=cwd, env=env, text=True,
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        self.lines: queue.Queue[str] = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self):
        for line in self.proc.stdout:
            self.lines.put(line)

    def run(self, script: str, timeout: float = 90) -> str:
        marker = f"__block_done_{time.monotonic_ns()}__"
        self.proc.stdin.write(f"{script}\necho {marker}\n")
        self.proc.stdin.flush()
        output, deadline = [], time.monotonic() + timeout
        while True:
            try:
                line = self.lines.get(timeout=max(deadline - time.monotonic(), 0.01))
            except queue.Empty:
                raise AssertionError(f"block did not finish in {timeout} s; so far:\n{''.join(output)}") from None
            if line.strip() == marker:
                return "".join(output)
            output.append(line)

    def close(self):
        self.proc.stdin.close()
        self.proc.terminate()
        self.proc.wait(timeout=10)


@pytest.fixture
def live_sandbox(tmp_path):
    # The reader's project directory: docs/ and .venv/ as in the checkout, var/ as make run leaves it.
    home = tmp_path / "project"
    home.mkdir()
    (home / "docs").symlink_to(ROOT / "docs")
    (home / ".venv").symlink_to(Path(sys.prefix))  # the virtualenv running the tests
    var = home / "var"
    env = sandbox_env(var)
    sandbox_prepare(var, env)
    port = free_port()
    processes = processes_start(env, port, tmp_path)
    try:
        yield home, env, port
    finally:
        processes_stop(processes)


def test_every_block_of_the_walkthrough_runs_as_written_with_the_expected_output(live_sandbox):
    home, env, port = live_sandbox
    shell = Shell(home, {**env, "BASE": f"http://127.0.0.1:{port}", "HOOK_PORT": str(free_port())})
    try:
        for number, (script, expected) in enumerate(walkthrough_blocks()):
            output = shell.run(script)
            assert not missing_lines(expected, output), (
                f"block {number} of docs/walkthrough.md:\n{script}\n--- printed:\n{output}\n"
                f"--- missing (in order): {missing_lines(expected, output)}")
    finally:
        shell.close()


def test_the_matcher_rejects_output_that_differs_from_the_expected_lines():
    assert missing_lines(["status=...", "code=invalid_state"], "status=409\ncode=invalid_state\n") == []
    assert missing_lines(["code=invalid_state", "status=..."], "status=409\ncode=invalid_state\n") == ["status=..."]
    assert missing_lines(["availableQuantity=450"], "availableQuantity=4500\n") == ["availableQuantity=450"]
