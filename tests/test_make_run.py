"""`make run`'s processes start without avoidable warnings and Ctrl-C stops all three within seconds.

The processes are the Procfile's, started by honcho as `make run` starts them, on a sandbox
prepared as `make run` prepares it (tests/live_server_support.py). Ctrl-C in a terminal is
SIGINT to the whole foreground process group, so the test sends exactly that.
"""

from __future__ import annotations

import os
import signal
import subprocess
import time

import httpx
import pytest

from tests.live_server_support import BIN, ROOT, free_port, sandbox_env, sandbox_prepare

pytestmark = pytest.mark.slow

# Not the project's to avoid: Celery's warning when the tests run as root (CI containers do),
# and beat's banner naming its log level.
UNAVOIDABLE = ("superuser privileges", "SecurityWarning(ROOT_DISCOURAGED", "logfile -> [stderr]@%WARNING")


def test_ctrl_c_stops_web_worker_and_beat_within_seconds_and_the_start_is_quiet(tmp_path):
    var = tmp_path / "var"
    env = sandbox_env(var, PROMETHEUS_MULTIPROC_DIR=str(var / "metrics"))
    prepared = sandbox_prepare(var, env)
    port = free_port()
    log = tmp_path / "honcho.log"
    with open(log, "w") as out:
        honcho = subprocess.Popen([str(BIN / "honcho"), "start", "-f", "Procfile"], cwd=ROOT,
                                  env={**env, "PORT": str(port)}, stdout=out, stderr=subprocess.STDOUT,
                                  start_new_session=True)
    try:
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"http://127.0.0.1:{port}/api/docs/", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            time.sleep(0.5)
        else:
            pytest.fail(f"the web process never answered:\n{log.read_text()}")
        time.sleep(5)  # worker and beat up, a first beat tick sent
        started = log.read_text()
        for name in ("web", "worker", "beat"):
            assert f"{name}.1" in started and honcho.poll() is None
        os.killpg(honcho.pid, signal.SIGINT)
        began = time.monotonic()
        honcho.wait(timeout=30)
        stopped_in = time.monotonic() - began
    finally:
        if honcho.poll() is None:
            os.killpg(honcho.pid, signal.SIGKILL)
    output = log.read_text()
    assert stopped_in < 10, f"stopping took {stopped_in:.1f} s:\n{output}"
    with pytest.raises(ProcessLookupError):
        os.killpg(honcho.pid, 0)  # nothing of the group is left running
    noisy = [line for line in (prepared + started).splitlines() if "warning" in line.lower()
             and not any(known in line for known in UNAVOIDABLE)]
    assert noisy == [], "\n".join(noisy)
    print(f"stopped in {stopped_in:.1f} s")
