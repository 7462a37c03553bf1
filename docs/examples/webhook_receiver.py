"""A webhook receiver that verifies every delivery's signature (docs/walkthrough.md, step 9).

    .venv/bin/python docs/examples/webhook_receiver.py --port 8001 --secret whsec_... [--out received.jsonl]

Listens on 127.0.0.1, verifies each POST with the Standard Webhooks library
(``webhook-id``, ``webhook-timestamp``, ``webhook-signature``: HMAC-SHA256 of
"{id}.{timestamp}.{body}" with the endpoint's secret), answers 204 when the signature is
good and 400 when it is not (the sender then retries), and appends one line per verified
event to ``--out``. Handle each event id once: a retry carries the same ``webhook-id``.
"""

from __future__ import annotations

import argparse
import json
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from standardwebhooks import Webhook, WebhookVerificationError


def make_handler(secret: str, out):
    webhook = Webhook(secret)
    seen: set[str] = set()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):  # noqa: N802 (http.server's name)
            body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            headers = {name.lower(): value for name, value in self.headers.items()}
            try:
                event = webhook.verify(body, headers)  # raises unless the signature is ours and recent
            except WebhookVerificationError as exc:
                self.send_response(400)
                self.end_headers()
                print(f"rejected: {exc}", file=sys.stderr, flush=True)
                return
            self.send_response(204)
            self.end_headers()
            if headers["webhook-id"] in seen:
                return  # a retry of an event already handled
            seen.add(headers["webhook-id"])
            out.write(json.dumps({"verified": True, "type": event["type"], "id": event["id"],
                                  "sequence": event["sequence"]}) + "\n")
            out.flush()

        def log_message(self, *args):  # quiet: one line per verified event is enough
            pass

    return Handler


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--port", type=int, default=8001)
    parser.add_argument("--secret", required=True, help="the whsec_... secret shown when the webhook was registered")
    parser.add_argument("--out", default="-", help="file to append verified events to (default: stdout)")
    args = parser.parse_args()
    out = sys.stdout if args.out == "-" else open(args.out, "a")  # noqa: SIM115 (open for the server's life)
    server = ThreadingHTTPServer(("127.0.0.1", args.port), make_handler(args.secret, out))
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
