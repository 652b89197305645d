#!/usr/bin/env bash
# Start every process of the embedded portal: the job worker and the web server.
# The web server prints the address it serves (BIND, default 127.0.0.1:5000) once it listens.
# Ctrl-C stops both.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=.venv/bin

# One worker: one conversion at a time on two cores. An idle worker asks the queue at least
# every second, so that a new upload's poster appears within about two seconds.
"$BIN/huey_consumer" app.tasks.huey --workers 1 --worker-type thread --max-delay 1 --quiet &
worker=$!
"$BIN/gunicorn" --config gunicorn.conf.py 'app:create_app()' &
web=$!
trap 'kill "$worker" "$web" 2>/dev/null; wait' INT TERM EXIT

echo "Starting the job worker and the web server; Ctrl-C stops both."
wait -n "$worker" "$web"
