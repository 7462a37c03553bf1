"""Each language's example (examples/*/run.sh) builds its SDK and runs the brief's workflow
against a live server; each webhook receiver accepts a real signed delivery and rejects a
tampered one."""

from __future__ import annotations

import json
import os
import subprocess
import tempfile
import time

import httpx
import pytest
from django.utils import timezone

from tests.sdk_support import BASE_DIR, LiveServer, free_port, missing_tool, seed_credentials
from tests.test_events_feed import emit
from webhooks import delivery
from webhooks.models import Endpoint

EXAMPLES = BASE_DIR / "examples"
TOOLS = {"python": (), "typescript": ("node", "npm"), "java": ("javac", "java", "jar")}
STEPS = ["1 token", "2 stock", "3 order", "4 reserve", "5 notified", "6 shipment", "7 tracking", "7 delivered"]


def _needs(language: str) -> None:
    reason = missing_tool(*TOOLS[language])
    if reason:
        pytest.skip(reason)


@pytest.mark.postgres
@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("language", ["python", "typescript", "java"])
def test_example_runs_the_briefs_workflow_green_against_a_live_server(language, tmp_path):
    _needs(language)
    credentials = seed_credentials(tmp_path)
    server = LiveServer().start()
    try:
        env = {**os.environ, "HOTSAUCE_BASE_URL": server.url, "HOTSAUCE_CREDENTIALS": str(credentials)}
        result = subprocess.run([str(EXAMPLES / language / "run.sh")], env=env, capture_output=True, text=True,
                                timeout=900)
    finally:
        server.stop()
    output = result.stdout + result.stderr
    assert result.returncode == 0, output[-4000:]
    lines = [line for line in result.stdout.splitlines() if line.startswith(("ok ", "FAIL"))]
    assert [line.split(":")[0].split(None, 1)[1] for line in lines] == STEPS, output[-4000:]
    assert all(line.startswith("ok ") for line in lines)
    assert result.stdout.rstrip().endswith("workflow complete")


class Receiver:
    def __init__(self, language: str, secret: str):
        self.port = free_port()
        self.out = tempfile.TemporaryFile(mode="w+")  # noqa: SIM115 (closed in stop)
        env = {**os.environ, "HOTSAUCE_WEBHOOK_SECRET": secret, "PORT": str(self.port)}
        self.process = subprocess.Popen([str(EXAMPLES / language / "run.sh"), "receiver"], env=env,
                                        stdout=self.out, stderr=subprocess.STDOUT, start_new_session=True)
        deadline = time.monotonic() + 900
        while "listening on" not in self.output():
            assert self.process.poll() is None and time.monotonic() < deadline, self.output()[-3000:]
            time.sleep(0.5)

    def output(self) -> str:
        self.out.seek(0)
        return self.out.read()

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=20)
        self.out.close()


@pytest.mark.slow
@pytest.mark.parametrize("language", ["python", "typescript", "java"])
def test_webhook_receiver_accepts_a_signed_delivery_and_rejects_a_tampered_one(language, supplier_caller, settings):
    _needs(language)
    settings.WEBHOOK_ALLOW_PRIVATE_URLS = True
    receiver = None
    try:
        # The endpoint is registered through the API, so the secret is the one a partner gets.
        created = supplier_caller.post("/api/v1/webhooks", {"url": "http://127.0.0.1:1/", "eventTypes": ["*"]})
        assert created.status_code == 201, created.content
        receiver = Receiver(language, created.json()["secret"])
        endpoint = Endpoint.objects.get(public_id=created.json()["id"])
        endpoint.url = f"http://127.0.0.1:{receiver.port}/"
        endpoint.save(update_fields=["url"])
        event = emit("inventory.updated", suppliers=[endpoint.owner_id], productId="HOTSAUCE789", n=1)

        # A real delivery: the same code the webhook worker sends with (body, id, timestamp, signature).
        status, _latency, error, _excerpt = delivery._post(endpoint, event, timezone.now())
        assert status == 204, (error, receiver.output()[-2000:])

        body = delivery.envelope_body(event)
        timestamp = int(time.time())
        headers = {"Content-Type": "application/json", "webhook-id": event.event_id,
                   "webhook-timestamp": str(timestamp),
                   "webhook-signature": delivery.signature_header(endpoint, msg_id=event.event_id,
                                                                  timestamp=timestamp, body=body,
                                                                  now=timezone.now())}
        tampered = json.loads(body)
        tampered["data"]["n"] = 1000
        refused = httpx.post(f"http://127.0.0.1:{receiver.port}/", headers=headers, trust_env=False,
                             content=json.dumps(tampered, separators=(",", ":")).encode())
        assert refused.status_code == 400
        resent = httpx.post(f"http://127.0.0.1:{receiver.port}/", headers=headers, content=body.encode(),
                            trust_env=False)
        assert resent.status_code == 204  # the untampered body with the same headers still verifies
        time.sleep(0.5)
        output = receiver.output()
        assert f"verified inventory.updated #{event.sequence} {event.event_id}" in output
        assert output.count("verified inventory.updated") == 1  # the repeat is acknowledged, not processed twice
        assert "rejected:" in output
    finally:
        if receiver:
            receiver.stop()
