#!/usr/bin/env bash
# Production-like run on PostgreSQL + Redis, then the load script. Only 127.0.0.1 is used.
set -euo pipefail
cd "$(dirname "$0")/.."
export DATABASE_URL="${DATABASE_URL:-postgres://postgres@127.0.0.1:5432/hotsauce_bench}"
export REDIS_URL="${REDIS_URL:-redis://127.0.0.1:6379/3}"
export DEBUG=0 SECURE_SSL_REDIRECT=0 ALLOWED_HOSTS=127.0.0.1,localhost API_RATE_LIMIT=1000000/min
export SECRET_KEY="${SECRET_KEY:-bench-$(head -c 32 /dev/urandom | base64 | tr -dc A-Za-z0-9)}"
export DATABASE_POOL_MAX_SIZE=${DATABASE_POOL_MAX_SIZE:-16} HOTSAUCE_VAR_DIR="$(pwd)/var/bench"
DB_NAME="${DATABASE_URL##*/}"
psql -h 127.0.0.1 -U postgres -tc "SELECT 1 FROM pg_database WHERE datname='${DB_NAME}'" | grep -q 1 \
  || psql -h 127.0.0.1 -U postgres -c "CREATE DATABASE ${DB_NAME}" >/dev/null
.venv/bin/python manage.py migrate --no-input -v0
.venv/bin/python manage.py collectstatic --no-input -v0
.venv/bin/python manage.py seed_demo --credentials-out var/bench/credentials.json >/dev/null
.venv/bin/uvicorn hotsauce.asgi:application --host 127.0.0.1 --port 8765 --workers "${WORKERS:-2}" \
  --no-access-log --log-level warning &
SERVER=$!
trap 'kill $SERVER 2>/dev/null || true' EXIT
for _ in $(seq 1 50); do curl -sf http://127.0.0.1:8765/healthz >/dev/null && break; sleep 0.2; done
.venv/bin/python bench/load.py --base-url http://127.0.0.1:8765 --credentials var/bench/credentials.json "$@"
