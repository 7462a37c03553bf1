#!/usr/bin/env bash
# Builds the SDK (npm ci + tsc in sdks/typescript), installs it here (npm install ../../sdks/typescript),
# compiles the samples and runs the workflow:
#   HOTSAUCE_BASE_URL=http://127.0.0.1:8000 HOTSAUCE_CREDENTIALS=var/sandbox-credentials.json examples/typescript/run.sh
# `examples/typescript/run.sh receiver` starts the webhook receiver instead (HOTSAUCE_WEBHOOK_SECRET, PORT).
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
[ -z "${HOTSAUCE_CREDENTIALS:-}" ] || HOTSAUCE_CREDENTIALS="$(realpath "$HOTSAUCE_CREDENTIALS")"
export HOTSAUCE_CREDENTIALS
SDK="$HERE/../../sdks/typescript"
# npm ci installs exactly the locked versions (and its `prepare` builds dist/); later runs only rebuild.
if [ ! -d "$SDK/node_modules" ]; then
  (cd "$SDK" && npm ci --no-audit --no-fund --loglevel=error >/dev/null)
else
  (cd "$SDK" && npm run --silent build)
fi
cd "$HERE"
npm install --no-audit --no-fund --loglevel=error >/dev/null
npx tsc -p tsconfig.json
if [ "${1:-workflow}" = "receiver" ]; then
  exec node build/webhook_receiver.js
fi
exec node build/workflow.js
