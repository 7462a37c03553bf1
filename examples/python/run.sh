#!/usr/bin/env bash
# Installs the SDK (pip install ./sdks/python) into a virtualenv of its own and runs the workflow:
#   HOTSAUCE_BASE_URL=http://127.0.0.1:8000 HOTSAUCE_CREDENTIALS=var/sandbox-credentials.json examples/python/run.sh
# `examples/python/run.sh receiver` starts the webhook receiver instead (HOTSAUCE_WEBHOOK_SECRET, PORT).
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
VENV="${HOTSAUCE_EXAMPLE_VENV:-$HERE/.venv}"
if [ ! -x "$VENV/bin/python" ]; then
  "${PYTHON:-python3}" -m venv "$VENV"
fi
"$VENV/bin/python" -m pip install --quiet --disable-pip-version-check "$HERE/../../sdks/python"
if [ "${1:-workflow}" = "receiver" ]; then
  exec "$VENV/bin/python" -u "$HERE/webhook_receiver.py"
fi
exec "$VENV/bin/python" -u "$HERE/workflow.py"
