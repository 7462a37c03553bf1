#!/usr/bin/env bash
# Builds the SDK (sdks/java/build.sh), compiles the samples against it and runs the workflow:
#   HOTSAUCE_BASE_URL=http://127.0.0.1:8000 HOTSAUCE_CREDENTIALS=var/sandbox-credentials.json examples/java/run.sh
# `examples/java/run.sh receiver` starts the webhook receiver instead (HOTSAUCE_WEBHOOK_SECRET, PORT).
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
SDK="$HERE/../../sdks/java"
"$SDK/build.sh" >/dev/null
CP="$SDK/build/hotsauce-sdk.jar:$(cat "$SDK/build/classpath.txt")"
mkdir -p "$HERE/build"
javac --release 17 -encoding UTF-8 -cp "$CP" -d "$HERE/build" "$HERE/Workflow.java" "$HERE/WebhookReceiver.java"
if [ "${1:-workflow}" = "receiver" ]; then
  exec java -cp "$HERE/build:$CP" WebhookReceiver
fi
exec java -cp "$HERE/build:$CP" Workflow
