"""A webhook receiver that accepts only deliveries signed with your endpoint's secret.

    HOTSAUCE_WEBHOOK_SECRET=whsec_... PORT=8080 python webhook_receiver.py
Register it with POST /api/v1/webhooks {"url": "https://your-host/", "eventTypes": ["*"]}.
"""

import os
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from hotsauce_sdk import WebhookVerificationError, verify_webhook

SECRET = os.environ["HOTSAUCE_WEBHOOK_SECRET"]
seen: set[str] = set()  # webhook-id: a delivery may come more than once (at least once)


class Receiver(BaseHTTPRequestHandler):
    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        try:
            event = verify_webhook(SECRET, body, dict(self.headers))
        except WebhookVerificationError as exc:
            print(f"rejected: {exc}", flush=True)
            self.send_response(400)
            self.end_headers()
            return
        if event["id"] not in seen:
            seen.add(event["id"])
            print(f"verified {event['type']} #{event['sequence']} {event['id']}", flush=True)
        self.send_response(204)  # answer fast; do slow work after acknowledging
        self.end_headers()

    def log_message(self, *args):
        pass


if __name__ == "__main__":
    server = ThreadingHTTPServer(("127.0.0.1", int(os.environ.get("PORT", "8080"))), Receiver)
    print(f"listening on {server.server_address[1]}", flush=True)
    server.serve_forever()
